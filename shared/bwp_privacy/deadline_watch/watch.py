"""Count the open cases per bucket and say which are at risk."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from aws_lambda_powertools import Logger

from bwp_privacy.cases import Bucket, OpenDeadline, bucket_of_due
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


class OpenDeadlines(Protocol):
    """Where the open cases' deadlines come from (`CaseReader`)."""

    def open_deadlines(self) -> Iterable[OpenDeadline]: ...


class DeadlineWatch:
    """Reads the open cases' deadlines (one index query per open state) and counts them."""

    def __init__(
        self,
        store: OpenDeadlines,
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
        counts = dict.fromkeys(Bucket, 0)
        at_risk: dict[Bucket, list[OpenDeadline]] = {Bucket.PAST_DUE: [], Bucket.DUE_SOON: []}
        # Streamed: only the at-risk cases are kept, to list them most urgent first.
        for case in self._store.open_deadlines():
            bucket = bucket_of_due(case.legal_due_at, now, self._due_soon_days)
            counts[bucket] += 1
            if bucket in at_risk:
                at_risk[bucket].append(case)
        past_due, due_soon = (
            tuple(c.case_id for c in sorted(at_risk[b], key=lambda c: (c.legal_due_at, c.case_id)))
            for b in (Bucket.PAST_DUE, Bucket.DUE_SOON)
        )
        for bucket, metric in METRICS.items():
            self._metrics.count(metric, counts[bucket])
        report = WatchReport(counts=counts, past_due=past_due, due_soon=due_soon)
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
