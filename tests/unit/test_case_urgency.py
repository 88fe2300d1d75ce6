"""How urgent an open case is (bwp_privacy.cases.urgency): the buckets by the legal deadline
in force, which the deadline watch and the CLI both count. Pure: cases built here, an explicit
now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bwp_privacy.cases import (
    DEFAULT_DUE_SOON_DAYS,
    Bucket,
    CaseState,
    bucket_counts,
    bucket_of,
    legal_days_left,
)
from tests.unit.case_factory import CCPA, GDPR, RECEIVED, case


def test_days_left_count_to_the_legal_deadline_not_the_planning_one() -> None:
    planned_early = case().model_copy(update={"plan_deadline_at": RECEIVED})
    assert legal_days_left(planned_early, RECEIVED) == 45.0
    assert legal_days_left(planned_early, RECEIVED + timedelta(days=46)) == -1.0


@pytest.mark.parametrize(
    ("days_after_receipt", "bucket"),
    [
        (0, Bucket.ON_TIME),
        (40, Bucket.ON_TIME),  # exactly 5 days left: not yet due soon
        (40.001, Bucket.DUE_SOON),
        (45, Bucket.DUE_SOON),  # due today, 0 days left: not yet past due
        (45.001, Bucket.PAST_DUE),
        (100, Bucket.PAST_DUE),
    ],
)
def test_a_bucket_edge_falls_where_the_days_left_say(
    days_after_receipt: float, bucket: Bucket
) -> None:
    now = RECEIVED + timedelta(days=days_after_receipt)
    assert bucket_of(case(), now) is bucket


def test_the_due_soon_threshold_is_the_callers() -> None:
    now = RECEIVED + timedelta(days=35)  # 10 days left
    assert bucket_of(case(), now) is Bucket.ON_TIME
    assert bucket_of(case(), now, due_soon_days=10.5) is Bucket.DUE_SOON
    assert DEFAULT_DUE_SOON_DAYS == 5


def test_a_month_long_law_counts_calendar_months_and_the_earliest_law_decides() -> None:
    received = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    both = case(received=received, laws={"ccpa": CCPA, "gdpr": GDPR})
    # GDPR: 31 January + 1 month = 28 February, before CCPA's 45 days (17 March).
    assert both.legal_due_at == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)
    assert bucket_of(both, datetime(2026, 2, 24, 9, 0, tzinfo=UTC)) is Bucket.DUE_SOON
    assert bucket_of(both, datetime(2026, 3, 1, 9, 0, tzinfo=UTC)) is Bucket.PAST_DUE


def test_an_extension_moves_a_late_case_back_on_time() -> None:
    now = RECEIVED + timedelta(days=44)
    assert bucket_of(case(), now) is Bucket.DUE_SOON
    extended = case(extended_at=RECEIVED + timedelta(days=30))
    assert legal_days_left(extended, now) == 46.0
    assert bucket_of(extended, now) is Bucket.ON_TIME


def test_an_ended_case_has_no_bucket_and_is_not_counted() -> None:
    now = RECEIVED + timedelta(days=100)
    done = case("done", state=CaseState.COMPLETED)
    assert bucket_of(done, now) is None
    counts = bucket_counts([done, case("late"), case("fresh", received=now)], now)
    assert counts == {Bucket.ON_TIME: 1, Bucket.DUE_SOON: 0, Bucket.PAST_DUE: 1}
    assert bucket_counts([], now) == dict.fromkeys(Bucket, 0)
