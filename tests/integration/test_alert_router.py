"""The real alert router against moto (queue, ledger, SNS, EventBridge, SSM) and the sink."""

from __future__ import annotations

import importlib
import json
from types import ModuleType
from typing import Any

import boto3
import pytest

from bwp_privacy.bwp_api.models import TaskError
from bwp_privacy.failure import DeletionFailure, LookupOutcome, LookupStatus
from bwp_sandbox.event_source import SqsEventSource, sqs_record
from bwp_sandbox.lambda_context import LocalLambdaContext
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.seed import SAMPLE_SHOPPER_EMAIL
from bwp_sandbox.stack import drain_queue
from tests.conftest import EVENTS

pytestmark = pytest.mark.integration

HTTP_KINDS = ("pagerduty", "slack", "teams", "webhook")


def failure_body(
    task_id: str, *codes: str | None, bp: str = "bp-1", lookup: LookupStatus = LookupStatus.OK
) -> dict[str, Any]:
    """A failure message as the recorder publishes it (schema 1.0)."""
    failure = DeletionFailure(
        event_id=f"event-{task_id}",
        event_time="2026-11-20T12:34:56Z",
        detail_type="PERSONAL_DATA_DELETION_TASK_FAILED",
        business_product_id=bp,
        task_id=task_id,
        status="FAILED" if lookup is LookupStatus.OK else None,
        submission_date="2026-10-02T09:12:44Z",
        errors=[TaskError(code=code, message=f"{code} for this task") for code in codes],
        lookup=LookupOutcome(status=lookup, error_type="AccessDeniedError", message="denied")
        if lookup is not LookupStatus.OK
        else LookupOutcome(status=lookup),
        received_at="2026-11-20T12:35:00Z",
    )
    return failure.to_json_dict()


def publish(
    sandbox: Sandbox,
    task_id: str,
    *codes: str | None,
    bp: str = "bp-1",
    lookup: LookupStatus = LookupStatus.OK,
) -> dict[str, Any]:
    """Publish a failure message on the failures topic, as the recorder does."""
    body = failure_body(task_id, *codes, bp=bp, lookup=lookup)
    boto3.client("sns").publish(TopicArn=sandbox.stack.failures_topic_arn, Message=json.dumps(body))
    return body


def source(sandbox: Sandbox, router: ModuleType, batch_size: int = 100) -> SqsEventSource:
    return SqsEventSource(sandbox.stack.alert_queue_url, router.handler, batch_size=batch_size)


def delivered(sandbox: Sandbox) -> dict[str, list[str]]:
    """Task ids each receiver got, in order (grouped messages expanded)."""
    got: dict[str, list[str]] = {kind: [] for kind in (*HTTP_KINDS, "amazon-q", "eventbridge")}
    for request in sandbox.sink.received("pagerduty"):
        got["pagerduty"].append(request["body"]["dedup_key"])
    for kind in ("slack", "teams"):
        for request in sandbox.sink.received(kind):
            text = json.dumps(request["body"])
            got[kind].extend(t for t in _task_ids if t in text)
    for request in sandbox.sink.received("webhook"):
        got["webhook"].extend(a["task_id"] for a in request["body"]["alerts"])
    for message in drain_queue(sandbox.receivers.amazon_q_queue_url):
        got["amazon-q"].append(json.loads(message["Body"])["metadata"]["threadId"])
    for message in drain_queue(sandbox.receivers.eventbridge_queue_url):
        got["eventbridge"].append(json.loads(message["Body"])["detail"]["task_id"])
    return got


_task_ids: list[str] = []


@pytest.fixture(autouse=True)
def _known_tasks() -> None:
    _task_ids.clear()


def tasks(*ids: str) -> tuple[str, ...]:
    _task_ids.extend(ids)
    return ids


def test_routing_matrix_with_the_shipped_routes(router: ModuleType, sandbox: Sandbox) -> None:
    orders, not_found, unknown, lookup = tasks("t-orders", "t-notfound", "t-unknown", "t-lookup")
    publish(sandbox, orders, "ORDERS_NOT_CLOSED")
    publish(sandbox, not_found, "DATA_SUBJECT_NOT_FOUND", bp="bp-2")
    publish(sandbox, unknown, "BRAND_NEW_CODE", bp="bp-3")
    publish(sandbox, lookup, lookup=LookupStatus.ACCESS_DENIED, bp="bp-4")

    result = source(sandbox, router).poll_once()
    assert (result.received, result.failed) == (4, 0)
    got = delivered(sandbox)
    assert sorted(got["pagerduty"]) == [lookup, unknown]  # critical pages
    assert (
        sorted(got["slack"])
        == sorted(got["teams"])
        == sorted(got["amazon-q"])
        == [lookup, orders, unknown]
    )
    assert (
        sorted(got["webhook"]) == sorted(got["eventbridge"]) == [lookup, not_found, orders, unknown]
    )


