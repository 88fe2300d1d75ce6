"""The time, as the reaction reads it: one place, so the sandbox can move it.

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
