"""Open cases by urgency, as peers show them (DataGrail: On Time, Due Soon, Past Due),
counted against the legal deadline in force, not the playbooks' planning deadline. One
reading of the case's clock for every feature that shows it: the deadline watch's metrics and
the CLI's case list count the same buckets."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from bwp_privacy.cases.case import Case

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


def bucket_of_due(
    legal_due_at: datetime, now: datetime, due_soon_days: float = DEFAULT_DUE_SOON_DAYS
) -> Bucket:
    """The bucket of an open case whose legal deadline in force is ``legal_due_at`` (what the
    deadline watch reads from the index, without the case)."""
    left = (legal_due_at - now) / timedelta(days=1)
    if left < 0:
        return Bucket.PAST_DUE
    if left < due_soon_days:
        return Bucket.DUE_SOON
    return Bucket.ON_TIME


def bucket_of(
    case: Case, now: datetime, due_soon_days: float = DEFAULT_DUE_SOON_DAYS
) -> Bucket | None:
    """The case's bucket; None for an ended case (it is no longer running against a clock)."""
    if case.state.ended:
        return None
    return bucket_of_due(case.legal_due_at, now, due_soon_days)


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
