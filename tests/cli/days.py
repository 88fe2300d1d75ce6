"""What a CLI test may expect of a count of calendar days to a deadline, read from the wall
clock: the count on the day the command started, or on the day it ended (the two differ only
when UTC midnight falls in between), so no test fails for running across midnight."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime


class DaysTo:
    """The calendar days from the days a block ran on to a deadline (`during`)."""

    def __init__(self) -> None:
        self.days: set[date] = set()

    def left(self, due_iso: str) -> set[int]:
        """Every count of days left to ``due_iso`` a command run in the block may report."""
        due = datetime.fromisoformat(due_iso.replace("Z", "+00:00")).astimezone(UTC).date()
        return {(due - day).days for day in self.days}


@contextmanager
def during() -> Iterator[DaysTo]:
    """The days (UTC) the block ran on: the first and the last."""
    seen = DaysTo()
    seen.days.add(datetime.now(UTC).date())
    try:
        yield seen
    finally:
        seen.days.add(datetime.now(UTC).date())
