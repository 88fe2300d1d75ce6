"""Where every soak event ended: stored, published, delivered per receiver, parked, still in
flight, or lost."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from bwp_privacy.alerting import build_alert, load_routes
from bwp_privacy.contract import TaskFailure
from bwp_sandbox.admin import admin_client
from bwp_sandbox.local_aws import ACCOUNT_ID, REGION
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.soak.workload import COMPLETED_DETAIL_TYPE_FAULT, Workload
from bwp_sandbox.stack import PROJECT_ROOT, drain_queue

RECEIVERS = ("pagerduty", "slack", "teams", "webhook", "amazon-q", "eventbridge")
ROUTES = PROJECT_ROOT / "functions" / "alert_router" / "routes.json"


@dataclass
class ReceiverCount:
    expected: int = 0
    once: int = 0
    duplicated: int = 0
    #: Not delivered, its failure message in the router's dead-letter queue.
    parked: int = 0
    #: Not delivered yet, its failure message still on the alert queue: visible, or in flight
    #: (received by an invocation that failed it, or has not answered yet). Neither delivered
    #: nor parked: routing was not over for it.
    in_flight: int = 0
    #: Not delivered, and its failure message is nowhere: truly gone.
    lost: int = 0


@dataclass
class QueueReading:
    """A queue as the reading found it: how many messages, how many of them in flight (out of
    sight until their visibility timeout ends), and how many times they were received."""

    messages: int = 0
    in_flight: int = 0
    #: ApproximateReceiveCount -> messages received that many times.
    receive_counts: dict[int, int] = field(default_factory=dict)


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
    #: The alert queue, the router's dead-letter queue and the OnFailure queue at the reading.
    queues: dict[str, QueueReading] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def delivery_lost(self) -> int:
        return sum(count.lost for count in self.receivers.values())

    @property
    def delivery_in_flight(self) -> int:
        return sum(count.in_flight for count in self.receivers.values())


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
    on_failure = held_messages(sandbox.stack.on_failure_queue_url)
    # The queue before its DLQ: a message moved between the two reads is seen twice (and
    # counted parked), never missed.
    queued = held_messages(sandbox.stack.alert_queue_url)
    dead = held_messages(sandbox.stack.alert_dlq_url)
    parked = _parked_events(on_failure)
    router = _Router(
        parked={_task_id(message.body) for message in dead},
        in_flight={_task_id(message.body) for message in queued},
    )
    deliveries = _deliveries(sandbox, seen)
    result = Accounting(valid_events=len(workload.valid), malformed=len(workload.malformed))
    result.queues = {
        "alert queue": _reading(queued),
        "alert DLQ": _reading(dead),
        "OnFailure queue": _reading(on_failure),
    }
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
        _count_deliveries(result, config, item, deliveries, router)
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


@dataclass(frozen=True)
class _Router:
    """The tasks whose failure messages the router still holds: parked in its dead-letter
    queue, or still on the alert queue."""

    parked: set[str | None]
    in_flight: set[str | None]


def _count_deliveries(
    result: Accounting,
    config: Any,
    item: dict[str, Any],
    deliveries: dict[str, Counter[str]],
    router: _Router,
) -> None:
    failure = TaskFailure.model_validate(item)
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
        elif failure.task_id in router.parked:
            count.parked += 1
        elif failure.task_id in router.in_flight:
            count.in_flight += 1
            result.examples.setdefault(f"in flight {name}", []).append(failure.task_id)
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


@dataclass(frozen=True)
class HeldMessage:
    """A message a queue holds, as SQS keeps it."""

    body: str
    receive_count: int
    in_flight: bool


def held_messages(queue_url: str) -> list[HeldMessage]:
    """Every message a queue of the sandbox holds now, in flight or not, left as it is.

    Read from moto's own state (the sandbox's AWS runs in this process), not with
    ReceiveMessage. A receive puts what it returns in flight for its visibility timeout: a
    reading by receives that outlasts it (hundreds of parked alerts, moto taking about a
    second per receive on a busy machine) gets its first messages back, takes that for the
    end of the queue, and never sees the rest. The 2,000-event run's 13 webhook and 11
    EventBridge alerts "lost" under faults were the last ones parked. A receive also counts
    towards the alert queue's maxReceiveCount and can move a message to the DLQ: the reading
    would change what it reads. And it cannot see a message in flight at all.
    """
    from moto.sqs.models import sqs_backends

    queue = sqs_backends[ACCOUNT_ID][REGION].queues[queue_url.rstrip("/").rsplit("/", 1)[-1]]
    return [
        HeldMessage(message.body, message.approximate_receive_count, not message.visible)
        for message in list(queue._messages)  # a copy: moto's threads may change the list
    ]


def _reading(messages: list[HeldMessage]) -> QueueReading:
    return QueueReading(
        messages=len(messages),
        in_flight=sum(message.in_flight for message in messages),
        receive_counts=dict(sorted(Counter(m.receive_count for m in messages).items())),
    )


def _task_id(body: str) -> str | None:
    """The task of a failure message (None if the body is not one)."""
    try:
        task = json.loads(body).get("taskId")
    except (ValueError, AttributeError):
        return None
    return task if isinstance(task, str) else None


def _parked_events(messages: list[HeldMessage]) -> dict[str, str]:
    """Event id -> reason, for the OnFailure records now parked."""
    parked = {}
    for message in messages:
        record = json.loads(message.body)
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
