"""The dead-letter queues: what their messages hold and why they are there, and the queue
work of `bwp-privacy dlq` (read without consuming, redrive losing nothing, discard).

A redrive deletes a message only after its re-send succeeded; a message in flight when the
command dies reappears on its queue after `REDRIVE_VISIBILITY_SECONDS`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from bwp_privacy.alerting import (
    PARKED_REASON_ATTRIBUTE,
    PARKED_RECEIVER_ATTRIBUTE,
    REDRIVE_ATTRIBUTE,
)
from bwp_privacy.partner_events import COMPLETED_DETAIL_TYPES, TASK_KEYS
from bwp_privacy.reaction import ATTEMPT_DUE
from bwp_privacy_cli.json_output import DlqMessageOut, DlqRedrivenOut, iso_from_millis
from bwp_privacy_cli.targets import Target

#: How long a message being redriven stays invisible: if the command dies, it reappears.
REDRIVE_VISIBILITY_SECONDS = int(os.environ.get("BWP_REDRIVE_VISIBILITY_SECONDS", "120"))
PEEK_VISIBILITY_SECONDS = 30

QUEUES = {
    "rule-dlq": "EventBridge rules' dead-letter queue (a function could not be invoked)",
    "on-failure": "OnFailure queue of the recorder and the reaction (the handler kept failing)",
    "router-dlq": "Alert router dead-letter queue (alerts not delivered)",
    "reaction-dlq": "Reaction dead-letter queue (failures no case could be opened or moved for)",
    "schedule-dlq": "Schedule dead-letter queue (attempts EventBridge Scheduler could not start)",
}


@dataclass(frozen=True)
class ParkedMessage:
    """One message of a dead-letter queue."""

    queue: str
    message_id: str
    receipt_handle: str
    sent_at: str | None
    payload: dict[str, Any] | None  # the event (or, for router-dlq, the failure message)
    reason: str
    #: For a delivery the router parked: the receiver that refused it (a redrive retries it).
    receiver: str | None = None
    #: Which function the payload is for: "recorder" or "reaction".
    function: str = "recorder"

    @property
    def task_id(self) -> str | None:
        if self.payload is None:
            return None
        if "taskId" in self.payload:
            return str(self.payload["taskId"])
        if "caseId" in self.payload:
            return str(self.payload["caseId"])
        for resource in self.payload.get("resources", []) or []:
            if isinstance(resource, str) and any(f"{k}/" in resource for k in TASK_KEYS.values()):
                return resource.rsplit("/", 1)[-1]
        return None

    @property
    def event_id(self) -> str | None:
        payload = self.payload or {}
        value = payload.get("id") or payload.get("eventId")
        return str(value) if value is not None else None

    def out(self) -> DlqMessageOut:
        """The documented --json form (sentAt in ISO-8601 UTC)."""
        return DlqMessageOut(
            queue=self.queue,  # type: ignore[arg-type]
            message_id=self.message_id,
            sent_at=iso_from_millis(self.sent_at),
            task_id=self.task_id,
            event_id=self.event_id,
            reason=self.reason,
            receiver=self.receiver,
        )


def parse_parked(queue: str, message: dict[str, Any]) -> ParkedMessage:
    """Read a message of ``queue`` as SQS ReceiveMessage returns it."""
    try:
        body = json.loads(message["Body"])
    except ValueError:
        body = None
    attributes = {
        name: value.get("StringValue", "")
        for name, value in message.get("MessageAttributes", {}).items()
    }
    receives = message.get("Attributes", {}).get("ApproximateReceiveCount", "?")
    receiver = attributes.get(PARKED_RECEIVER_ATTRIBUTE) if queue == "router-dlq" else None
    payload: dict[str, Any] | None = body if isinstance(body, dict) else None
    function = "recorder"
    if queue == "on-failure" and payload is not None and "requestPayload" in payload:
        context = payload.get("requestContext", {})
        function = _function_of(str(context.get("functionArn", "")), payload["requestPayload"])
        response = payload.get("responsePayload") or {}
        condition = context.get("condition", "failed")
        attempts = context.get("approximateInvokeCount", "?")
        error = f"{response.get('errorType', 'Error')}: {response.get('errorMessage', '')}"
        reason = f"{condition} after {attempts} attempt(s): {error}"
        payload = payload["requestPayload"] if isinstance(payload["requestPayload"], dict) else None
    elif queue == "rule-dlq":
        # Both rules park here: a COMPLETED event goes back to the reaction, a FAILED one to
        # the recorder.
        function = _function_of("", payload)
        code = attributes.get("ERROR_CODE", "delivery failed")
        detail = attributes.get("ERROR_MESSAGE", "")
        reason = f"{code}: {detail} (rule {attributes.get('RULE_ARN', '?')})"
    elif queue == "router-dlq" and PARKED_RECEIVER_ATTRIBUTE in attributes:
        receiver = attributes[PARKED_RECEIVER_ATTRIBUTE]
        answer = attributes.get(PARKED_REASON_ATTRIBUTE, "refused")
        reason = f"{receiver} refused it for good: {answer}"
    elif queue == "router-dlq":
        reason = f"not delivered after {receives} receive(s); see the alert router's logs"
    elif queue == "reaction-dlq":
        function = "reaction"
        reason = f"not handled after {receives} receive(s); see the reaction's logs"
    elif queue == "schedule-dlq":
        function = "reaction"
        code = attributes.get("ERROR_CODE", "not delivered")
        reason = f"{code}: {attributes.get('ERROR_MESSAGE', '')} (schedule input for the reaction)"
    else:
        reason = "unrecognised record"
    if payload is None:
        reason += " [body is not a JSON object]"
    return ParkedMessage(
        queue=queue,
        message_id=message["MessageId"],
        receipt_handle=message["ReceiptHandle"],
        sent_at=message.get("Attributes", {}).get("SentTimestamp"),
        payload=payload,
        reason=reason,
        receiver=receiver,
        function=function,
    )


def _function_of(function_arn: str, payload: Any) -> str:
    """The function an OnFailure (or rule dead-letter) record is for: by its ARN (the reaction
    is named ``<stack>-reaction``; ``ReactionFunction`` in the sandbox), else by what the input
    is (an attempt's input, or a COMPLETED event of either kind, is the reaction's)."""
    name = function_arn.split(":function:", 1)[-1].split(":", 1)[0]
    if name.endswith("-reaction") or name == "ReactionFunction":
        return "reaction"
    if isinstance(payload, dict) and (
        payload.get("kind") == ATTEMPT_DUE or payload.get("detail-type") in COMPLETED_DETAIL_TYPES
    ):
        return "reaction"
    return "recorder"


def selected_queues(target: Target, queue_names: str) -> tuple[list[str], str | None]:
    """The queues ``queue_names`` ("all" or one) names on ``target``, and the one asked for
    that the target lacks (None when all are there)."""
    names = list(QUEUES) if queue_names == "all" else [queue_names]
    missing = [n for n in names if n not in target.queues]
    if missing and queue_names != "all":
        return [], missing[0]
    return [n for n in names if n in target.queues], None


def peek(target: Target, name: str, limit: int) -> list[ParkedMessage]:
    """Read without consuming: receive, then make each message visible again at once."""
    url = target.queues[name]
    seen: dict[str, ParkedMessage] = {}
    while len(seen) < limit:
        batch = _receive(url, PEEK_VISIBILITY_SECONDS)
        if not batch:
            break
        for message in batch:
            seen.setdefault(message["MessageId"], parse_parked(name, message))
    for parked in seen.values():
        release(url, parked)
    return list(seen.values())


def take(url: str, name: str, limit: int) -> Iterator[ParkedMessage]:
    """Messages made invisible one batch at a time, each at most once, up to ``limit``."""
    seen: set[str] = set()
    while len(seen) < limit:
        batch = [
            m
            for m in _receive(url, REDRIVE_VISIBILITY_SECONDS, min(10, limit - len(seen)))
            if m["MessageId"] not in seen
        ]
        if not batch:
            return
        for message in batch:
            seen.add(message["MessageId"])
            yield parse_parked(name, message)


def release(url: str, message: ParkedMessage) -> None:
    """Make a taken message visible again at once."""
    _sqs().change_message_visibility(
        QueueUrl=url, ReceiptHandle=message.receipt_handle, VisibilityTimeout=0
    )


def approximate_count(url: str) -> int:
    """How many messages SQS says the queue holds."""
    attributes = _sqs().get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", 0))


def redrive(
    target: Target,
    names: list[str],
    limit: int,
    *,
    verbose: bool = False,
    on_message: Callable[[], None] | None = None,
) -> list[DlqRedrivenOut]:
    """Send parked messages home, at most ``limit``: router-dlq messages back to the alert
    queue (for the receiver that refused them, when one did), events to the function.

    A message is deleted once its re-send succeeded; the others are released at the end (so
    this run does not take them again).
    """
    results: list[DlqRedrivenOut] = []
    for name in names:
        url = target.queues[name]
        kept: list[ParkedMessage] = []
        for message in take(url, name, limit - len(results)):
            ok, detail = resend(target, message, verbose=verbose)
            if ok:
                _sqs().delete_message(QueueUrl=url, ReceiptHandle=message.receipt_handle)
            else:
                kept.append(message)
            results.append(DlqRedrivenOut(**message.out().model_dump(), redriven=ok, detail=detail))
            if on_message is not None:
                on_message()
        for message in kept:
            release(url, message)
    return results


def resend(target: Target, message: ParkedMessage, *, verbose: bool = False) -> tuple[bool, str]:
    """Send one parked message where it should have gone; (sent, what happened)."""
    if message.payload is None:
        return False, "body is not JSON: left for a person to look at"
    if message.queue == "reaction-dlq":
        # A failure the reaction could not handle goes back on the reaction's queue.
        _sqs().send_message(
            QueueUrl=target.queues["reaction-queue"], MessageBody=json.dumps(message.payload)
        )
        return True, "back on the reaction queue"
    if message.function == "reaction":
        return target.redrive_reaction(message.payload, message.message_id, verbose=verbose)
    if message.queue != "router-dlq":
        return target.redrive_event(message.payload, message.message_id, verbose=verbose)
    # A parked delivery goes back for the receiver that refused it, and that one only.
    attributes = (
        {REDRIVE_ATTRIBUTE: {"DataType": "String", "StringValue": message.receiver}}
        if message.receiver
        else {}
    )
    _sqs().send_message(
        QueueUrl=target.queues["alert-queue"],
        MessageBody=json.dumps(message.payload),
        MessageAttributes=attributes,
    )
    where = f" for {message.receiver}" if message.receiver else ""
    return True, f"back on the alert queue{where}"


def remove(target: Target, chosen: list[ParkedMessage], limit: int) -> list[ParkedMessage]:
    """Delete the chosen messages (taken again: a peek's receipt handle no longer holds);
    the others taken on the way are put back at the end."""
    removed: list[ParkedMessage] = []
    for name in dict.fromkeys(m.queue for m in chosen):
        url = target.queues[name]
        wanted = {m.message_id for m in chosen if m.queue == name}
        others: list[ParkedMessage] = []
        for message in take(url, name, limit):
            if message.message_id in wanted:
                _sqs().delete_message(QueueUrl=url, ReceiptHandle=message.receipt_handle)
                removed.append(message)
            else:
                others.append(message)
        for message in others:
            release(url, message)
    return removed


def _receive(url: str, visibility: int, count: int = 10) -> list[dict[str, Any]]:
    answer = _sqs().receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=count,
        VisibilityTimeout=visibility,
        WaitTimeSeconds=0,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    )
    messages: list[dict[str, Any]] = answer.get("Messages", [])
    return messages


def _sqs() -> Any:
    import boto3

    return boto3.client("sqs")
