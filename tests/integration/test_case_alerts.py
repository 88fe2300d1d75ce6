"""Alerts that follow the case, end to end in the sandbox with the template's IAM enforced: the
recorder, the reaction and the alert router as deployed, the receivers played by the sink
(HTTP) and by moto (SNS for Amazon Q, EventBridge). One incident per case in each receiver:
opened once, updated by the case's later failures and escalations, resolved once, and only
where it was opened."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from bwp_privacy.cases import CaseState
from bwp_privacy_cli.local import LocalFunction
from bwp_sandbox.admin import admin_client
from bwp_sandbox.event_source import SqsEventSource
from bwp_sandbox.receivers import PAGERDUTY_ROUTING_KEY
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.stack import drain_queue
from bwp_sandbox.timeline import Timeline
from tests.integration.reaction_helpers import case, failed_task, open_case

pytestmark = pytest.mark.integration


@pytest.fixture
def timeline(sandbox: Sandbox) -> Timeline:
    return Timeline(sandbox)


@pytest.fixture
def router(sandbox: Sandbox) -> LocalFunction:
    return sandbox.router.cold_start()


class Received:
    """What every receiver got so far, as (status, case) in order, per receiver."""

    def __init__(self) -> None:
        self.by_receiver: dict[str, list[tuple[str, str]]] = {}
        self.pagerduty: list[dict[str, Any]] = []
        self.amazon_q: list[dict[str, Any]] = []

    def collect(self, sandbox: Sandbox) -> None:
        sink = sandbox.sink
        self.pagerduty = [request["body"] for request in sink.received("pagerduty")]
        self.by_receiver["pagerduty"] = [
            ("resolved" if body["event_action"] == "resolve" else "firing", body["dedup_key"])
            for body in self.pagerduty
        ]
        self.by_receiver["webhook"] = [
            (alert["status"], alert["case_id"])
            for request in sink.received("webhook")
            for alert in request["body"]["alerts"]
        ]
        self.by_receiver.setdefault("eventbridge", [])
        for message in drain_queue(sandbox.receivers.eventbridge_queue_url):
            detail = json.loads(message["Body"])["detail"]
            self.by_receiver["eventbridge"].append((detail["status"], detail["case_id"]))
        self.by_receiver.setdefault("amazon-q", [])
        for message in drain_queue(sandbox.receivers.amazon_q_queue_url):
            note = json.loads(message["Body"])
            self.amazon_q.append(note)
            status = note["metadata"]["additionalContext"]["alertStatus"]
            self.by_receiver["amazon-q"].append((status, note["metadata"]["threadId"]))


def route(sandbox: Sandbox, router: LocalFunction) -> int:
    """Run the alert router over everything on its queue; how many records failed."""
    source = SqsEventSource(sandbox.stack.alert_queue_url, router, batch_size=10)
    return sum(result.failed for result in source.drain())


def close(sandbox: Sandbox, case_id: str, reason: str) -> None:
    """`bwp-privacy cases close`, as an operator runs it: a request to the reaction."""
    sandbox.operate(
        {"action": "close", "caseId": case_id, "reason": reason, "closedAs": "cancelled"}
    )


def test_a_resubmitted_case_is_one_incident_updated_then_resolved_in_every_receiver(
    sandbox: Sandbox, timeline: Timeline, router: LocalFunction
) -> None:
    failed_task(
        sandbox, "t-life", "ORDERS_NOT_CLOSED", email="life@example.com", orders_open_days=10
    )
    open_case(sandbox, timeline, "t-life")
    assert route(sandbox, router) == 0
    timeline.advance(7)  # attempt 1 fails again: the same case's incident is updated
    assert route(sandbox, router) == 0
    timeline.advance(7)  # attempt 2 completes: the incident is resolved
    done = case(sandbox, "t-life")
    assert done.state is CaseState.COMPLETED
    assert route(sandbox, router) == 0

    received = Received()
    received.collect(sandbox)
    life = [("firing", "t-life"), ("firing", "t-life"), ("resolved", "t-life")]
    for receiver in ("webhook", "eventbridge", "amazon-q"):
        assert received.by_receiver[receiver] == life, receiver
    # The second firing alert is the resubmitted task's failure, on the case's incident; the
    # resolve names the task that completed.
    assert [note["metadata"]["additionalContext"]["taskId"] for note in received.amazon_q] == [
        task.task_id for task in done.tasks
    ]
    # ORDERS_NOT_CLOSED is a warning: PagerDuty was never told of it, so nothing resolves there.
    assert received.by_receiver["pagerduty"] == []
    slack = [request["body"]["text"] for request in sandbox.sink.received("slack")]
    assert len(slack) == 3
    assert slack[2].startswith("[RESOLVED] Deletion case t-life completed")


def test_a_paged_case_is_resolved_once_whatever_is_delivered_again(
    sandbox: Sandbox, timeline: Timeline, router: LocalFunction
) -> None:
    # An unknown code: the case is escalated, and both the failure and the escalation page.
    failed_task(sandbox, "t-paged", "BRAND_NEW_CODE", email="paged@example.com")
    assert open_case(sandbox, timeline, "t-paged").state is CaseState.ESCALATED
    assert route(sandbox, router) == 0
    close(sandbox, "t-paged", "handled with Buy with Prime support")
    assert route(sandbox, router) == 0

    # Every message of the case delivered again (SNS and SQS deliver at least once).
    tap = drain_queue(sandbox.stack.tap_queue_url)
    notices = [m for m in tap if json.loads(m["Body"]).get("caseId") == "t-paged"]
    assert {json.loads(m["Body"])["kind"] for m in notices} == {"escalated", "ended"}
    sqs = admin_client("sqs")
    for message in reversed(tap):  # and out of order
        sqs.send_message(QueueUrl=sandbox.stack.alert_queue_url, MessageBody=message["Body"])
    assert route(sandbox, router) == 0

    received = Received()
    received.collect(sandbox)
    pages = received.by_receiver["pagerduty"]
    assert Counter(pages) == {("firing", "t-paged"): 2, ("resolved", "t-paged"): 1}
    assert pages[-1] == ("resolved", "t-paged")  # no resolve before its trigger
    assert {body["routing_key"] for body in received.pagerduty} == {PAGERDUTY_ROUTING_KEY}


def test_a_case_that_ended_before_its_failure_was_routed_alerts_nobody(
    sandbox: Sandbox, timeline: Timeline, router: LocalFunction
) -> None:
    failed_task(sandbox, "t-quick", "BRAND_NEW_CODE", email="quick@example.com")
    open_case(sandbox, timeline, "t-quick")
    close(sandbox, "t-quick", "resolved before anyone looked")
    # The router's queue in reverse: the end first, then the failure and the escalation.
    messages = drain_queue(sandbox.stack.alert_queue_url)
    sqs = admin_client("sqs")
    ended = [m for m in messages if json.loads(m["Body"]).get("kind") == "ended"]
    others = [m for m in messages if m not in ended]
    for message in [*ended, *others]:
        sqs.send_message(QueueUrl=sandbox.stack.alert_queue_url, MessageBody=message["Body"])
        assert route(sandbox, router) == 0
    received = Received()
    received.collect(sandbox)
    assert all(got == [] for got in received.by_receiver.values()), received.by_receiver
    assert sandbox.sink.received("slack") == []
