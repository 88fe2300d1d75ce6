"""The dead-letter queues: what their messages hold and why they are there, and the queue
work of `bwp-privacy dlq` (read without consuming, redrive losing nothing, discard).

A redrive deletes a message only after its re-send succeeded; a message in flight when the
command dies reappears on its queue after `REDRIVE_VISIBILITY_SECONDS`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter

from bwp_privacy.alerting import (
    PARKED_REASON_ATTRIBUTE,
    PARKED_RECEIVER_ATTRIBUTE,
    REDRIVE_ATTRIBUTE,
)
from bwp_privacy.common import IDENTIFIER, clean_text, held_to
from bwp_privacy.contract.inbound import InboundAction, PagerDutyAction, SlackAction
from bwp_privacy.partner_events import COMPLETED_DETAIL_TYPES, TASK_KEYS
from bwp_privacy.reaction import ATTEMPT_DUE
from bwp_privacy_cli.json_output import DlqMessageOut, DlqRedrivenOut, iso_from_millis
from bwp_privacy_cli.targets import Target

#: How long a message being redriven stays invisible: if the command dies, it reappears.
REDRIVE_VISIBILITY_SECONDS = int(os.environ.get("BWP_REDRIVE_VISIBILITY_SECONDS", "120"))
PEEK_VISIBILITY_SECONDS = 30
#: What of a message's reason is kept: it quotes a handler's error message, EventBridge's or a
#: receiver's, any of which may quote the event or the shopper.
REASON_LIMIT = 1000
#: A receiver's name as the router parks it (``slack``, ``amazon-q``); the attribute is the
#: message's own, which anyone who may send to the queue could have set.
_RECEIVER = re.compile(r"[a-z][a-z0-9-]{0,63}")
#: Stands for a receiver attribute that is no receiver's name (a redrive for it reaches every
#: receiver, as one for a receiver the stack does not deploy does).
UNRECOGNISED_RECEIVER = "unrecognised-receiver"
#: An inbound action as the reaction reads it from InboundQueue (what a redrive sends back).
_INBOUND_ACTION: TypeAdapter[SlackAction | PagerDutyAction] = TypeAdapter(InboundAction)
#: Where an inbound action came from, as the inbound function writes it.
_INBOUND_SOURCE = re.compile(r"slack|pagerduty")

QUEUES = {
    "rule-dlq": "EventBridge rules' dead-letter queue (a function could not be invoked)",
    "on-failure": "OnFailure queue of the recorder and the reaction (the handler kept failing)",
    "router-dlq": "Alert router dead-letter queue (alerts not delivered)",
    "reaction-dlq": "Reaction dead-letter queue (failures no case could be opened or moved for)",
    "schedule-dlq": "Schedule dead-letter queue (attempts EventBridge Scheduler could not start)",
    "inbound-dlq": (
        "Inbound dead-letter queue (Slack's and PagerDuty's actions the reaction could not carry"
        " out)"
    ),
}
#: The queues a stack has only while it takes Slack's actions or PagerDuty's webhooks.
INBOUND_QUEUES = frozenset({"inbound-dlq"})


@dataclass(frozen=True)
class ParkedMessage:
    """One message of a dead-letter queue. What it says of itself is held where it is parsed
    (`parse_parked`): its ids to the id grammar, its reason masked, on one line and bounded,
    so that the list, --json, a discard's prompt and the audit record show no more."""

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
    #: The task (or case) the payload is about; None when it names none, or none that is an id.
    task_id: str | None = None
    #: The event's id; None when it has none that is an id.
    event_id: str | None = None

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
    except (ValueError, RecursionError):
        # RecursionError: a body nested too deeply for the parser ("[" * 5000).
        body = None
    attributes = {
        name: str(value.get("StringValue", ""))
        for name, value in message.get("MessageAttributes", {}).items()
    }
    receives = message.get("Attributes", {}).get("ApproximateReceiveCount", "?")
    receiver = _receiver(attributes) if queue == "router-dlq" else None
    payload: dict[str, Any] | None = body if isinstance(body, dict) else None
    function = "recorder"
    if queue == "on-failure" and payload is not None and "requestPayload" in payload:
        context = _object(payload.get("requestContext"))
        function = _function_of(str(context.get("functionArn", "")), payload["requestPayload"])
        response = _object(payload.get("responsePayload"))
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
    elif queue == "router-dlq" and receiver is not None:
        answer = attributes.get(PARKED_REASON_ATTRIBUTE, "refused")
        reason = f"{receiver} refused it for good: {answer}"
    elif queue == "router-dlq":
        reason = f"not delivered after {receives} receive(s); see the alert router's logs"
    elif queue == "reaction-dlq":
        function = "reaction"
        reason = f"not handled after {receives} receive(s); see the reaction's logs"
    elif queue == "inbound-dlq":
        function = "reaction"
        source = held_to((payload or {}).get("source"), _INBOUND_SOURCE, "unrecognised")
        reason = (
            f"{source} action not carried out after {receives} receive(s); see the reaction's logs"
        )
    elif queue == "schedule-dlq":
        function = "reaction"
        code = attributes.get("ERROR_CODE", "not delivered")
        reason = f"{code}: {attributes.get('ERROR_MESSAGE', '')} (schedule input for the reaction)"
    else:
        reason = "unrecognised record"
    # The reason quotes Lambda's errorMessage, EventBridge's ERROR_MESSAGE or a receiver's
    # answer: outside text, which may name the shopper or carry control characters.
    reason = clean_text(reason, REASON_LIMIT)
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
        task_id=_task_id(payload),
        # A Slack action's id is its request's (a digest of its signature).
        event_id=_event_id(payload) or (_id(payload.get("requestId")) if payload else None),
    )


