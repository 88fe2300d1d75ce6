"""Where every soak event ended: stored, published, delivered per receiver, parked, or lost."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from bwp_privacy.alerting import build_alert, load_routes
from bwp_privacy.contract import DeletionFailure
from bwp_sandbox.admin import admin_client
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.soak.workload import COMPLETED_DETAIL_TYPE_FAULT, Workload
from bwp_sandbox.stack import PROJECT_ROOT, drain_queue, queue_depth

RECEIVERS = ("pagerduty", "slack", "teams", "webhook", "amazon-q", "eventbridge")
ROUTES = PROJECT_ROOT / "functions" / "alert_router" / "routes.json"


@dataclass
class ReceiverCount:
    expected: int = 0
    once: int = 0
    duplicated: int = 0
    parked: int = 0
    lost: int = 0


@dataclass
class Accounting:
    """The figures a person reads and the soak test asserts."""

    valid_events: int = 0
    stored_once: int = 0
    published_once: int = 0
    published_twice_or_more: int = 0
    parked_on_failure: int = 0
    lost: int = 0
    malformed: int = 0
    malformed_rejected_with_reason: int = 0
    malformed_stored: int = 0
    #: A "malformed" event whose only fault is a COMPLETED detail type: the recorder rejects
    #: it, and the redrive sends it where the partner bus's COMPLETED rule would have, the
    #: reaction, which takes it (a completion of a task with no case).
    malformed_taken_by_reaction: int = 0
    receivers: dict[str, ReceiverCount] = field(default_factory=dict)
    duplicate_pages: int = 0
    duplicate_chat_posts: int = 0
    examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def delivery_lost(self) -> int:
        return sum(count.lost for count in self.receivers.values())


class Observations:
    """What reached the failures topic and the AWS-side receivers, accumulated: their tap
    queues are drained at each look (moto slows down with many messages queued)."""

    def __init__(self) -> None:
        self.published: Counter[str] = Counter()
        self.bodies: dict[str, str] = {}  # event id -> the failure message, as published
        self.amazon_q: Counter[str] = Counter()
        self.eventbridge: Counter[str] = Counter()

    def collect(self, sandbox: Sandbox) -> None:
        for message in drain_queue(sandbox.stack.tap_queue_url, max_messages=100_000):
            event_id = json.loads(message["Body"])["eventId"]
            self.published[event_id] += 1
            self.bodies[event_id] = message["Body"]
        for message in drain_queue(sandbox.receivers.amazon_q_queue_url, max_messages=100_000):
            self.amazon_q[json.loads(message["Body"])["metadata"]["threadId"]] += 1
        for message in drain_queue(sandbox.receivers.eventbridge_queue_url, max_messages=100_000):
            self.eventbridge[json.loads(message["Body"])["detail"]["task_id"]] += 1


def account(workload: Workload, sandbox: Sandbox, seen: Observations) -> Accounting:
    """Read the table, the sink, the DLQs and what ``seen`` collected."""
    seen.collect(sandbox)
    items = _stored(sandbox)
    published = seen.published
    parked = _parked_events(sandbox.stack.on_failure_queue_url)
    # Still on the router's queue (routing ran out of time) counts as parked, not as lost.
    # The queue is read before its DLQ: a receive can move a message there (maxReceiveCount).
    router_parked = {
        json.loads(m["Body"]).get("taskId")
        for url in (sandbox.stack.alert_queue_url, sandbox.stack.alert_dlq_url)
        for m in _all(url)
    }
    deliveries = _deliveries(sandbox, seen)
    result = Accounting(valid_events=len(workload.valid), malformed=len(workload.malformed))
    result.receivers = {name: ReceiverCount() for name in RECEIVERS}
    config = load_routes(ROUTES.read_text(), ROUTES.name)
    for event_id in workload.valid:
        item = items.get(event_id)
        if item is None:
            if event_id in parked:
                result.parked_on_failure += 1
            else:
                result.lost += 1
                result.examples.setdefault("lost", []).append(event_id)
            continue
        result.stored_once += 1
        if published[event_id] == 1:
            result.published_once += 1
        elif published[event_id] > 1:
            result.published_twice_or_more += 1
        _count_deliveries(result, config, item, deliveries, router_parked)
    for marker in workload.malformed:
        if marker in items:
            result.malformed_stored += 1
        reason = parked.get(marker, "")
        if "Error" in reason:
            result.malformed_rejected_with_reason += 1
        elif marker not in parked and workload.malformed[marker] == COMPLETED_DETAIL_TYPE_FAULT:
            result.malformed_taken_by_reaction += 1
    result.duplicate_pages = result.receivers["pagerduty"].duplicated
    result.duplicate_chat_posts = sum(
        result.receivers[name].duplicated for name in ("slack", "teams", "amazon-q")
    )
    return result


def _count_deliveries(
    result: Accounting,
    config: Any,
    item: dict[str, Any],
    deliveries: dict[str, Counter[str]],
    router_parked: set[str | None],
) -> None:
    failure = DeletionFailure.model_validate(item)
    severity, runbooks = config.classify(failure)
    alert = build_alert(failure, severity, runbooks, datetime.now(UTC))
    expected = {r for match in config.resolve(alert.labels()) for r in match.receivers}
    for name in expected:
        count = result.receivers[name]
        count.expected += 1
        got = deliveries[name][failure.task_id]
        if got == 1:
            count.once += 1
        elif got > 1:
            count.duplicated += 1
            result.examples.setdefault(f"duplicate {name}", []).append(failure.task_id)
        elif failure.task_id in router_parked:
            count.parked += 1
        else:
            count.lost += 1
            result.examples.setdefault(f"lost {name}", []).append(failure.task_id)


def _stored(sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    deserializer = TypeDeserializer()
    pages = (
        admin_client("dynamodb")
        .get_paginator("scan")
        .paginate(TableName=sandbox.stack.failures_table_name, ConsistentRead=True)
    )
    items = {}
    for page in pages:
        for raw in page["Items"]:
            if "receivedAt" not in raw:
                continue  # a claim left by a crashed attempt: no record (yet)
            item = {k: deserializer.deserialize(v) for k, v in raw.items()}
            items[str(item["eventId"])] = item
    return items


def _all(queue_url: str, settle_seconds: float = 60) -> list[dict[str, Any]]:
    """Every message now in a queue, left in place (received, then made visible again).

    Messages still in flight (a consumer's visibility timeout) are waited for first: a
    receive cannot see them, and they are neither delivered nor parked.
    """
    sqs = admin_client("sqs")
    give_up = time.monotonic() + settle_seconds
    while time.monotonic() < give_up and queue_depth(queue_url)[1]:
        time.sleep(0.2)  # in-flight messages reappear when their visibility timeout ends
    seen: dict[str, dict[str, Any]] = {}
    while True:
        batch = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60
        ).get("Messages", [])
        fresh = [m for m in batch if m["MessageId"] not in seen]
        if not fresh:
            break
        seen.update((m["MessageId"], m) for m in fresh)
    for message in seen.values():
        sqs.change_message_visibility(
            QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return list(seen.values())


def _parked_events(queue_url: str) -> dict[str, str]:
    """Event id -> reason, for the OnFailure records now parked."""
    parked = {}
    for message in _all(queue_url):
        record = json.loads(message["Body"])
        event = record.get("requestPayload") or {}
        response = record.get("responsePayload") or {}
        if isinstance(event, dict) and "id" in event:
            parked[str(event["id"])] = (
                f"{response.get('errorType')}: {response.get('errorMessage')}"
            )
    return parked


def _deliveries(sandbox: Sandbox, seen: Observations) -> dict[str, Counter[str]]:
    """Per receiver, how many times each task reached it."""
    got: dict[str, Counter[str]] = {name: Counter() for name in RECEIVERS}
    got["amazon-q"] = seen.amazon_q
    got["eventbridge"] = seen.eventbridge
    sink = sandbox.sink
    for request in sink.received("pagerduty"):
        got["pagerduty"][request["body"]["dedup_key"]] += 1
    for request in sink.received("webhook"):
        for alert in request["body"]["alerts"]:
            got["webhook"][alert["task_id"]] += 1
    for kind in ("slack", "teams"):
        for request in sink.received(kind):
            text = json.dumps(request["body"])
            for task in _task_ids(text):
                got[kind][task] += 1
    return got


def _task_ids(text: str) -> set[str]:
    """Soak task ids in a chat message (each listed once per message)."""
    import re

    return set(re.findall(r"soak-\d+-\d{5}", text))
