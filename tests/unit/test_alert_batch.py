"""AlertBatch and route_batch with fakes behind their seams: receivers, the delivery ledger,
the dead-letter parker and the delayer. Grouping, exactly-once, and what SQS is told."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from bwp_privacy.alerting import (
    AlertBatch,
    Claim,
    ClaimState,
    DeliveryError,
    Group,
    load_routes,
    route_batch,
)
from bwp_privacy.alerting.alert import Alert
from bwp_privacy.common import Budget
from bwp_privacy.contract import DeletionFailure, LookupOutcome, LookupStatus, TaskError

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
ROUTES = load_routes(
    json.dumps(
        {
            "version": 1,
            "defaultSeverity": {"severity": "critical", "runbook": "Look at it."},
            "lookupErrorSeverity": {"severity": "critical", "runbook": "Look it up by hand."},
            "route": {
                "receivers": ["slack", "pagerduty"],
                "group_by": ["businessProductId"],
                "repeat_window": "1d",
            },
        }
    ),
    "test routes",
)


@dataclass
class FakeReceiver:
    name: str
    grouped: bool
    failure: DeliveryError | None = None
    calls: list[list[str]] = field(default_factory=list)

    def deliver(self, alerts: Sequence[Alert], group: Group, *, budget: Budget) -> None:
        self.calls.append([alert.task_id for alert in alerts])
        if self.failure is not None:
            raise self.failure


@dataclass
class FakeLedger:
    delivered: set[str] = field(default_factory=set)
    released: list[str] = field(default_factory=list)
    parked: list[str] = field(default_factory=list)

    def claim(self, receiver: str, task_id: str, *, retry_parked: bool = False) -> Claim:
        key = f"{receiver}#{task_id}"
        state = ClaimState.ALREADY_DELIVERED if key in self.delivered else ClaimState.CLAIMED
        return Claim(state, key, "token")

    def mark_delivered(self, claims: Sequence[Claim], repeat_window_seconds: int) -> None:
        self.delivered.update(claim.key for claim in claims)

    def mark_parked(self, claim: Claim, repeat_window_seconds: int) -> None:
        self.parked.append(claim.key)

    def release(self, claim: Claim) -> None:
        self.released.append(claim.key)


@dataclass
class FakeParker:
    parked: list[tuple[str, str, str]] = field(default_factory=list)

    def park(self, record: SQSRecord, receiver: str, reason: str) -> None:
        self.parked.append((record.message_id, receiver, reason))


@dataclass
class FakeDelayer:
    delays: list[tuple[str, float]] = field(default_factory=list)

    def delay(self, record: SQSRecord, seconds: float) -> None:
        self.delays.append((record.message_id, seconds))


class NoMetrics:
    def count(self, name: str, value: int = 1, **dimensions: str) -> None:
        """Counts nothing."""


def message(task_id: str, *, business_product_id: str = "bp-1") -> str:
    return DeletionFailure(
        event_id=f"event-{task_id}",
        event_time="2026-11-29T11:00:00Z",
        detail_type="PERSONAL_DATA_DELETION_TASK_FAILED",
        business_product_id=business_product_id,
        task_id=task_id,
        status="FAILED",
        errors=[TaskError(code="NEW_CODE", message="something new")],
        lookup=LookupOutcome(status=LookupStatus.OK),
        received_at="2026-11-29T11:00:01Z",
    ).model_dump_json(by_alias=True)


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m{n}",
                "receiptHandle": f"r{n}",
                "body": body,
                "attributes": {},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:alerts",
            }
            for n, body in enumerate(bodies)
        ]
    }


def batch(
    *receivers: FakeReceiver, ledger: FakeLedger | None = None, parker: FakeParker | None = None
) -> AlertBatch:
    return AlertBatch(
        ROUTES,
        {receiver.name: receiver for receiver in receivers},
        ledger or FakeLedger(),
        NoMetrics(),
        budget=Budget(None, 0.0),
        parker=parker,
        now=NOW,
    )


def test_grouped_receivers_get_one_call_per_group_the_others_one_per_task() -> None:
    slack, pagerduty = FakeReceiver("slack", grouped=True), FakeReceiver("pagerduty", grouped=False)
    event = sqs_event(message("t-1"), message("t-2"), message("t-3", business_product_id="bp-2"))
    answer = route_batch(event, batch(slack, pagerduty))
    assert answer["batchItemFailures"] == []
    assert sorted(slack.calls) == [["t-1", "t-2"], ["t-3"]]  # grouped by business product
    assert sorted(pagerduty.calls) == [["t-1"], ["t-2"], ["t-3"]]


def test_a_record_failing_for_two_receivers_is_reported_once_with_the_longest_wait() -> None:
    slow = DeliveryError("slack", "HTTP 429", retryable=True, retry_after=30)
    down = DeliveryError("pagerduty", "HTTP 503", retryable=True, retry_after=90)
    slack = FakeReceiver("slack", grouped=True, failure=slow)
    pagerduty = FakeReceiver("pagerduty", grouped=False, failure=down)
    ledger, delayer = FakeLedger(), FakeDelayer()
    answer = route_batch(sqs_event(message("t-1")), batch(slack, pagerduty, ledger=ledger), delayer)
    assert answer["batchItemFailures"] == [{"itemIdentifier": "m0"}]
    assert delayer.delays == [("m0", 90)]
    assert sorted(ledger.released) == ["pagerduty#t-1", "slack#t-1"]  # free for the retry


def test_a_permanent_refusal_is_parked_and_not_reported_the_others_are_delivered() -> None:
    refused = DeliveryError("pagerduty", "HTTP 400: bad routing key", retryable=False)
    slack = FakeReceiver("slack", grouped=True)
    pagerduty = FakeReceiver("pagerduty", grouped=False, failure=refused)
    ledger, parker = FakeLedger(), FakeParker()
    answer = route_batch(
        sqs_event(message("t-1")), batch(slack, pagerduty, ledger=ledger, parker=parker)
    )
    assert answer["batchItemFailures"] == []
    assert parker.parked == [("m0", "pagerduty", "HTTP 400: bad routing key")]
    assert ledger.parked == ["pagerduty#t-1"]
    assert ledger.delivered == {"slack#t-1"}


def test_an_invalid_message_fails_alone() -> None:
    slack, pagerduty = FakeReceiver("slack", grouped=True), FakeReceiver("pagerduty", grouped=False)
    answer = route_batch(sqs_event('{"not": "a failure"}', message("t-1")), batch(slack, pagerduty))
    assert answer["batchItemFailures"] == [{"itemIdentifier": "m0"}]
    assert slack.calls == [["t-1"]]


def test_what_the_ledger_says_was_delivered_is_not_sent_again() -> None:
    slack, pagerduty = FakeReceiver("slack", grouped=True), FakeReceiver("pagerduty", grouped=False)
    ledger = FakeLedger(delivered={"slack#t-1"})
    answer = route_batch(sqs_event(message("t-1")), batch(slack, pagerduty, ledger=ledger))
    assert answer["batchItemFailures"] == []
    assert slack.calls == []
    assert pagerduty.calls == [["t-1"]]
