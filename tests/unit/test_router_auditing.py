"""The router's audit stage: an entry per alert sent or parked, on its case's trail; a failed
write is counted, never raised (the send is not undone)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bwp_privacy.alerting import AlertAudit, Classifier, Sent
from bwp_privacy.alerting.auditing import ALERT_ENTRY_MARGIN
from bwp_privacy.audit import AuditEntry
from tests.alert_fakes import NOW, ROUTES, CountingMetrics, message, record

AT = datetime(2026, 11, 29, 12, 0, 5, tzinfo=UTC)


@dataclass
class Trail:
    entries: list[AuditEntry] = field(default_factory=list)
    calls: int = 0

    def append(self, entries: Sequence[AuditEntry]) -> None:
        self.calls += 1
        self.entries += entries


class BrokenTrail:
    def append(self, entries: Sequence[AuditEntry]) -> None:
        raise ConnectionError("throttled")


def sent(outcome: str, *task_ids: str) -> Sent:
    classifier = Classifier(ROUTES, ["slack"], CountingMetrics(), NOW)
    alerts = tuple(classifier.classify(record(message(task))).alert for task in task_ids)
    return Sent("slack", "route", alerts, outcome, AT)


def test_each_alert_sent_or_parked_is_one_entry_on_its_case_in_one_write() -> None:
    trail = Trail()
    AlertAudit(trail, CountingMetrics(), actor="router", retention_days=10).record(
        [sent("delivered", "t-1", "t-2"), sent("parked: HTTP 400", "t-3")]
    )
    assert trail.calls == 1
    assert [(e.subject, e.actor, e.action, e.outcome, e.detail) for e in trail.entries] == [
        (
            "case:t-1",
            "router",
            "alert.firing",
            "delivered",
            {"receiver": "slack", "route": "route"},
        ),
        (
            "case:t-2",
            "router",
            "alert.firing",
            "delivered",
            {"receiver": "slack", "route": "route"},
        ),
        (
            "case:t-3",
            "router",
            "alert.firing",
            "parked: HTTP 400",
            {"receiver": "slack", "route": "route"},
        ),
    ]
    assert {e.at for e in trail.entries} == {AT}
    assert {e.expires_at for e in trail.entries} == {AT + ALERT_ENTRY_MARGIN + timedelta(days=10)}


def test_nothing_sent_writes_nothing() -> None:
    trail = Trail()
    AlertAudit(trail, CountingMetrics()).record([])
    assert trail.calls == 0


def test_a_failed_write_is_counted_not_raised() -> None:
    metrics = CountingMetrics()
    AlertAudit(BrokenTrail(), metrics).record([sent("delivered", "t-1")])
    assert metrics.counts == {"AuditWriteFailures": 1}
