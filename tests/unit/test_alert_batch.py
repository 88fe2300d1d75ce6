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
    RoutingConfig,
    load_routes,
    route_batch,
)
from bwp_privacy.alerting.alert import Alert
from bwp_privacy.alerting.delivery import Threads
from bwp_privacy.alerting.ledger import Delivered
from bwp_privacy.catalogue import Catalogue, shipped_catalogue
from bwp_privacy.common import Budget
from bwp_privacy.contract import (
    LookupOutcome,
    LookupStatus,
    TaskError,
    TaskFailure,
)
from tests.case_notices import ended_notice

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def catalogue(default_runbook: str, lookup_runbook: str) -> Catalogue:
    """The shipped catalogue without its codes: every code critical, with these runbooks."""
    shipped = shipped_catalogue()
    return shipped.model_copy(
        update={
            "codes": {},
            "default": shipped.default.model_copy(update={"runbook": default_runbook}),
            "lookup_failed": shipped.lookup_failed.model_copy(update={"runbook": lookup_runbook}),
        }
    )


ROUTES = load_routes(
    json.dumps(
        {
            "version": 1,
            "route": {
                "receivers": ["slack", "pagerduty"],
                "group_by": ["businessProductId"],
                "repeat_window": "1d",
            },
        }
    ),
    "test routes",
    catalogue("Look at it.", "Look it up by hand."),
)


@dataclass
class FakeReceiver:
    name: str
    grouped: bool
    failure: DeliveryError | None = None
    send_resolved: bool = True
    calls: list[list[str]] = field(default_factory=list)
    #: (status, case id) of every alert delivered, in order.
    seen: list[tuple[str, str]] = field(default_factory=list)

    def deliver(
        self,
        alerts: Sequence[Alert],
        group: Group,
        *,
        budget: Budget,
        threads: Threads | None = None,
    ) -> Threads | None:
        self.calls.append([alert.task_id for alert in alerts])
        if self.failure is not None:
            raise self.failure
        self.seen += [(alert.status.value, alert.case_id) for alert in alerts]
        return None


@dataclass
class _Incident:
    sent: set[str] = field(default_factory=set)
    opened: bool = False
    send_resolved: bool = False
    ended: bool = False
    held: bool = False


