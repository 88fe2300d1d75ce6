"""The time, as the reaction reads it (one place, so the sandbox can move it), and times
written and read as the project stores and publishes them: ISO-8601, UTC, ``Z``.

In Lambda this is the wall clock, always. The sandbox plays days passing (EventBridge
Scheduler firing attempts, Buy with Prime finishing tasks) and runs the functions it drives
under its own clock with `use_clock`, so a case's timeline reads as it would in AWS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731 (swapped by use_clock)


def utc_now() -> datetime:
    """Now, timezone-aware UTC."""
    return _source()


@contextmanager
def use_clock(source: Callable[[], datetime]) -> Iterator[None]:
    """Read the time from ``source`` inside the block (the sandbox's clock; never in Lambda)."""
    global _source
    previous, _source = _source, source
    try:
        yield
    finally:
        _source = previous


def iso_z(moment: datetime, timespec: str = "auto") -> str:
    """``moment`` as ISO-8601 with ``Z`` for UTC (``timespec`` as `datetime.isoformat`)."""
    return moment.isoformat(timespec=timespec).replace("+00:00", "Z")


def parse_iso(value: str | None) -> datetime | None:
    """An ISO-8601 time (``Z`` or an offset; naive means UTC) as UTC, or None when absent or
    not a time."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # In UTC whatever the offset it was written with: legal clocks count from the moment of
    # receipt in UTC, and a month counted on the local calendar date would end days apart.
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # a moment at the calendar's edge that UTC cannot hold
        return None
