"""Receivers over real HTTP: the local sink for webhooks, moto server for SNS and EventBridge."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config

from bwp_privacy.alerting import RECEIVERS, Alert, Runbook, Severity, build_alert
from bwp_privacy.alerting.delivery import (
    DeliveryError,
    Group,
    HttpReceiver,
    JsonPoster,
    Receiver,
    ReceiverContext,
    ThreadRef,
)
from bwp_privacy.alerting.receivers import pagerduty
from bwp_privacy.alerting.receivers.amazon_q import AmazonQReceiver, amazon_q_notification
from bwp_privacy.alerting.receivers.eventbridge import DETAIL_TYPE, EventBridgeReceiver
from bwp_privacy.alerting.receivers.webhook import webhook_body
from bwp_privacy.common import Backoff, Budget
from bwp_privacy.contract import (
    LookupOutcome,
    LookupStatus,
    TaskError,
    TaskFailure,
)
from bwp_sandbox.local_aws import LocalAws
from bwp_sandbox.sink import SLACK_BOT_TOKEN, ReceiverSink
from tests.case_notices import resolved_alert

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
ROUTING_KEY = "R0UT1NG-KEY-do-not-leak-0123456789"
SIGNING_SECRET = "whsec-do-not-leak-9876543210"
SLACK_PATH = "T0000/B0000/SlackTokenDoNotLeak42"
TEAMS_PATH = "workflows/run?sig=TeamsSigDoNotLeak42"
GROUP = Group(route="privacy-oncall", labels={"businessProductId": "bp-1"})
NO_LIMIT = Budget(None, 0.0)
HTTP_KINDS = ["pagerduty", "slack", "teams", "webhook"]


def make_alert(task_id: str = "task-1") -> Alert:
    failure = TaskFailure(
        event_id=f"event-{task_id}",
        event_time="2026-11-20T12:34:56Z",
        detail_type="PERSONAL_DATA_DELETION_TASK_FAILED",
        business_product_id="bp-1",
        task_id=task_id,
        status="FAILED",
        submission_date="2026-10-01T08:00:00Z",
        errors=[TaskError(code="ORDERS_NOT_CLOSED", message="open orders for a@example.com")],
        lookup=LookupOutcome(status=LookupStatus.OK),
        received_at="2026-11-20T12:35:00Z",
    )
    runbook = Runbook(code="ORDERS_NOT_CLOSED", text="Close the orders.", url="https://rb/orders")
    return build_alert(failure, Severity.CRITICAL, [runbook], NOW)


@pytest.fixture(scope="module")
def sink() -> Iterator[ReceiverSink]:
    with ReceiverSink(webhook_secret=SIGNING_SECRET) as running:
        yield running


@pytest.fixture(autouse=True)
def clean_sink(sink: ReceiverSink) -> None:
    sink.clear()


@pytest.fixture
def poster() -> JsonPoster:
    return JsonPoster(
        timeout_seconds=2.0, backoff=Backoff(max_attempts=3, base_seconds=0.01, cap_seconds=0.05)
    )


def secrets_of(sink: ReceiverSink) -> list[str]:
    return [
        ROUTING_KEY,
        SIGNING_SECRET,
        "SlackTokenDoNotLeak42",
        "TeamsSigDoNotLeak42",
        sink.url("slack", SLACK_PATH),
        sink.url("teams", TEAMS_PATH),
        sink.url("webhook"),
    ]


class StaticSecrets:
    """Secrets Manager's part, played by a dict: secret id -> JSON."""

    def __init__(self, values: Mapping[str, dict[str, str]]) -> None:
        self._values = values

    def read(self, secret_id: str, model: Any, setting: str) -> Any:
        return model.model_validate(self._values[secret_id])


def build(
    kind: str,
    secret: dict[str, str],
    sink: ReceiverSink,
    poster: JsonPoster,
    *,
    clock: Callable[[], float] = time.time,
) -> Receiver:
    """The receiver as the router builds it: from its registered spec and its secret."""
    context = ReceiverContext(
        poster=poster,
        secrets=StaticSecrets({kind: secret}),
        clients=lambda service: None,
        environ={
            "PAGERDUTY_EVENTS_URL": sink.url("pagerduty"),
            "SLACK_API_URL": sink.slack_api_url,
        },
        clock=clock,
    )
    return RECEIVERS[kind].build(kind, context)


def receiver_for(kind: str, sink: ReceiverSink, poster: JsonPoster) -> Receiver:
    secrets = {
        "pagerduty": {"routingKey": ROUTING_KEY},
        "slack": {"webhookUrl": sink.url("slack", SLACK_PATH)},
        "teams": {"webhookUrl": sink.url("teams", TEAMS_PATH)},
        "webhook": {"url": sink.url("webhook"), "signingSecret": SIGNING_SECRET},
    }
    return build(kind, secrets[kind], sink, poster)


