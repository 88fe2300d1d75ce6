"""Count the open cases per bucket and say which are at risk."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aws_lambda_powertools import Logger

from bwp_privacy.cases import Bucket, CaseReader, bucket_of, legal_days_left
from bwp_privacy.common import MetricsSink, utc_now

logger = Logger(child=True)

#: The metric of each bucket (docs/compliance.md, "The deadline watch"; its alarm in
#: docs/operations.md).
METRICS = {
    Bucket.ON_TIME: "CasesOnTime",
    Bucket.DUE_SOON: "CasesDueSoon",
    Bucket.PAST_DUE: "CasesPastDue",
}
#: At most this many case ids per bucket in the log line (the CLI lists them all).
LOGGED_IDS = 50


@dataclass(frozen=True)
class WatchReport:
    """What one run counted, and the at-risk cases most urgent first."""

    counts: dict[Bucket, int]
    past_due: tuple[str, ...]
    due_soon: tuple[str, ...]


class DeadlineWatch:
    """Reads the open cases (one index query per open state) and counts them."""

    def __init__(
        self,
        store: CaseReader,
        metrics: MetricsSink,
        due_soon_days: float,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._metrics = metrics
        self._due_soon_days = due_soon_days
        self._clock = clock

    def run(self) -> WatchReport:
        """Count, publish the counts (every bucket, zeros too: an alarm needs the data
        point) and log the at-risk cases."""
        now = self._clock()
        cases = sorted(self._store.open_cases(), key=lambda case: legal_days_left(case, now))
        counts = dict.fromkeys(Bucket, 0)
        at_risk: dict[Bucket, list[str]] = {Bucket.PAST_DUE: [], Bucket.DUE_SOON: []}
        for case in cases:
            bucket = bucket_of(case, now, self._due_soon_days)
            if bucket is None:
                continue
            counts[bucket] += 1
            if bucket in at_risk:
                at_risk[bucket].append(case.case_id)
        for bucket, metric in METRICS.items():
            self._metrics.count(metric, counts[bucket])
        report = WatchReport(
            counts=counts,
            past_due=tuple(at_risk[Bucket.PAST_DUE]),
            due_soon=tuple(at_risk[Bucket.DUE_SOON]),
        )
        if report.past_due or report.due_soon:
            logger.warning(
                "Cases at risk of missing their legal deadline",
                extra={
                    "past_due": list(report.past_due[:LOGGED_IDS]),
                    "due_soon": list(report.due_soon[:LOGGED_IDS]),
                    "counts": {bucket.value: n for bucket, n in counts.items()},
                    "due_soon_days": self._due_soon_days,
                },
            )
        else:
            logger.info("No case at risk", extra={"open": sum(counts.values())})
        return report
