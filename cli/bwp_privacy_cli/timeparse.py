"""Points in time as commands take them: "7d", "12h", "30m" ago, or an ISO date; and how long
something lasts, in the same words ("4h": `silence add --for`).

A time option declares ``type=SINCE``: click then names the option in the error of a value it
cannot read (``Invalid value for '--since': 'banana': …``), as it does for every other option.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import click

_RELATIVE = re.compile(r"(\d+)([mhd])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class Since:
    """A point in time as given: a moment, or a while before the command's own ``now`` (one
    ``now`` for everything a command computes, so that "30d" is exactly 30 days before it)."""

    moment: datetime | None = None
    ago: timedelta | None = None

    def at(self, now: datetime) -> datetime:
        if self.moment is not None:
            return self.moment
        return now - (self.ago or timedelta(0))


if TYPE_CHECKING:
    _SinceParam = click.ParamType[Since]
else:
    # click is generic from 8.4; the CLI runs on 8.1 too.
    _SinceParam = click.ParamType


class SinceType(_SinceParam):
    """7d, 12h, 30m (ago) or an ISO date/time (UTC when no zone is given), as a `Since`."""

    name = "since"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> Since:
        if isinstance(value, Since):
            return value
        try:
            return _read(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


#: The type of every time option (``--since``): its errors name the option.
SINCE = SinceType()


if TYPE_CHECKING:
    _ForParam = click.ParamType[timedelta]
else:
    _ForParam = click.ParamType


class ForType(_ForParam):
    """30m, 4h, 2d: how long, as a timedelta (the same words as `SINCE`'s "ago")."""

    name = "duration"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> timedelta:
        if isinstance(value, timedelta):
            return value
        match = _RELATIVE.fullmatch(str(value))
        if match is None:
            self.fail(f"{value!r}: use 30m, 4h or 2d", param, ctx)
        try:
            return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        except OverflowError:
            self.fail(f"{value!r}: longer than any time can be", param, ctx)


#: The type of every duration option (``--for``): its errors name the option.
DURATION = ForType()


def _read(text: str) -> Since:
    """``text`` as a `Since`; ValueError saying what to write instead."""
    match = _RELATIVE.fullmatch(text)
    try:
        if match:
            since = Since(ago=timedelta(**{_UNITS[match.group(2)]: int(match.group(1))}))
            since.at(datetime.now(UTC))  # further back than a date can be: said now
            return since
        moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        raise ValueError(f"{text!r}: use 7d, 12h, 30m or an ISO date") from None
    return Since(moment=moment if moment.tzinfo else moment.replace(tzinfo=UTC))
