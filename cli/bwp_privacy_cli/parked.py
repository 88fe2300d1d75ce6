"""Messages parked in the dead-letter queues: what they hold and why they are there."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bwp_privacy.alerting import PARKED_REASON_ATTRIBUTE, PARKED_RECEIVER_ATTRIBUTE
from bwp_privacy_cli.json_output import DlqMessageOut, iso_from_millis

QUEUES = {
    "rule-dlq": "EventBridge rule dead-letter queue (the function could not be invoked)",
    "on-failure": "DeletionTaskFailedFunction OnFailure queue (the handler kept failing)",
    "router-dlq": "Alert router dead-letter queue (alerts not delivered)",
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

    @property
    def task_id(self) -> str | None:
        if self.payload is None:
            return None
        if "taskId" in self.payload:
            return str(self.payload["taskId"])
        for resource in self.payload.get("resources", []) or []:
            if isinstance(resource, str) and "personalDataDeletionTask/" in resource:
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
    if queue == "on-failure" and payload is not None and "requestPayload" in payload:
        context = payload.get("requestContext", {})
        response = payload.get("responsePayload") or {}
        condition = context.get("condition", "failed")
        attempts = context.get("approximateInvokeCount", "?")
        error = f"{response.get('errorType', 'Error')}: {response.get('errorMessage', '')}"
        reason = f"{condition} after {attempts} attempt(s): {error}"
        payload = payload["requestPayload"] if isinstance(payload["requestPayload"], dict) else None
    elif queue == "rule-dlq":
        code = attributes.get("ERROR_CODE", "delivery failed")
        detail = attributes.get("ERROR_MESSAGE", "")
        reason = f"{code}: {detail} (rule {attributes.get('RULE_ARN', '?')})"
    elif queue == "router-dlq" and PARKED_RECEIVER_ATTRIBUTE in attributes:
        receiver = attributes[PARKED_RECEIVER_ATTRIBUTE]
        answer = attributes.get(PARKED_REASON_ATTRIBUTE, "refused")
        reason = f"{receiver} refused it for good: {answer}"
    elif queue == "router-dlq":
        reason = f"not delivered after {receives} receive(s); see the alert router's logs"
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
    )