def _task_id(payload: dict[str, Any] | None) -> str | None:
    """The task (or case) a payload names, if it names one that is an id: a failure message's
    ``taskId``, an attempt's ``caseId``, or the task in an event's resources. Held to the id
    grammar: an event refused for what its resource holds (an address, a path) names none."""
    if payload is None:
        return None
    for key in ("taskId", "caseId"):
        if key in payload:
            return _id(payload[key])
    resources = payload.get("resources")
    for resource in resources if isinstance(resources, list) else []:
        if isinstance(resource, str) and any(f"{k}/" in resource for k in TASK_KEYS.values()):
            return _id(resource.rsplit("/", 1)[-1])
    return None


def _event_id(payload: dict[str, Any] | None) -> str | None:
    value = (payload or {}).get("id") or (payload or {}).get("eventId")
    return _id(value)


def _id(value: object) -> str | None:
    held = held_to(value, IDENTIFIER, "")
    return held or None


def _receiver(attributes: dict[str, str]) -> str | None:
    if PARKED_RECEIVER_ATTRIBUTE not in attributes:
        return None
    return held_to(attributes[PARKED_RECEIVER_ATTRIBUTE], _RECEIVER, UNRECOGNISED_RECEIVER)


def _object(value: object) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one (a record's parts may be anything)."""
    return value if isinstance(value, dict) else {}


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
        if name in INBOUND_QUEUES:
            results += _redrive_inbound(target, url, name, limit - len(results), on_message)
            continue
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


def _redrive_inbound(
    target: Target,
    url: str,
    name: str,
    limit: int,
    on_message: Callable[[], None] | None,
) -> list[DlqRedrivenOut]:
    """Parked inbound actions, carried out again by the reaction: it reads them from the queue
    itself (an action names who acted, and operators may not put one on InboundQueue:
    `AuditGuardPolicy`). The messages are taken here only to know which, then put back."""
    taken = list(take(url, name, limit))
    for message in taken:
        release(url, message)
    if not taken:
        return []
    answer = target.operator_client().send(
        {
            "action": "inbound-redrive",
            "messageIds": [message.message_id for message in taken],
            "limit": len(taken),
        }
    )
    found = {
        str(item.get("messageId")): item
        for item in answer.get("redriven") or []
        if isinstance(item, dict)
    }
    results = []
    for message in taken:
        item = found.get(message.message_id)
        detail = (
            clean_text(str(item.get("detail", "")), 500)
            if item
            else "the reaction did not find it (taken meanwhile): list the queue again"
        )
        results.append(
            DlqRedrivenOut(
                **message.out().model_dump(),
                redriven=bool(item and item.get("redriven") is True),
                detail=detail,
            )
        )
        if on_message is not None:
            on_message()
    return results


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
