"""Inbound actions parked in InboundQueue's dead-letter queue, carried out again by the
reaction itself at an operator's request (`bwp-privacy dlq redrive --queue inbound-dlq`).

An inbound action names who acted (``slack:<team>/<user>``, ``pagerduty:<user>``): only the
inbound function, which verified the request, may put one on InboundQueue, and
`AuditGuardPolicy` denies operators sending there. So an operator never hands the reaction an
action's body: they name the parked messages (or none: the first ones), and the reaction reads
them from the dead-letter queue, carries each out as it would have from InboundQueue (once: its
claim), and deletes it. What is not an inbound action stays for a person to look at.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from bwp_privacy.common import describe_validation_error
from bwp_privacy.contract.inbound import InboundAction, PagerDutyAction, SlackAction

_ACTION: TypeAdapter[SlackAction | PagerDutyAction] = TypeAdapter(InboundAction)
#: How long a message taken stays out of sight while it is carried out (the reaction's timeout).
VISIBILITY_SECONDS = 60


@dataclass(frozen=True)
class Redriven:
    """One parked message: whether it was carried out (and deleted), and what came of it."""

    message_id: str
    redriven: bool
    detail: str


class InboundDeadLetters:
    """InboundQueue's dead-letter queue (ReceiveMessage, DeleteMessage, ChangeMessageVisibility
    on it: granted to the reaction alone)."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def redrive(
        self,
        message_ids: Collection[str],
        limit: int,
        carry_out: Callable[[SlackAction | PagerDutyAction], str],
    ) -> list[Redriven]:
        """Carry out the parked messages named (every one when none is), at most ``limit``;
        those taken but not wanted, or not inbound actions, are put back at the end."""
        done: list[Redriven] = []
        put_back: list[str] = []
        seen: set[str] = set()
        while len(done) < limit:
            taken = self._client.receive_message(
                QueueUrl=self._url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=VISIBILITY_SECONDS,
                WaitTimeSeconds=0,
            ).get("Messages", [])
            fresh = [m for m in taken if m["MessageId"] not in seen]
            if not fresh:
                break
            for message in fresh:
                seen.add(message["MessageId"])
                wanted = not message_ids or message["MessageId"] in message_ids
                if not wanted or len(done) >= limit:
                    put_back.append(message["ReceiptHandle"])
                    continue
                result = self._one(message, carry_out)
                done.append(result)
                if result.redriven:
                    self._client.delete_message(
                        QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"]
                    )
                else:
                    put_back.append(message["ReceiptHandle"])
        for handle in put_back:
            self._client.change_message_visibility(
                QueueUrl=self._url, ReceiptHandle=handle, VisibilityTimeout=0
            )
        return done

    def _one(
        self, message: dict[str, Any], carry_out: Callable[[SlackAction | PagerDutyAction], str]
    ) -> Redriven:
        try:
            action = _ACTION.validate_json(message["Body"])
        except ValidationError as error:
            reason = describe_validation_error(error, subject="inbound action")
            return Redriven(message["MessageId"], False, f"{reason}: left for a person")
        except ValueError:
            return Redriven(message["MessageId"], False, "not JSON: left for a person")
        outcome = carry_out(action)
        return Redriven(message["MessageId"], True, f"{action.source}: {outcome}")
