"""Open cases by urgency, as peers show them (DataGrail: On Time, Due Soon, Past Due),
counted against the legal deadline in force, not the playbooks' planning deadline."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from bwp_privacy.reaction.case import Case

#: Days left under which an open case is due soon (DataGrail's threshold).
DEFAULT_DUE_SOON_DAYS: int = 5


class Bucket(StrEnum):
    """How urgent an open case is."""

    ON_TIME = "on time"
    DUE_SOON = "due soon"
    PAST_DUE = "past due"


def legal_days_left(case: Case, now: datetime) -> float:
    """Days until the case's legal deadline in force (extensions applied); negative once it
    has passed."""
    return (case.legal_due_at - now) / timedelta(days=1)


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


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def bucket_of(
    case: Case, now: datetime, due_soon_days: float = DEFAULT_DUE_SOON_DAYS
) -> Bucket | None:
    """The case's bucket; None for an ended case (it is no longer running against a clock)."""
    if case.state.ended:
        return None
    left = legal_days_left(case, now)
    if left < 0:
        return Bucket.PAST_DUE
    if left < due_soon_days:
        return Bucket.DUE_SOON
    return Bucket.ON_TIME


def bucket_counts(
    cases: Iterable[Case], now: datetime, due_soon_days: float = DEFAULT_DUE_SOON_DAYS
) -> dict[Bucket, int]:
    """How many open cases each bucket holds; every bucket is present, empty ones as 0 (a
    summary reads the same shape whether or not anything is late)."""
    counts = dict.fromkeys(Bucket, 0)
    for case in cases:
        bucket = bucket_of(case, now, due_soon_days)
        if bucket is not None:
            counts[bucket] += 1
    return counts
