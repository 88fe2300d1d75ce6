"""The deadline watch's counting, pure: deadlines in, buckets and the at-risk cases out, over
a storm's worth of open cases handed over one at a time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from bwp_privacy.cases import Bucket, OpenDeadline, bucket_of_due
from bwp_privacy.deadline_watch import DeadlineWatch
from tests.alert_fakes import CountingMetrics

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def test_the_buckets_edges() -> None:
    assert bucket_of_due(NOW - timedelta(seconds=1), NOW) is Bucket.PAST_DUE
    assert bucket_of_due(NOW, NOW) is Bucket.DUE_SOON
    assert bucket_of_due(NOW + timedelta(days=5, seconds=-1), NOW) is Bucket.DUE_SOON
    assert bucket_of_due(NOW + timedelta(days=5), NOW) is Bucket.ON_TIME
    assert bucket_of_due(NOW + timedelta(days=2), NOW, due_soon_days=1) is Bucket.ON_TIME


class _Storm:
    """A hundred thousand open cases, made as they are read (as pages come)."""

    def __init__(self) -> None:
        self.handed = 0

    def open_deadlines(self) -> Iterator[OpenDeadline]:
        for n in range(100_000):
            self.handed += 1
            days = 30 if n % 1000 else (-1 if n % 2000 else 2)
            yield OpenDeadline(f"c{n:06d}", NOW + timedelta(days=days, minutes=-n / 1000))


def test_a_storms_open_cases_are_counted_and_only_the_late_ones_kept() -> None:
    storm = _Storm()
    metrics = CountingMetrics()
    report = DeadlineWatch(storm, metrics, 5, clock=lambda: NOW).run()
    assert storm.handed == 100_000
    assert report.counts == {Bucket.ON_TIME: 99_900, Bucket.DUE_SOON: 50, Bucket.PAST_DUE: 50}
    assert metrics.counts == {"CasesOnTime": 99_900, "CasesDueSoon": 50, "CasesPastDue": 50}
    # Most urgent first: the later a case came in this storm, the earlier its deadline.
    assert report.past_due[:2] == ("c099000", "c097000")
    assert len(report.due_soon) == 50