def test_every_alert_carries_what_on_call_needs(router: ModuleType, sandbox: Sandbox) -> None:
    [task] = tasks("t-full")
    publish(sandbox, task, "BRAND_NEW_CODE")
    source(sandbox, router).poll_once()
    [page] = sandbox.sink.received("pagerduty")
    details = page["body"]["payload"]["custom_details"]
    assert page["body"]["dedup_key"] == task
    assert page["body"]["payload"]["severity"] == "critical"
    text = json.dumps(page["body"])
    for expected in (
        task,
        "bp-1",
        "BRAND_NEW_CODE",
        "BRAND_NEW_CODE for this task",
        "FAILED",
        "2026-10-02",
        "days ago",
        "CCPA",
        "GDPR",
        "bwp-privacy task show",
    ):
        assert expected in text, expected
    assert details["task_id"] == task
    assert details["error_codes"] == ["BRAND_NEW_CODE"]
    [slack] = sandbox.sink.received("slack")
    assert "Unknown deletion error" in json.dumps(slack["body"])  # the runbook


def test_redelivered_message_reaches_each_receiver_once(
    router: ModuleType, sandbox: Sandbox
) -> None:
    [task] = tasks("t-dup")
    body = publish(sandbox, task, "BRAND_NEW_CODE")
    events = source(sandbox, router)
    events.poll_once()
    # SNS/SQS deliver at least once: the same message again, in a later batch and twice in one.
    for _ in range(3):
        boto3.client("sns").publish(
            TopicArn=sandbox.stack.failures_topic_arn, Message=json.dumps(body)
        )
    events.poll_once()
    got = delivered(sandbox)
    assert all(ids == [task] for ids in got.values()), got


def test_one_failing_receiver_only_retries_its_own_delivery(
    router: ModuleType, sandbox: Sandbox
) -> None:
    [task] = tasks("t-partial")
    publish(sandbox, task, "BRAND_NEW_CODE")
    sandbox.sink.fail("slack", status=503, times=3)  # every attempt of the first delivery
    events = source(sandbox, router)
    first = events.poll_once(retry_now=True)
    assert first.failed == 1
    assert len(sandbox.sink.attempts("slack")) == 3
    assert sandbox.sink.received("slack") == []
    assert len(sandbox.sink.received("pagerduty")) == 1

    second = events.poll_once(retry_now=True)
    assert (second.received, second.failed) == (1, 0)
    got = delivered(sandbox)
    assert all(ids == [task] for ids in got.values()), got  # nothing resent to the others


def test_permanent_rejection_ends_in_the_dead_letter_queue(
    router: ModuleType, sandbox: Sandbox
) -> None:
    [task] = tasks("t-400")
    publish(sandbox, task, "BRAND_NEW_CODE")
    sandbox.sink.fail("pagerduty", status=400, times=100)
    source(sandbox, router).drain(retry_now=True)
    # 400 is not retried within a delivery: one attempt per receive, 5 receives, then the DLQ.
    assert len(sandbox.sink.attempts("pagerduty")) == 5
    [parked] = drain_queue(sandbox.stack.alert_dlq_url)
    assert json.loads(parked["Body"])["taskId"] == task
    assert delivered(sandbox)["slack"] == [task]


def test_invalid_message_is_rejected_alone(router: ModuleType, sandbox: Sandbox) -> None:
    [task] = tasks("t-good")
    publish(sandbox, task, "ORDERS_NOT_CLOSED")
    sns = boto3.client("sns")
    sns.publish(TopicArn=sandbox.stack.failures_topic_arn, Message='{"schema": "something else"}')
    events = source(sandbox, router)
    first = events.poll_once(retry_now=True)
    assert (first.received, first.failed) == (2, 1)
    assert delivered(sandbox)["slack"] == [task]
    events.drain(retry_now=True)
    [parked] = drain_queue(sandbox.stack.alert_dlq_url)
    assert json.loads(parked["Body"]) == {"schema": "something else"}


def _override_routes(
    monkeypatch: pytest.MonkeyPatch, router: ModuleType, routes: dict[str, Any] | str
) -> ModuleType:
    text = routes if isinstance(routes, str) else json.dumps(routes)
    boto3.client("ssm").put_parameter(
        Name="/bwp-privacy/routes", Value=text, Type="String", Overwrite=True
    )
    monkeypatch.setenv("ROUTES_PARAMETER_NAME", "/bwp-privacy/routes")
    return importlib.reload(router)


