"""The router's stages end to end through route_batch, with fakes behind their seams:
receivers, the delivery ledger, the dead-letter parker and the delayer. Grouping,
exactly-once, and what SQS is told."""

from __future__ import annotations

import json

from bwp_privacy.alerting import (
    AlertAudit,
    Classifier,
    Deliverer,
    DeliveryError,
    RouterStages,
    RoutingConfig,
    load_routes,
    route_batch,
)
from bwp_privacy.common import Budget
from tests.alert_fakes import (
    NOW,
    ROUTES,
    FakeDelayer,
    FakeLedger,
    FakeLinks,
    FakeParker,
    FakeReceiver,
    NoMetrics,
    catalogue,
    ended,
    message,
    sqs_event,
)


def batch(
    *receivers: FakeReceiver,
    ledger: FakeLedger | None = None,
    parker: FakeParker | None = None,
    links: FakeLinks | None = None,
    routes: RoutingConfig = ROUTES,
) -> RouterStages:
    """The router's stages over fakes, as `RouterRuntime.stages` wires the real ones."""
    ledger, metrics, budget = ledger or FakeLedger(), NoMetrics(), Budget(None, 0.0)
    return RouterStages(
        classifier=Classifier(routes, [receiver.name for receiver in receivers], metrics, NOW),
        links=links,
        deliverers={
            receiver.name: Deliverer(
                receiver.name, receiver, ledger, metrics, budget=budget, parker=parker
            )
            for receiver in receivers
        },
        audit=AlertAudit(None, metrics),
        budget=budget,
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
