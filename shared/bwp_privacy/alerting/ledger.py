"""Per-receiver delivery ledger: the same task alerts the same receiver once per window.

SNS, SQS and Lambda all deliver at least once. A delivery first claims its (receiver, task)
slot with a conditional write, then marks it DELIVERED with an expiry at the end of the
route's repeat window. A claim whose holder crashed expires after a lease, so nothing is
lost; a DELIVERED slot makes a redelivery a no-op. A delivery the receiver refused for good
is PARKED (the alert waits in the dead-letter queue): redeliveries skip it too, until a
redrive asks for it again.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

BATCH_WRITE_LIMIT = 25
MAX_BATCH_ATTEMPTS = 5
PENDING = "PENDING"
DELIVERED = "DELIVERED"
PARKED = "PARKED"


class ClaimState(StrEnum):
    CLAIMED = "CLAIMED"
    ALREADY_DELIVERED = "ALREADY_DELIVERED"
    IN_PROGRESS = "IN_PROGRESS"
    PARKED = "PARKED"


@dataclass(frozen=True)
class Claim:
    state: ClaimState
    key: str
    token: str


class DeliveryLedger:
    """DynamoDB table keyed by ``deliveryKey`` = ``{receiver}#{taskId}``; TTL ``expiresAt``."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        lease_seconds: int = 300,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._table = table_name
        self._lease = lease_seconds
        self._clock = clock

    def claim(self, receiver: str, task_id: str, *, retry_parked: bool = False) -> Claim:
        """Take the slot unless it is delivered or parked (within its window) or held by a
        live claim; ``retry_parked`` (a redrive) takes a parked slot back."""
        token = uuid.uuid4().hex
        put = self._claim_put(receiver, task_id, token, int(self._clock()), retry_parked)
        try:
            self._client.put_item(**put, ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except self._client.exceptions.ConditionalCheckFailedException as error:
            old_state = error.response.get("Item", {}).get("state", {}).get("S")
            state = {
                DELIVERED: ClaimState.ALREADY_DELIVERED,
                PARKED: ClaimState.PARKED,
            }.get(old_state or "", ClaimState.IN_PROGRESS)
            return Claim(state=state, key=put["Item"]["deliveryKey"]["S"], token="")
        return Claim(state=ClaimState.CLAIMED, key=_key(receiver, task_id), token=token)

    def _claim_put(
        self, receiver: str, task_id: str, token: str, now: int, retry_parked: bool
    ) -> dict[str, Any]:
        condition = (
            "attribute_not_exists(deliveryKey)"
            " OR (#state = :pending AND leaseUntil < :now)"
            " OR (#state IN (:delivered, :parked) AND expiresAt < :now)"
        )
        if retry_parked:
            condition += " OR #state = :parked"
        return {
            "TableName": self._table,
            "Item": {
                "deliveryKey": {"S": _key(receiver, task_id)},
                "receiver": {"S": receiver},
                "taskId": {"S": task_id},
                "state": {"S": PENDING},
                "claimToken": {"S": token},
                "leaseUntil": {"N": str(now + self._lease)},
                "expiresAt": {"N": str(now + self._lease)},
            },
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#state": "state"},
            "ExpressionAttributeValues": {
                ":pending": {"S": PENDING},
                ":delivered": {"S": DELIVERED},
                ":parked": {"S": PARKED},
                ":now": {"N": str(now)},
            },
        }

    def mark_delivered(self, claims: Sequence[Claim], repeat_window_seconds: int) -> None:
        """Close the slots for the repeat window (batched: we hold every one of them)."""
        now = int(self._clock())
        requests = [
            {
                "PutRequest": {
                    "Item": {
                        "deliveryKey": {"S": claim.key},
                        "receiver": {"S": claim.key.split("#", 1)[0]},
                        "taskId": {"S": claim.key.split("#", 1)[1]},
                        "state": {"S": DELIVERED},
                        "deliveredAt": {"N": str(now)},
                        "expiresAt": {"N": str(now + repeat_window_seconds)},
                    }
                }
            }
            for claim in claims
        ]
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            pending = {self._table: requests[start : start + BATCH_WRITE_LIMIT]}
            for _ in range(MAX_BATCH_ATTEMPTS):
                answer = self._client.batch_write_item(RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(0.05)
            if pending:
                raise RuntimeError(f"ledger: {len(pending[self._table])} marks left unprocessed")

    def mark_parked(self, claim: Claim, repeat_window_seconds: int) -> None:
        """The receiver refused the alert for good and it waits in the dead-letter queue:
        redeliveries skip this slot for the repeat window, a redrive takes it back."""
        now = int(self._clock())
        receiver, task_id = claim.key.split("#", 1)
        self._client.put_item(
            TableName=self._table,
            Item={
                "deliveryKey": {"S": claim.key},
                "receiver": {"S": receiver},
                "taskId": {"S": task_id},
                "state": {"S": PARKED},
                "parkedAt": {"N": str(now)},
                "expiresAt": {"N": str(now + repeat_window_seconds)},
            },
        )

    def release(self, claim: Claim) -> None:
        """Give a slot back after a failed delivery, so the retry can take it at once."""
        # A failed condition means someone else holds the slot now: theirs to finish.
        with contextlib.suppress(self._client.exceptions.ConditionalCheckFailedException):
            self._client.delete_item(
                TableName=self._table,
                Key={"deliveryKey": {"S": claim.key}},
                ConditionExpression="claimToken = :token",
                ExpressionAttributeValues={":token": {"S": claim.token}},
            )


def _key(receiver: str, task_id: str) -> str:
    return f"{receiver}#{task_id}"
