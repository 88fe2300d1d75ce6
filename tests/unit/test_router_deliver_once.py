"""The router's deliver-once stage: claim, send, mark, or park, per receiver, and its answer
(records to retry, what was sent) rather than state kept for later."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bwp_privacy.alerting import (
    AlertGroup,
    Classifier,
    Deliverer,
    DeliveryError,
    group_alerts,
)
from bwp_privacy.alerting.deliver_once import MAX_GROUP_SIZE, DeliveryInProgress
from bwp_privacy.alerting.ledger import Delivered
from bwp_privacy.common import Budget
from tests.alert_fakes import (
    NOW,
    ROUTES,
    CountingMetrics,
    FakeLedger,
    FakeParker,
    FakeReceiver,
    message,
    record,
)

SENT_AT = datetime(2026, 11, 29, 12, 0, 5, tzinfo=UTC)


def slack_groups(*task_ids: str) -> list[AlertGroup]:
    classifier = Classifier(ROUTES, ["slack"], CountingMetrics(), NOW)
    routed = [
        classifier.classify(record(message(task), message_id=f"m-{task}")) for task in task_ids
    ]
    return group_alerts(routed)["slack"]


def deliverer(
    receiver: FakeReceiver,
    ledger: FakeLedger,
    *,
    parker: FakeParker | None = None,
    metrics: CountingMetrics | None = None,
) -> Deliverer:
    return Deliverer(
        receiver.name,
        receiver,
        ledger,
        metrics or CountingMetrics(),
        budget=Budget(None, 0.0),
        parker=parker,
        now=lambda: SENT_AT,
    )


def test_a_delivery_is_claimed_sent_marked_and_answered_as_sent() -> None:
    slack, ledger, metrics = FakeReceiver("slack", grouped=True), FakeLedger(), CountingMetrics()
    answer = deliverer(slack, ledger, metrics=metrics).deliver(slack_groups("t-1", "t-2"))
    assert slack.calls == [["t-1", "t-2"]]
    assert ledger.delivered == {"slack#t-1", "slack#t-2"}
    assert answer.failures == []
    assert [(s.receiver, s.outcome, s.at, [a.task_id for a in s.alerts]) for s in answer.sent] == [
        ("slack", "delivered", SENT_AT, ["t-1", "t-2"])
    ]
    assert metrics.counts == {"AlertsDelivered": 2}


def test_what_the_ledger_holds_as_delivered_is_skipped_and_not_answered() -> None:
    slack, metrics = FakeReceiver("slack", grouped=True), CountingMetrics()
    answer = deliverer(slack, FakeLedger.having_sent("slack#t-1"), metrics=metrics).deliver(
        slack_groups("t-1")
    )
    assert slack.calls == []
    assert (answer.failures, answer.sent) == ([], [])
    assert metrics.counts == {"DeliveriesSkipped": 1}


def test_a_delivery_another_invocation_holds_is_retried_not_sent() -> None:
    slack, ledger = FakeReceiver("slack", grouped=True), FakeLedger()
    ledger.claim("slack", "t-1", "failed/t-1")  # held by another invocation
    answer = deliverer(slack, ledger).deliver(slack_groups("t-1"))
    assert slack.calls == []
    assert [(r.message_id, type(e)) for r, e in answer.failures] == [("m-t-1", DeliveryInProgress)]


def test_a_retryable_failure_releases_the_claim_and_answers_the_record() -> None:
    down = DeliveryError("slack", "HTTP 503", retryable=True, retry_after=30)
    slack, ledger = FakeReceiver("slack", grouped=True, failure=down), FakeLedger()
    answer = deliverer(slack, ledger).deliver(slack_groups("t-1"))
    assert ledger.released == ["slack#t-1"]
    assert [(r.message_id, e) for r, e in answer.failures] == [("m-t-1", down)]
    assert answer.sent == []


def test_a_permanent_refusal_is_parked_and_answered_as_parked_not_as_a_failure() -> None:
    refused = DeliveryError("slack", "HTTP 400: invalid_blocks", retryable=False)
    slack, ledger, parker = (
        FakeReceiver("slack", grouped=True, failure=refused),
        FakeLedger(),
        FakeParker(),
    )
    answer = deliverer(slack, ledger, parker=parker).deliver(slack_groups("t-1"))
    assert parker.parked == [("m-t-1", "slack", "HTTP 400: invalid_blocks")]
    assert ledger.parked == ["slack#t-1"]
    assert answer.failures == []
    assert [s.outcome for s in answer.sent] == ["parked: HTTP 400: invalid_blocks"]


def test_without_a_dead_letter_queue_a_refusal_is_retried() -> None:
    refused = DeliveryError("slack", "HTTP 400", retryable=False)
    slack = FakeReceiver("slack", grouped=True, failure=refused)
    answer = deliverer(slack, FakeLedger()).deliver(slack_groups("t-1"))
    assert [r.message_id for r, _ in answer.failures] == ["m-t-1"]


class LedgerThatCannotWriteBack(FakeLedger):
    def mark_delivered(
        self, delivered: Sequence[Delivered], repeat_window_seconds: int
    ) -> list[str]:
        raise ConnectionError("throttled")


def test_a_send_whose_mark_fails_is_not_failed_so_it_is_not_sent_twice() -> None:
    slack, metrics = FakeReceiver("slack", grouped=True), CountingMetrics()
    answer = deliverer(slack, LedgerThatCannotWriteBack(), metrics=metrics).deliver(
        slack_groups("t-1")
    )
    assert answer.failures == []
    assert [s.outcome for s in answer.sent] == ["delivered"]
    assert metrics.counts["LedgerWriteFailures"] == 1


def test_a_grouped_receiver_gets_at_most_a_full_group_per_call() -> None:
    slack = FakeReceiver("slack", grouped=True)
    tasks = [f"t-{n}" for n in range(MAX_GROUP_SIZE + 1)]
    deliverer(slack, FakeLedger()).deliver(slack_groups(*tasks))
    assert [len(call) for call in slack.calls] == [MAX_GROUP_SIZE, 1]


def test_a_per_task_receiver_gets_one_call_per_alert() -> None:
    pagerduty = FakeReceiver("pagerduty", grouped=False)
    groups = slack_groups("t-1", "t-2")
    for group in groups:
        group.receiver = "pagerduty"
    deliverer(pagerduty, FakeLedger()).deliver(groups)
    assert pagerduty.calls == [["t-1"], ["t-2"]]
