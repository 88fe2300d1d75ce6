"""Points in time as commands take them: "7d", "12h", "30m" ago, or an ISO date."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import click

_RELATIVE = re.compile(r"(\d+)([mhd])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """'7d', '12h', '30m' ago, or an ISO date/time (UTC when no zone is given)."""
    now = now or datetime.now(UTC)
    match = _RELATIVE.fullmatch(text)
    try:
        if match:
            return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        raise click.BadParameter(f"{text!r}: use 7d, 12h, 30m or an ISO date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
