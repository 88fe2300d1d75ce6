"""Deadlines as a person reads them: whole days and plain dates ("past due by 3 days", "16 Nov
2026"), never "-2.6 days left" or an ISO time, in every view, alert and reason that a
compliance officer or on-call engineer reads."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta


def whole_days_left(due: datetime, now: datetime) -> int:
    """Whole days from ``now`` to ``due``: the days still to come (rounded down) while it is
    ahead, and minus the whole days since it passed (rounded down, at least 1) once it has:
    what a person reads, never a fraction of a day."""
    left = (due - now) / timedelta(days=1)
    if left >= 0:
        return math.floor(left)
    return -max(1, math.floor(-left))


def standing(due: datetime, now: datetime) -> str:
    """How a deadline stands, in words: "12 days left", "under a day left", "past due by 3
    days". A deadline that passed less than a day ago is "past due by 1 day": once the law's
    time is up, no wording may read as time left."""
    if due > now:
        days = whole_days_left(due, now)
        return "under a day left" if days == 0 else f"{days} day{_s(days)} left"
    days = max(1, -whole_days_left(due, now))
    return f"past due by {days} day{_s(days)}"


def plain_day(moment: datetime) -> str:
    """The UTC date of ``moment`` as people write it: "16 Nov 2026"."""
    utc = moment.astimezone(UTC)
    return f"{utc.day} {utc:%b %Y}"


def _s(count: int) -> str:
    return "" if count == 1 else "s"