STORM_ROUTES: dict[str, Any] = {
    "version": 1,
    "severities": {"ORDERS_NOT_CLOSED": {"severity": "critical", "runbook": "Close the orders."}},
    "defaultSeverity": {"severity": "critical", "runbook": "Look."},
    "lookupErrorSeverity": {"severity": "critical", "runbook": "Look."},
    "route": {
        "receivers": ["slack", "pagerduty"],
        "group_by": ["businessProductId", "errorCode"],
        "repeat_window": "1d",
    },
}


def test_storm_is_grouped_for_chat_and_one_page_per_task(
    router: ModuleType, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    router = _override_routes(monkeypatch, router, STORM_ROUTES)
    ids = tasks(*(f"storm-{n:04d}" for n in range(500)))
    # Five full batches, as the event source mapping hands them over within one window. The
    # records are built directly: moto's ReceiveMessage slows down with hundreds queued.
    failed = 0
    for start in range(0, len(ids), 100):
        records = [
            sqs_record(
                {
                    "MessageId": f"m-{task}",
                    "ReceiptHandle": f"r-{task}",
                    "Body": json.dumps(failure_body(task, "ORDERS_NOT_CLOSED")),
                    "MD5OfBody": "-",
                },
                "arn:aws:sqs:us-east-1:123456789012:bwp-privacy-AlertQueue",
            )
            for task in ids[start : start + 100]
        ]
        answer = router.handler({"Records": records}, LocalLambdaContext())
        failed += len(answer["batchItemFailures"])
    assert failed == 0
    slack = sandbox.sink.received("slack")
    assert 1 <= len(slack) <= 5  # one message per batch window and group, not 500
    listed = "".join(json.dumps(m["body"]) for m in slack)
    assert all(task in listed for task in ids)
    pages = [r["body"]["dedup_key"] for r in sandbox.sink.received("pagerduty")]
    assert sorted(pages) == sorted(ids)


def test_invalid_routes_override_fails_loudly(
    router: ModuleType, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = {**STORM_ROUTES, "route": {**STORM_ROUTES["route"], "receivers": ["pager"]}}
    router = _override_routes(monkeypatch, router, broken)
    [task] = tasks("t-broken-routes")
    publish(sandbox, task, "ORDERS_NOT_CLOSED")
    result = source(sandbox, router).poll_once()
    assert result.failed == 1  # the message stays on the queue; nothing routed anywhere
    got = delivered(sandbox)
    assert all(deliveries == [] for deliveries in got.values()), got
    from bwp_privacy.alerting.routes import RoutesError

    with pytest.raises(
        RoutesError, match=r"SSM parameter /bwp-privacy/routes: route.receivers\[0\]"
    ):
        router.handler({"Records": []}, LocalLambdaContext())


def test_routes_to_undeployed_receivers_fall_back_to_the_default_route(
    router: ModuleType, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    for setting in ("WEBHOOK_SECRET_ID", "ALERT_EVENT_BUS_NAME"):
        monkeypatch.setenv(setting, "")  # not deployed
    router = importlib.reload(router)
    [task] = tasks("t-fallback")
    publish(sandbox, task, "DATA_SUBJECT_NOT_FOUND")  # quiet route: webhook + eventbridge only
    assert source(sandbox, router).poll_once().failed == 0
    got = delivered(sandbox)
    assert got["slack"] == got["teams"] == got["amazon-q"] == [task]


def test_no_deployed_receiver_at_all_keeps_the_message(
    router: ModuleType, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    routes = {**STORM_ROUTES, "route": {**STORM_ROUTES["route"], "receivers": ["teams"]}}
    monkeypatch.setenv("TEAMS_SECRET_ID", "")
    router = _override_routes(monkeypatch, router, routes)
    tasks("t-nowhere")
    publish(sandbox, "t-nowhere", "ORDERS_NOT_CLOSED")
    assert source(sandbox, router).poll_once().failed == 1


def test_end_to_end_from_event_to_receivers_without_personal_data(
    app: ModuleType, router: ModuleType, sandbox: Sandbox
) -> None:
    for path in sorted(EVENTS.glob("*.json")):
        app.handler(json.loads(path.read_text()), LocalLambdaContext())
    tasks(
        "4a1d2f3e-5b6c-4d7e-8f90-a1b2c3d4e5f6",
        "7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f",
        "d4e5f6a7-b8c9-4d0e-a1f2-b3c4d5e6f7a8",
    )
    assert source(sandbox, router).poll_once().failed == 0
    everything = json.dumps([sandbox.sink.attempts(kind) for kind in HTTP_KINDS])
    got = delivered(sandbox)
    assert got["pagerduty"] == ["d4e5f6a7-b8c9-4d0e-a1f2-b3c4d5e6f7a8"]  # the failed lookup
    assert SAMPLE_SHOPPER_EMAIL not in everything
    assert "example.com" not in everything
