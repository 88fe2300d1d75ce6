"""SilencesTable: every silence in one partition (``pk`` = ``SILENCES``, ``sk`` = its id).

Silences are few (tens at most: each is made by hand and ends within a week), so one
partition holds them all and one Query with a consistent read reads them: the router reads
the active ones once per batch (a silence added a moment ago holds for the next batch), the
CLI lists them all. A Query of the one partition rather than a Scan: the same read, but its
grant names the table's one read and a stray item of another shape could never be read as a
silence. The reaction alone writes (operators' requests): ``AuditGuardPolicy`` denies
operators any direct write. A silence is kept `KEEP_DAYS` after it ended (DynamoDB TTL
``expiresAt``), so `silence list` shows the recently ended ones and who made them.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from bwp_privacy.silences.silence import Silence

PARTITION = "SILENCES"
#: Days a silence is kept after it ended (the audit trail keeps its entries longer).
KEEP_DAYS = 30


class SilenceConflict(RuntimeError):
    """The silence changed (or was made) meanwhile: read it again."""


class SilenceStore:
    """Reads and writes silences (the reaction writes; the router and the CLI read)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, silence: Silence) -> None:
        """Keep a new silence (a conditional put: an id is never reused)."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=_item(silence),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            raise SilenceConflict(f"silence {silence.silence_id} exists already") from None

    def replace(self, old: Silence, new: Silence) -> None:
        """Write ``new`` in place of ``old``, only if the item is still ``old``."""
        item = _item(new)
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="body = :old",
                ExpressionAttributeValues={":old": {"S": _body(old)}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            raise SilenceConflict(f"silence {old.silence_id} changed meanwhile") from None

    def load(self, silence_id: str) -> Silence | None:
        answer = self._client.get_item(
            TableName=self._table,
            Key={"pk": {"S": PARTITION}, "sk": {"S": silence_id}},
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return None if item is None else Silence.model_validate_json(item["body"]["S"])

    def all(self) -> list[Silence]:
        """Every silence kept, the latest end first."""
        return sorted(self._query(None), key=lambda s: s.ended_at, reverse=True)

    def active(self, now: datetime) -> list[Silence]:
        """The silences muting now (the table filters out those ended)."""
        return [s for s in self._query(now) if s.active(now)]

    def _query(self, ending_after: datetime | None) -> list[Silence]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": PARTITION}},
            "ConsistentRead": True,
        }
        if ending_after is not None:
            request["FilterExpression"] = "endsAt > :now"
            request["ExpressionAttributeValues"][":now"] = {"N": str(int(ending_after.timestamp()))}
        found: list[Silence] = []
        while True:
            answer = self._client.query(**request)
            found.extend(
                Silence.model_validate_json(item["body"]["S"]) for item in answer.get("Items", [])
            )
            if "LastEvaluatedKey" not in answer:
                return found
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def _body(silence: Silence) -> str:
    return json.dumps(silence.to_json_dict(), separators=(",", ":"), sort_keys=True)


def _item(silence: Silence) -> dict[str, Any]:
    end = silence.ended_at
    return {
        "pk": {"S": PARTITION},
        "sk": {"S": silence.silence_id},
        "body": {"S": _body(silence)},
        # Whole seconds, rounded up: the filter must never drop a silence still muting.
        "endsAt": {"N": str(int(end.timestamp()) + 1)},
        "expiresAt": {"N": str(int((end + timedelta(days=KEEP_DAYS)).timestamp()))},
    }
