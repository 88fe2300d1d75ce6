"""Where Powertools idempotency keeps the recorder's claim on an event, and how an operator
tells (and frees) a claim that an interrupted run left behind.

The recorder handles an event once per event id: Powertools writes an INPROGRESS record
keyed ``{IDEMPOTENCY_KEY_PREFIX}#{md5 of the id as JSON}`` before the work and COMPLETED
after it. A run cut short (Ctrl-C on a replay, a killed worker) leaves the INPROGRESS record
until its expiry, the invocation's timeout; a re-run meanwhile is refused as "in progress".
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

#: The key prefix the recorder's idempotency uses: keys survive renames of the function.
IDEMPOTENCY_KEY_PREFIX = "bwp-privacy.deletion-task-failed"
_INPROGRESS = "INPROGRESS"


def idempotency_key(event_id: str) -> str:
    """The idempotency record's key for an event id, as Powertools computes it."""
    # Powertools' own key hash (md5), not a security measure: usedforsecurity=False says so.
    digest = hashlib.md5(
        json.dumps(event_id, sort_keys=True).encode(), usedforsecurity=False
    ).hexdigest()
    return f"{IDEMPOTENCY_KEY_PREFIX}#{digest}"


class IdempotencyHolds:
    """Reads and releases INPROGRESS records of the idempotency table (operator use)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def held_until(self, event_id: str) -> datetime | None:
        """When a run's claim on ``event_id`` expires, if one holds it now."""
        item = self._client.get_item(
            TableName=self._table,
            Key={"id": {"S": idempotency_key(event_id)}},
            ConsistentRead=True,
        ).get("Item")
        if not item or item.get("status", {}).get("S") != _INPROGRESS:
            return None
        millis = item.get("in_progress_expiration", {}).get("N")
        if millis is None:
            return None
        until = datetime.fromtimestamp(int(millis) / 1000, UTC)
        return until if until > datetime.now(UTC) else None

    def release(self, event_id: str) -> bool:
        """Drop the claim on ``event_id`` if it is still INPROGRESS (never a completed one);
        True if one was dropped."""
        errors = self._client.exceptions
        try:
            self._client.delete_item(
                TableName=self._table,
                Key={"id": {"S": idempotency_key(event_id)}},
                ConditionExpression="#status = :inprogress",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":inprogress": {"S": _INPROGRESS}},
            )
        except errors.ConditionalCheckFailedException:
            return False
        return True
