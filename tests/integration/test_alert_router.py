"""The real alert router against moto (queue, ledger, SNS, EventBridge, SSM) and the sink."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from bwp_privacy.alerting.queues import MAX_DELAY_SECONDS
from bwp_privacy.catalogue import shipped_catalogue_path
from bwp_privacy.contract import LookupOutcome, LookupStatus, TaskError, TaskFailure
from bwp_privacy_cli.local import LocalFunction, LocalLambdaContext
from bwp_privacy_cli.main import cli
from bwp_sandbox.event_source import PollResult, SqsEventSource, sqs_record
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.seed import SAMPLE_BUSINESS_PRODUCT_ID, SAMPLE_SHOPPER_EMAIL
from bwp_sandbox.stack import drain_queue
from tests.conftest import EVENTS, load_event
from tests.integration.helpers import stored_items

pytestmark = pytest.mark.integration

HTTP_KINDS = ("pagerduty", "slack", "teams", "webhook")


def failure_body(
    task_id: str, *codes: str | None, bp: str = "bp-1", lookup: LookupStatus = LookupStatus.OK
) -> dict[str, Any]:
    """A failure message as the recorder publishes it (schema 1.0)."""
    failure = TaskFailure(
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


def source(
    sandbox: Sandbox, router: LocalFunction, batch_size: int = 100, timeout_seconds: float = 60
) -> SqsEventSource:
    return SqsEventSource(
        sandbox.stack.alert_queue_url,
        router,
        batch_size=batch_size,
        timeout_seconds=timeout_seconds,
    )


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


def test_routing_matrix_with_the_shipped_routes(router: LocalFunction, sandbox: Sandbox) -> None:
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


def test_every_alert_carries_what_on_call_needs(router: LocalFunction, sandbox: Sandbox) -> None:
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
    router: LocalFunction, sandbox: Sandbox
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
    router: LocalFunction, sandbox: Sandbox
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


def test_a_permanent_refusal_is_parked_at_once_and_a_redrive_retries_that_receiver_alone(
    router: LocalFunction, sandbox: Sandbox
) -> None:
    [task] = tasks("t-400")
    body = publish(sandbox, task, "BRAND_NEW_CODE")
    sandbox.sink.fail("pagerduty", status=400, times=100)
    events = source(sandbox, router)
    first = events.poll_once()
    # Not retried, not reported failed: parked at once with PagerDuty's answer as the reason.
    assert (first.received, first.failed) == (1, 0)
    assert len(sandbox.sink.attempts("pagerduty")) == 1
    [parked] = drain_queue(sandbox.stack.alert_dlq_url)
    assert json.loads(parked["Body"])["taskId"] == task
    attributes = {k: v["StringValue"] for k, v in parked["MessageAttributes"].items()}
    assert attributes == {
        "parkedReceiver": "pagerduty",
        "parkedReason": 'HTTP 400: {"message": "injected fault"}',
    }
    assert delivered(sandbox)["slack"] == [task]  # the others are unaffected

    # The same message again (SQS delivers at least once): nobody is asked again, PagerDuty
    # included, although it would now accept (a fixed receiver is a redrive's business).
    sandbox.sink.clear()
    boto3.client("sns").publish(TopicArn=sandbox.stack.failures_topic_arn, Message=json.dumps(body))
    assert events.poll_once().failed == 0
    assert sandbox.sink.attempts("pagerduty") == []
    assert all(ids == [] for ids in delivered(sandbox).values())

    # `dlq redrive` sends it back for PagerDuty alone.
    boto3.client("sqs").send_message(
        QueueUrl=sandbox.stack.alert_queue_url,
        MessageBody=parked["Body"],
        MessageAttributes={"redriveFor": {"DataType": "String", "StringValue": "pagerduty"}},
    )
    assert events.poll_once().failed == 0
    got = delivered(sandbox)
    assert got["pagerduty"] == [task]
    assert all(ids == [] for kind, ids in got.items() if kind != "pagerduty"), got


def test_a_retry_after_longer_than_the_time_left_keeps_the_record_away_until_then(
    router: LocalFunction, sandbox: Sandbox
) -> None:
    [task] = tasks("t-429")
    publish(sandbox, task, "BRAND_NEW_CODE")
    # Slack asks for 2 minutes, longer than the whole 60 s invocation: the wait cannot fit in
    # the time left however slow the machine is, and the first attempt has 58 s to be made
    # (a budget of a second or two is spent before Slack is even asked on a busy machine).
    retry_after = 120
    sandbox.sink.fail("slack", status=429, retry_after=retry_after, times=1)
    events = source(sandbox, router, timeout_seconds=60)
    queue = sandbox.stack.alert_queue_url
    started = time.monotonic()
    first = events.poll_once()
    [hidden] = sandbox.aws.hidden_for(queue)
    since = time.monotonic() - started
    assert first.failed == 1
    assert [a["status"] for a in sandbox.sink.attempts("slack")] == [429]  # no early retry
    sqs = boto3.client("sqs")
    assert sqs.receive_message(QueueUrl=queue).get("Messages") is None
    # Away for Slack's 120 s (less the time since it was put away), not for the queue's
    # visibility timeout: read from moto rather than waited out.
    visibility = int(
        sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["VisibilityTimeout"])[
            "Attributes"
        ]["VisibilityTimeout"]
    )
    assert retry_after < visibility
    assert retry_after - since - 1 <= hidden <= retry_after
    # Once that time is over (the sandbox skips it), the record is back and Slack gets it.
    events.release_failed()
    assert events.poll_once() == PollResult(received=1, failed=0)
    assert delivered(sandbox)["slack"] == [task]


def test_a_retry_after_beyond_what_sqs_allows_keeps_the_record_away_as_long_as_it_may(
    router: LocalFunction, sandbox: Sandbox
) -> None:
    [task] = tasks("t-429-day")
    publish(sandbox, task, "BRAND_NEW_CODE")
    # A day: more than the 12 hours SQS lets a message stay in flight from its receive.
    sandbox.sink.fail("slack", status=429, retry_after=86_400, times=1)
    assert source(sandbox, router).poll_once().failed == 1
    # Held off for (nearly) 12 hours, not left to the queue's 11-minute visibility timeout
    # because SQS refused a delay reaching past the receive + 12 hours.
    [hidden] = sandbox.aws.hidden_for(sandbox.stack.alert_queue_url)
    assert MAX_DELAY_SECONDS - 60 < hidden <= MAX_DELAY_SECONDS


def test_a_refusal_whose_answer_holds_control_characters_is_parked_once_and_cleaned(
    router: LocalFunction, sandbox: Sandbox
) -> None:
    [task] = tasks("t-400-nul")
    publish(sandbox, task, "BRAND_NEW_CODE")
    # A NUL and ANSI colour escapes: SQS refuses both in a message attribute.
    answer = b'{"message": "no\x00 route \x1b[31mfor\x1b[0m this key"}'
    sandbox.sink.fail("pagerduty", status=400, body=answer, times=100)
    events = source(sandbox, router)
    first = events.poll_once(retry_now=True)
    assert (first.received, first.failed) == (1, 0)
    [parked] = drain_queue(sandbox.stack.alert_dlq_url)
    attributes = {k: v["StringValue"] for k, v in parked["MessageAttributes"].items()}
    assert attributes == {
        "parkedReceiver": "pagerduty",
        # Cleaned where the answer came in: each run of control characters one space.
        "parkedReason": 'HTTP 400: {"message": "no  route  [31mfor [0m this key"}',
    }
    # Parked, so not retried: PagerDuty was asked once, and nothing is left to deliver.
    assert events.drain() == []
    assert len(sandbox.sink.attempts("pagerduty")) == 1
    assert delivered(sandbox)["slack"] == [task]


def test_a_receiver_that_never_answers_holds_neither_the_others_nor_the_answer(
    sandbox: Sandbox,
) -> None:
    router = sandbox.router.with_environment(ALERT_HTTP_TIMEOUT_SECONDS="5").cold_start()
    [task] = tasks("t-hung")
    publish(sandbox, task, "BRAND_NEW_CODE")
    sandbox.sink.hang("slack", 30, times=10)  # every attempt held far past the invocation
    context = LocalLambdaContext(function_name="AlertRouterFunction", timeout_seconds=8)
    [message] = boto3.client("sqs").receive_message(
        QueueUrl=sandbox.stack.alert_queue_url, AttributeNames=["All"]
    )["Messages"]
    started = time.monotonic()
    answer = router.handler(
        {"Records": [sqs_record(message, sandbox.stack.resources["AlertQueue"].attributes["Arn"])]},
        context,
    )
    # Answered in time, with room to spare (Lambda would otherwise fail the whole batch).
    assert context.get_remaining_time_in_millis() > 1000
    assert answer["batchItemFailures"] == [{"itemIdentifier": message["MessageId"]}]
    got = delivered(sandbox)
    assert got["pagerduty"] == got["teams"] == got["webhook"] == [task]
    # Delivered side by side: Teams was not kept waiting behind Slack's 5 s timeouts.
    assert sandbox.sink.received("teams")[0]["arrived"] < started + 2.0


def test_invalid_message_is_rejected_alone(router: LocalFunction, sandbox: Sandbox) -> None:
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


def test_a_message_nested_past_the_parsers_depth_is_rejected_alone(
    router: LocalFunction, sandbox: Sandbox
) -> None:
    """JSON nested deeper than Python's parser goes raises RecursionError, not ValueError:
    it is an invalid message like any other, not a batch that fails whole."""
    [task] = tasks("t-deep")
    publish(sandbox, task, "ORDERS_NOT_CLOSED")
    deep = "[" * 5000 + "]" * 5000
    boto3.client("sqs").send_message(QueueUrl=sandbox.stack.alert_queue_url, MessageBody=deep)
    events = source(sandbox, router)
    first = events.poll_once(retry_now=True)
    assert (first.received, first.failed) == (2, 1)
    assert delivered(sandbox)["slack"] == [task]
    events.drain(retry_now=True)
    [parked] = drain_queue(sandbox.stack.alert_dlq_url)
    assert parked["Body"] == deep


def _override_routes(
    sandbox: Sandbox, routes: dict[str, Any] | str, **parameters: str
) -> LocalFunction:
    """Put a routes file and the storm's catalogue in SSM and redeploy the router with
    RoutesParameterName and CatalogueParameterName naming them."""
    text = routes if isinstance(routes, str) else json.dumps(routes)
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/bwp-privacy/routes", Value=text, Type="String", Overwrite=True)
    ssm.put_parameter(
        Name="/bwp-privacy/catalogue",
        Value=json.dumps(STORM_CATALOGUE),
        Type="String",
        Overwrite=True,
    )
    deployed = sandbox.deploy(
        RoutesParameterName="/bwp-privacy/routes",
        CatalogueParameterName="/bwp-privacy/catalogue",
        **parameters,
    )
    return deployed.router.cold_start()


def _storm_catalogue() -> dict[str, Any]:
    """The shipped catalogue with every code critical: ORDERS_NOT_CLOSED pages too."""
    raw: dict[str, Any] = json.loads(shipped_catalogue_path().read_text())
    orders = raw["codes"]["ORDERS_NOT_CLOSED"]
    raw["codes"] = {
        "ORDERS_NOT_CLOSED": {**orders, "severity": "critical", "runbook": "Close the orders."}
    }
    raw["default"].update(severity="critical", runbook="Look.")
    raw["lookup_failed"].update(severity="critical", runbook="Look.")
    return raw


STORM_CATALOGUE = _storm_catalogue()
STORM_ROUTES: dict[str, Any] = {
    "version": 1,
    "route": {
        "receivers": ["slack", "pagerduty"],
        "group_by": ["businessProductId", "errorCode"],
        "repeat_window": "1d",
    },
}


def test_storm_is_grouped_for_chat_and_one_page_per_task(sandbox: Sandbox) -> None:
    router = _override_routes(sandbox, STORM_ROUTES)
    ids = tasks(*(f"storm-{n:04d}" for n in range(300)))
    # Three full batches, as the event source mapping hands them over within one window. The
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
    assert 1 <= len(slack) <= 3  # one message per batch window and group, not 300
    listed = "".join(json.dumps(m["body"]) for m in slack)
    assert all(task in listed for task in ids)
    pages = [r["body"]["dedup_key"] for r in sandbox.sink.received("pagerduty")]
    assert sorted(pages) == sorted(ids)


def test_invalid_routes_override_fails_loudly(sandbox: Sandbox) -> None:
    broken = {**STORM_ROUTES, "route": {**STORM_ROUTES["route"], "receivers": ["pager"]}}
    router = _override_routes(sandbox, broken)
    [task] = tasks("t-broken-routes")
    publish(sandbox, task, "ORDERS_NOT_CLOSED")
    result = source(sandbox, router).poll_once()
    assert result.failed == 1  # the message stays on the queue; nothing routed anywhere
    got = delivered(sandbox)
    assert all(deliveries == [] for deliveries in got.values()), got
    from bwp_privacy.alerting import RoutesError

    with pytest.raises(
        RoutesError, match=r"SSM parameter /bwp-privacy/routes: route.receivers\[0\]"
    ):
        router.handler({"Records": []}, LocalLambdaContext())


def test_routes_to_undeployed_receivers_fall_back_to_the_default_route(sandbox: Sandbox) -> None:
    # Not deployed: their parameters are empty, so the router has neither setting nor grant.
    router = sandbox.deploy(WebhookSecretName="", AlertEventBusName="").router.cold_start()
    [task] = tasks("t-fallback")
    publish(sandbox, task, "DATA_SUBJECT_NOT_FOUND")  # quiet route: webhook + eventbridge only
    assert source(sandbox, router).poll_once().failed == 0
    got = delivered(sandbox)
    assert got["slack"] == got["teams"] == got["amazon-q"] == [task]


def test_no_deployed_receiver_at_all_keeps_the_message(sandbox: Sandbox) -> None:
    routes = {**STORM_ROUTES, "route": {**STORM_ROUTES["route"], "receivers": ["teams"]}}
    router = _override_routes(sandbox, routes, TeamsSecretName="")
    tasks("t-nowhere")
    publish(sandbox, "t-nowhere", "ORDERS_NOT_CLOSED")
    assert source(sandbox, router).poll_once().failed == 1


def test_free_text_is_masked_again_whatever_wrote_the_message(
    router: LocalFunction, sandbox: Sandbox
) -> None:
    [task] = tasks("t-unmasked")
    body = failure_body(task, lookup=LookupStatus.ACCESS_DENIED)
    body["lookup"]["message"] = f"no access to the data of {SAMPLE_SHOPPER_EMAIL}"
    boto3.client("sns").publish(TopicArn=sandbox.stack.failures_topic_arn, Message=json.dumps(body))
    assert source(sandbox, router).poll_once().failed == 0
    everything = json.dumps(
        [sandbox.sink.attempts(kind) for kind in HTTP_KINDS]
        + [drain_queue(sandbox.receivers.amazon_q_queue_url)]
        + [drain_queue(sandbox.receivers.eventbridge_queue_url)]
    )
    assert "no access to the data of <email redacted>" in everything
    assert SAMPLE_SHOPPER_EMAIL not in everything


def test_end_to_end_from_event_to_receivers_without_personal_data(
    app: LocalFunction, router: LocalFunction, sandbox: Sandbox
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


#: The AWS limits a failure's copies must stay under (bytes).
SNS_MESSAGE_LIMIT = 256 * 1024  # a message with its attributes (Amazon Q's too)
EVENTBRIDGE_ENTRY_LIMIT = 256 * 1024  # a PutEvents entry, as EventBridge counts it
DYNAMODB_ITEM_LIMIT = 400 * 1024
PAGERDUTY_EVENT_LIMIT = 512 * 1024


def sns_size(message: dict[str, Any]) -> int:
    """An SQS-delivered SNS message's size as SNS counts it: the body and each attribute's
    name, type and value."""
    attributes = message.get("MessageAttributes", {})
    return len(message["Body"].encode()) + sum(
        len(name.encode()) + len(value["DataType"].encode()) + len(value["StringValue"].encode())
        for name, value in attributes.items()
    )


def eventbridge_entry_size(event: dict[str, Any]) -> int:
    """The PutEvents entry size of a delivered event (EventBridge's documented calculation:
    14 bytes of time, then the UTF-8 source, detail type, detail and resources)."""
    detail = json.dumps(event["detail"], separators=(",", ":"))
    return (
        14
        + len(event["source"].encode())
        + len(event["detail-type"].encode())
        + len(detail.encode())
        + sum(len(resource.encode()) for resource in event.get("resources", []))
    )


def test_a_task_with_thousands_of_long_errors_stays_within_every_aws_limit(
    app: LocalFunction,
    router: LocalFunction,
    sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    [task] = tasks("t-many-errors")
    # Long messages, with what JSON escapes most (beyond ASCII, beyond the BMP) and an email.
    filler = "ünïcödé 🙂 " * 150
    listed = [
        {
            "code": ("ORDERS_NOT_CLOSED", "BRAND_NEW_CODE", None)[n % 3],
            "message": f"Order {n} of {SAMPLE_SHOPPER_EMAIL} is still open: {filler}",
        }
        for n in range(3000)
    ]
    sandbox.emulator.add_task(SAMPLE_BUSINESS_PRODUCT_ID, {"taskId": task, "errors": listed})
    event = load_event()
    event["resources"] = [
        f"businessProduct/{SAMPLE_BUSINESS_PRODUCT_ID}/personalDataDeletionTask/{task}"
    ]
    assert app.handler(event, LocalLambdaContext())["published"] is True

    [message] = drain_queue(sandbox.stack.tap_queue_url)
    body = json.loads(message["Body"])
    kept = len(body["errors"])
    assert 1 <= kept < len(listed)
    assert body["errorsOmitted"] == len(listed) - kept
    assert sns_size(message) < SNS_MESSAGE_LIMIT
    [item] = stored_items(sandbox.stack)
    assert item["errorsOmitted"] == len(listed) - kept
    assert len(json.dumps(item, default=str, ensure_ascii=False).encode()) < DYNAMODB_ITEM_LIMIT
    assert SAMPLE_SHOPPER_EMAIL not in message["Body"]

    assert source(sandbox, router).poll_once().failed == 0
    [page] = sandbox.sink.received("pagerduty")
    assert page["body"]["payload"]["custom_details"]["errors_omitted"] == len(listed) - kept
    assert len(json.dumps(page["body"]).encode()) < PAGERDUTY_EVENT_LIMIT
    for kind in ("slack", "teams", "webhook"):  # accepted as the services' formats say
        assert len(sandbox.sink.received(kind)) == 1, kind
    [slack] = sandbox.sink.received("slack")
    assert f"…and {len(listed) - kept} more errors" in json.dumps(slack["body"], ensure_ascii=False)
    [amazon_q] = drain_queue(sandbox.receivers.amazon_q_queue_url)
    assert sns_size(amazon_q) < SNS_MESSAGE_LIMIT
    [bus_event] = (
        json.loads(m["Body"]) for m in drain_queue(sandbox.receivers.eventbridge_queue_url)
    )
    assert bus_event["detail"]["errors_omitted"] == len(listed) - kept
    assert eventbridge_entry_size(bus_event) < EVENTBRIDGE_ENTRY_LIMIT

    # Where on-call looks next: the stored failure says how many errors it does not hold.
    state = tmp_path / "sandbox.json"
    sandbox.target().write(state)
    monkeypatch.setenv("BWP_SANDBOX_FILE", str(state))
    shown = CliRunner().invoke(cli, ["failures", "show", task], catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    assert f"…and {len(listed) - kept} more error(s) the API listed" in shown.stdout