@dataclass
class FakeLedger:
    """The ledger's rules (DeliveryLedger) in memory, one incident per (receiver, case)."""

    incidents: dict[str, _Incident] = field(default_factory=dict)
    released: list[str] = field(default_factory=list)
    parked: list[str] = field(default_factory=list)

    @classmethod
    def having_sent(cls, *keys: str) -> FakeLedger:
        """A ledger where each ``receiver#task`` got its task's failure alert."""
        ledger = cls()
        for key in keys:
            incident = ledger.incidents.setdefault(key, _Incident(opened=True))
            incident.sent.add(f"failed/{key.split('#', 1)[1]}")
        return ledger

    @property
    def delivered(self) -> set[str]:
        """``receiver#case`` of every incident something was delivered to."""
        return {key for key, item in self.incidents.items() if item.sent}

    def claim(
        self, receiver: str, case_id: str, transition: str, *, retry_parked: bool = False
    ) -> Claim:
        key = f"{receiver}#{case_id}"
        item = self.incidents.setdefault(key, _Incident())
        if transition in item.sent:
            return Claim(ClaimState.ALREADY_DELIVERED, key, "", "")
        if item.ended:
            return Claim(ClaimState.ENDED, key, "", "")
        if item.held:  # one delivery of a case at a time, as the lease makes it
            return Claim(ClaimState.IN_PROGRESS, key, "", "")
        item.held = True
        return Claim(ClaimState.CLAIMED, key, "token", transition, item.opened, item.send_resolved)

    def mark_delivered(
        self, delivered: Sequence[Delivered], repeat_window_seconds: int
    ) -> list[str]:
        for done in delivered:
            claim, item = done.claim, self.incidents[done.claim.key]
            assert item.held, f"{claim.key} written back without a claim"
            item.held = False
            item.sent.add(claim.transition)
            if claim.transition == "resolved":
                item.ended = True
            else:
                item.opened = True
                item.send_resolved |= done.send_resolved
        return []

    def mark_ended(self, claim: Claim) -> list[str]:
        self.incidents[claim.key].ended = True
        self.incidents[claim.key].held = False
        return []

    def mark_parked(self, claim: Claim, repeat_window_seconds: int) -> list[str]:
        self.parked.append(claim.key)
        self.incidents[claim.key].held = False
        return []

    def release(
        self, claim: Claim, *, maybe_sent: bool = False, send_resolved: bool = False
    ) -> None:
        self.released.append(claim.key)
        item = self.incidents[claim.key]
        item.held = False
        if maybe_sent:
            item.opened = True
            item.send_resolved |= send_resolved


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
    return TaskFailure(
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


@dataclass
class FakeLinks:
    """The reaction's task index: task id -> case id."""

    cases: dict[str, str] = field(default_factory=dict)

    def cases_of(self, task_ids: Sequence[str]) -> dict[str, str]:
        return {task: self.cases[task] for task in task_ids if task in self.cases}


def ended(case_id: str) -> str:
    """The reaction's notice that ``case_id`` ended, as the router's queue carries it."""
    return ended_notice(case_id, completed_task=case_id).model_dump_json(by_alias=True)


def batch(
    *receivers: FakeReceiver,
    ledger: FakeLedger | None = None,
    parker: FakeParker | None = None,
    links: FakeLinks | None = None,
    routes: RoutingConfig = ROUTES,
) -> AlertBatch:
    return AlertBatch(
        routes,
        {receiver.name: receiver for receiver in receivers},
        ledger or FakeLedger(),
        NoMetrics(),
        budget=Budget(None, 0.0),
        parker=parker,
        links=links,
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
    ledger = FakeLedger.having_sent("slack#t-1")
    answer = route_batch(sqs_event(message("t-1")), batch(slack, pagerduty, ledger=ledger))
    assert answer["batchItemFailures"] == []
    assert slack.calls == []
    assert pagerduty.calls == [["t-1"]]


def test_a_case_is_one_incident_triggered_updated_and_resolved_once_per_receiver() -> None:
    slack, pagerduty = FakeReceiver("slack", grouped=True), FakeReceiver("pagerduty", grouped=False)
    ledger, links = FakeLedger(), FakeLinks({"t-2": "t-1"})  # t-2 resubmitted for case t-1
    for body in (message("t-1"), message("t-2"), ended("t-1"), ended("t-1"), message("t-2")):
        answer = route_batch(sqs_event(body), batch(slack, pagerduty, ledger=ledger, links=links))
        assert answer["batchItemFailures"] == []
    expected = [("firing", "t-1"), ("firing", "t-1"), ("resolved", "t-1")]
    assert pagerduty.seen == expected  # the redelivered end and the late failure: nothing
    assert slack.seen == expected


def test_a_case_that_ended_before_its_trigger_arrived_is_neither_resolved_nor_triggered() -> None:
    slack, pagerduty = FakeReceiver("slack", grouped=True), FakeReceiver("pagerduty", grouped=False)
    ledger = FakeLedger()
    for body in (ended("t-1"), message("t-1")):
        route_batch(sqs_event(body), batch(slack, pagerduty, ledger=ledger))
    assert pagerduty.seen == slack.seen == []


def test_a_resolve_goes_only_where_a_route_sent_the_trigger_and_wants_resolves() -> None:
    routes = load_routes(
        json.dumps(
            {
                "version": 1,
                "route": {
                    "receivers": ["slack"],
                    "group_by": ["businessProductId"],
                    "repeat_window": "1d",
                    "send_resolved": False,
                    "routes": [
                        {
                            "match": {"businessProductId": ["bp-paged"]},
                            "receivers": ["pagerduty"],
                            "send_resolved": True,
                        }
                    ],
                },
            }
        ),
        "test routes",
        catalogue("Look at it.", "By hand."),
    )
    slack, pagerduty = FakeReceiver("slack", grouped=True), FakeReceiver("pagerduty", grouped=False)
    ledger = FakeLedger()
    for body in (message("t-1"), message("t-2", business_product_id="bp-paged")):
        route_batch(sqs_event(body), batch(slack, pagerduty, ledger=ledger, routes=routes))
    route_batch(
        sqs_event(ended("t-1"), ended("t-2")), batch(slack, pagerduty, ledger=ledger, routes=routes)
    )
    assert slack.seen == [("firing", "t-1")]  # its route turned resolves off
    assert pagerduty.seen == [("firing", "t-2"), ("resolved", "t-2")]  # never told of t-1


def test_two_steps_of_one_case_in_one_batch_go_out_in_turn_not_as_a_conflict() -> None:
    slack, pagerduty = FakeReceiver("slack", grouped=True), FakeReceiver("pagerduty", grouped=False)
    links = FakeLinks({"t-2": "t-1", "t-3": "t-1"})
    answer = route_batch(
        sqs_event(message("t-1"), message("t-2"), message("t-3")),
        batch(slack, pagerduty, links=links),
    )
    assert answer["batchItemFailures"] == []
    assert slack.calls == [["t-1"], ["t-2"], ["t-3"]]  # one case: one step at a time
    assert pagerduty.seen == [("firing", "t-1")] * 3


def test_a_case_that_ends_within_the_batch_is_opened_then_resolved() -> None:
    slack, pagerduty = FakeReceiver("slack", grouped=True), FakeReceiver("pagerduty", grouped=False)
    route_batch(sqs_event(ended("t-1"), message("t-1")), batch(slack, pagerduty))
    assert pagerduty.seen == slack.seen == [("firing", "t-1"), ("resolved", "t-1")]


def test_a_trigger_whose_answer_was_lost_is_still_resolved() -> None:
    lost = DeliveryError(
        "pagerduty", "request failed: ReadTimeout", retryable=True, maybe_sent=True
    )
    pagerduty = FakeReceiver("pagerduty", grouped=False, failure=lost)
    ledger = FakeLedger()
    answer = route_batch(sqs_event(message("t-1")), batch(pagerduty, ledger=ledger))
    assert answer["batchItemFailures"] == [{"itemIdentifier": "m0"}]  # retried later
    pagerduty.failure = None
    route_batch(sqs_event(ended("t-1")), batch(pagerduty, ledger=ledger))  # the end comes first
    assert pagerduty.seen == [("resolved", "t-1")]  # PagerDuty may have the incident: resolved