def sink_ok(kind: str) -> int:
    return {"pagerduty": 202, "slack": 200, "teams": 202, "webhook": 200}[kind]


def deliver_failing(receiver: Receiver, alerts: list[Alert]) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        receiver.deliver(alerts, GROUP, budget=NO_LIMIT)
    return caught.value


def assert_leaks_nothing(error: BaseException, secrets: list[str]) -> None:
    """No secret in the error or anything chained to it (tracebacks print the chain)."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    text = " ".join(f"{item!s} {item!r} {getattr(item, 'reason', '')}" for item in chain)
    for secret in secrets:
        assert secret not in text


# Slack's bot mode: one message per case, edited, with replies in its thread

BOT = {"botToken": SLACK_BOT_TOKEN, "channel": "C0PRIVACY"}


def case_ended(case_id: str) -> Alert:
    return resolved_alert(case_id, NOW)


def test_slack_bot_opens_one_message_per_case_then_edits_it_and_replies_in_its_thread(
    sink: ReceiverSink, poster: JsonPoster
) -> None:
    bot = build("slack", BOT, sink, poster)
    assert not bot.grouped  # one message per case
    started = bot.deliver([make_alert("task-1")], GROUP, budget=NO_LIMIT)
    assert started is not None
    thread = started["task-1"]
    assert thread.channel == "C0PRIVACY"
    resubmitted = make_alert("task-2").model_copy(update={"case_id": "task-1"})
    again = bot.deliver([resubmitted], GROUP, budget=NO_LIMIT, threads={"task-1": thread})
    assert again == {}
    bot.deliver([case_ended("task-1")], GROUP, budget=NO_LIMIT, threads={"task-1": thread})
    [(key, message)] = sink.slack_messages().items()
    assert key == ("C0PRIVACY", thread.ts)
    assert message["edits"] == 2
    assert message["text"].startswith("[RESOLVED] Deletion case task-1 completed")
    assert [reply.split("]")[0] for reply in message["replies"]] == ["[CRITICAL", "[RESOLVED"]
    assert "task task-2 of case task-1" in message["replies"][0]


def test_slack_bot_posts_anew_when_the_case_s_message_is_gone(
    sink: ReceiverSink, poster: JsonPoster
) -> None:
    bot = build("slack", BOT, sink, poster)
    gone = ThreadRef("C0PRIVACY", "1700000000.000001")
    started = bot.deliver([case_ended("task-1")], GROUP, budget=NO_LIMIT, threads={"task-1": gone})
    assert started is not None
    assert started["task-1"] != gone
    [message] = sink.slack_messages().values()
    assert message["text"].startswith("[RESOLVED]")


def test_slack_bot_with_a_bad_token_is_refused_for_good(
    sink: ReceiverSink, poster: JsonPoster
) -> None:
    bot = build("slack", {"botToken": "xoxb-revoked", "channel": "C0PRIVACY"}, sink, poster)
    error = deliver_failing(bot, [make_alert()])
    assert not error.retryable
    assert error.reason == "chat.postMessage: invalid_auth"
    assert_leaks_nothing(error, ["xoxb-revoked"])


# HTTP receivers against the sink


@pytest.mark.parametrize("kind", HTTP_KINDS)
def test_delivers(kind: str, sink: ReceiverSink, poster: JsonPoster) -> None:
    receiver_for(kind, sink, poster).deliver([make_alert()], GROUP, budget=NO_LIMIT)
    [request] = sink.received(kind)
    assert "example.com" not in json.dumps(request["body"])
    assert len(sink.attempts(kind)) == 1


@pytest.mark.parametrize("kind", HTTP_KINDS)
def test_429_is_retried(kind: str, sink: ReceiverSink, poster: JsonPoster) -> None:
    sink.fail(kind, status=429)
    receiver_for(kind, sink, poster).deliver([make_alert()], GROUP, budget=NO_LIMIT)
    assert [attempt["status"] for attempt in sink.attempts(kind)] == [429, sink_ok(kind)]
    assert len(sink.received(kind)) == 1


@pytest.mark.parametrize("kind", HTTP_KINDS)
def test_connection_reset_is_retried(kind: str, sink: ReceiverSink, poster: JsonPoster) -> None:
    sink.fail(kind, reset=True)
    receiver_for(kind, sink, poster).deliver([make_alert()], GROUP, budget=NO_LIMIT)
    assert [attempt["status"] for attempt in sink.attempts(kind)] == [None, sink_ok(kind)]
    assert len(sink.received(kind)) == 1


@pytest.mark.parametrize("kind", HTTP_KINDS)
def test_persistent_503_is_a_retryable_error(
    kind: str, sink: ReceiverSink, poster: JsonPoster
) -> None:
    sink.fail(kind, status=503, times=3)
    error = deliver_failing(receiver_for(kind, sink, poster), [make_alert()])
    assert error.retryable is True
    assert error.reason == "HTTP 503"
    assert error.receiver == kind
    assert len(sink.attempts(kind)) == 3
    assert sink.received(kind) == []
    assert_leaks_nothing(error, secrets_of(sink))


@pytest.mark.parametrize("kind", HTTP_KINDS)
def test_an_outage_refuses_only_the_alerts_it_names(
    kind: str, sink: ReceiverSink, poster: JsonPoster
) -> None:
    receiver = receiver_for(kind, sink, poster)
    sink.refuse(kind, ["task-refused"])
    error = deliver_failing(receiver, [make_alert("task-refused")])
    assert error.reason == "HTTP 503"
    receiver.deliver([make_alert("task-other")], GROUP, budget=NO_LIMIT)

    sink.refuse(kind, [])  # the outage ends
    receiver.deliver([make_alert("task-refused")], GROUP, budget=NO_LIMIT)
    delivered = [json.dumps(request["body"]) for request in sink.received(kind)]
    assert len(delivered) == 2
    assert "task-other" in delivered[0]
    assert "task-refused" in delivered[1]


@pytest.mark.parametrize("kind", HTTP_KINDS)
def test_400_is_permanent_and_not_retried(
    kind: str, sink: ReceiverSink, poster: JsonPoster
) -> None:
    sink.fail(kind, status=400)
    error = deliver_failing(receiver_for(kind, sink, poster), [make_alert()])
    assert error.retryable is False
    assert error.reason == 'HTTP 400: {"message": "injected fault"}'  # the receiver's answer
    assert len(sink.attempts(kind)) == 1
    assert_leaks_nothing(error, secrets_of(sink))


def test_pagerduty_event_reaches_the_sink_whole(sink: ReceiverSink, poster: JsonPoster) -> None:
    alert = make_alert()
    receiver_for("pagerduty", sink, poster).deliver([alert], GROUP, budget=NO_LIMIT)
    [request] = sink.received("pagerduty")
    assert request["path"] == "/pagerduty/v2/enqueue"
    assert request["headers"]["content-type"] == "application/json"
    assert request["body"]["routing_key"] == ROUTING_KEY
    assert request["body"]["dedup_key"] == "task-1"
    assert request["status"] == 202


def test_pagerduty_rejects_an_invalid_event_once(sink: ReceiverSink, poster: JsonPoster) -> None:
    # A secret that passed no validation (an empty routing key): the Events API refuses it.
    empty = pagerduty.PagerDutySecret.model_construct(routing_key="")
    context = ReceiverContext(
        poster=poster,
        secrets=None,
        clients=lambda service: None,
        environ={
            "PAGERDUTY_EVENTS_URL": sink.url("pagerduty"),
            "SLACK_API_URL": sink.slack_api_url,
        },
    )
    receiver = HttpReceiver(
        "pagerduty",
        grouped=False,
        poster=poster,
        request=lambda alerts, group: pagerduty.build_request(alerts, group, empty, context),
        success=(202,),
    )
    error = deliver_failing(receiver, [make_alert()])
    assert error.retryable is False
    assert [attempt["status"] for attempt in sink.attempts("pagerduty")] == [400]


def test_slack_accepts_a_large_group_within_its_limits(
    sink: ReceiverSink, poster: JsonPoster
) -> None:
    alerts = [make_alert(f"task-{index:05d}") for index in range(2000)]
    receiver_for("slack", sink, poster).deliver(alerts, GROUP, budget=NO_LIMIT)
    [request] = sink.received("slack")
    assert request["path"] == f"/slack/{SLACK_PATH}"
    assert len(request["body"]["blocks"]) <= 50


def test_webhook_signature_is_verified_by_the_sink(sink: ReceiverSink, poster: JsonPoster) -> None:
    alerts = [make_alert("a"), make_alert("b")]
    receiver_for("webhook", sink, poster).deliver(alerts, GROUP, budget=NO_LIMIT)
    [request] = sink.received("webhook")
    assert request["body"] == json.loads(webhook_body(alerts, GROUP))
    assert request["headers"]["x-signature"].startswith("sha256=")
    assert abs(int(request["headers"]["x-timestamp"]) - time.time()) < 60


def test_webhook_with_the_wrong_secret_is_refused(sink: ReceiverSink, poster: JsonPoster) -> None:
    wrong = {"url": sink.url("webhook"), "signingSecret": "not-the-shared-secret"}
    receiver = build("webhook", wrong, sink, poster)
    error = deliver_failing(receiver, [make_alert()])
    assert error.retryable is False
    assert error.reason == 'HTTP 401: {"error": "invalid signature"}'
    assert [attempt["status"] for attempt in sink.attempts("webhook")] == [401]
    assert_leaks_nothing(error, [*secrets_of(sink), "not-the-shared-secret"])


def test_webhook_with_a_stale_timestamp_is_refused(sink: ReceiverSink, poster: JsonPoster) -> None:
    secret = {"url": sink.url("webhook"), "signingSecret": SIGNING_SECRET}
    receiver = build("webhook", secret, sink, poster, clock=lambda: time.time() - 3600)
    assert deliver_failing(receiver, [make_alert()]).reason.startswith("HTTP 401")


def test_a_slow_receiver_times_out_and_is_retried(sink: ReceiverSink) -> None:
    poster = JsonPoster(
        timeout_seconds=0.2, backoff=Backoff(max_attempts=3, base_seconds=0.01, cap_seconds=0.05)
    )
    sink.delay("teams", 0.5)
    receiver_for("teams", sink, poster).deliver([make_alert()], GROUP, budget=NO_LIMIT)
    # The slow answer still lands afterwards: a real receiver may see a retry as a duplicate.
    give_up = time.monotonic() + 3
    while len(sink.received("teams")) < 2 and time.monotonic() < give_up:
        time.sleep(0.02)
    assert len(sink.received("teams")) == 2


# AWS receivers against moto server


def aws_client(local_aws: LocalAws, service: str, endpoint_url: str | None = None) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint_url or local_aws.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5),
    )


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def queue_with_arn(local_aws: LocalAws) -> tuple[Any, str, str]:
    sqs = aws_client(local_aws, "sqs")
    url = sqs.create_queue(QueueName=unique("receiver-tap"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return sqs, url, arn


def read_one(sqs: Any, queue_url: str) -> dict[str, Any]:
    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=2)["Messages"]
    assert len(messages) == 1
    body: dict[str, Any] = json.loads(messages[0]["Body"])
    return body


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_amazon_q_publishes_the_custom_notification(local_aws: LocalAws) -> None:
    sns = aws_client(local_aws, "sns")
    topic_arn = sns.create_topic(Name=unique("amazon-q"))["TopicArn"]
    sqs, queue_url, queue_arn = queue_with_arn(local_aws)
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    alert = make_alert()
    AmazonQReceiver(sns, topic_arn).deliver([alert], GROUP, budget=NO_LIMIT)
    notification = read_one(sqs, queue_url)
    assert notification == amazon_q_notification(alert)
    assert notification["metadata"]["threadId"] == "task-1"
    assert "example.com" not in json.dumps(notification)


def test_amazon_q_missing_topic_is_permanent(local_aws: LocalAws) -> None:
    sns = aws_client(local_aws, "sns")
    receiver = AmazonQReceiver(sns, "arn:aws:sns:us-east-1:123456789012:" + unique("missing"))
    error = deliver_failing(receiver, [make_alert()])
    assert error.retryable is False
    assert error.reason == "SNS Publish failed: NotFound (HTTP 404)"


def test_amazon_q_unreachable_endpoint_is_retryable(local_aws: LocalAws) -> None:
    sns = aws_client(local_aws, "sns", endpoint_url=closed_port_url())
    error = deliver_failing(AmazonQReceiver(sns, "arn:aws:sns:us-east-1:1:t"), [make_alert()])
    assert error.retryable is True


def test_eventbridge_puts_the_alert_on_the_bus(local_aws: LocalAws) -> None:
    events = aws_client(local_aws, "events")
    bus = unique("alerts")
    events.create_event_bus(Name=bus)
    sqs, queue_url, queue_arn = queue_with_arn(local_aws)
    rule = unique("to-queue")
    events.put_rule(
        Name=rule, EventBusName=bus, EventPattern=json.dumps({"source": ["bwp-privacy"]})
    )
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "tap", "Arn": queue_arn}])
    alert = make_alert()
    EventBridgeReceiver(events, bus).deliver([alert], GROUP, budget=NO_LIMIT)
    event = read_one(sqs, queue_url)
    assert event["source"] == "bwp-privacy"
    assert event["detail-type"] == DETAIL_TYPE
    assert event["resources"] == []
    assert event["detail"] == {**alert.model_dump(mode="json"), "fingerprint": alert.fingerprint}


def test_eventbridge_missing_bus_is_permanent(local_aws: LocalAws) -> None:
    receiver = EventBridgeReceiver(aws_client(local_aws, "events"), unique("missing"))
    error = deliver_failing(receiver, [make_alert()])
    assert error.retryable is False
    assert "ResourceNotFoundException" in error.reason


def test_eventbridge_unreachable_endpoint_is_retryable(local_aws: LocalAws) -> None:
    events = aws_client(local_aws, "events", endpoint_url=closed_port_url())
    error = deliver_failing(EventBridgeReceiver(events, "bus"), [make_alert()])
    assert error.retryable is True
