"""The router's fan-out: every receiver side by side, and the answer ready when it is due
whatever a receiver is doing."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from bwp_privacy.alerting import (
    Alert,
    AlertGroup,
    Classifier,
    Deliverer,
    DeliveryOutOfTime,
    Group,
    deliver_all,
    group_alerts,
)
from bwp_privacy.alerting.delivery import Threads
from bwp_privacy.common import Budget
from tests.alert_fakes import (
    NOW,
    ROUTES,
    CountingMetrics,
    FakeLedger,
    FakeReceiver,
    message,
    record,
)


class StuckReceiver(FakeReceiver):
    """Holds its delivery until the test lets it go."""

    release: threading.Event

    def deliver(
        self,
        alerts: Sequence[Alert],
        group: Group,
        *,
        budget: Budget,
        threads: Threads | None = None,
    ) -> Threads | None:
        self.release.wait()
        return super().deliver(alerts, group, budget=budget, threads=threads)


def stages(receivers: Sequence[FakeReceiver], budget: Budget) -> dict[str, Deliverer]:
    ledger = FakeLedger()
    return {
        r.name: Deliverer(r.name, r, ledger, CountingMetrics(), budget=budget) for r in receivers
    }


def groups_for(*names: str) -> dict[str, list[AlertGroup]]:
    classifier = Classifier(ROUTES, list(names), CountingMetrics(), NOW)
    return dict(group_alerts([classifier.classify(record(message("t-1")))]))


def test_every_receiver_is_delivered_and_answered_together() -> None:
    slack, pagerduty = FakeReceiver("slack", grouped=True), FakeReceiver("pagerduty", grouped=False)
    budget = Budget(None, 0.0)
    answer = deliver_all(
        groups_for("slack", "pagerduty"), stages([slack, pagerduty], budget), budget
    )
    assert answer.failures == []
    assert sorted(s.receiver for s in answer.sent) == ["pagerduty", "slack"]


def test_a_receiver_still_busy_when_the_answer_is_due_fails_its_records_alone() -> None:
    stuck = StuckReceiver("slack", grouped=True)
    stuck.release = threading.Event()
    spent = Budget(0.0, 0.0, clock=lambda: 1.0)  # the answer is due now
    try:
        answer = deliver_all(groups_for("slack"), stages([stuck], spent), spent)
    finally:
        stuck.release.set()
    assert [(r.message_id, type(e)) for r, e in answer.failures] == [("m0", DeliveryOutOfTime)]
    assert answer.sent == []


def test_nothing_to_deliver_answers_nothing() -> None:
    answer = deliver_all({}, {}, Budget(None, 0.0))
    assert (answer.failures, answer.sent) == ([], [])
