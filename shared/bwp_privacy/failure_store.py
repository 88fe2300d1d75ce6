"""DynamoDB table of deletion failures: one item per failed-task event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from bwp_privacy.failure import DeletionFailure

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


@dataclass(frozen=True, slots=True)
class StoreResult:
    """Whether the put created the item, and when an earlier attempt published it."""

    created: bool
    published_at: str | None = None


class FailureStore:
    """Key: taskId (partition) + eventId (sort); TTL attribute ``expiresAt``."""

    def __init__(self, client: Any, table_name: str, retention_days: int) -> None:
        self._client = client
        self._table = table_name
        self._retention = timedelta(days=retention_days)

    def put_new(self, failure: DeletionFailure, received_at: datetime) -> StoreResult:
        """Store ``failure`` unless this event is stored already (conditional write)."""
        item = self.to_item(failure, received_at)
        try:
            self._client.put_item(
                TableName=self._table,
                Item={key: _SERIALIZER.serialize(value) for key, value in item.items()},
                ConditionExpression="attribute_not_exists(taskId)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._client.exceptions.ConditionalCheckFailedException as error:
            old = error.response.get("Item") or {}
            published = old.get("publishedAt", {}).get("S")
            return StoreResult(created=False, published_at=published)
        return StoreResult(created=True)

    def mark_published(self, failure: DeletionFailure, message_id: str, at: datetime) -> None:
        """Record that the failure message went out, so a later duplicate is not resent."""
        self._client.update_item(
            TableName=self._table,
            Key=_key(failure.task_id, failure.event_id),
            UpdateExpression="SET publishedAt = :at, messageId = :id",
            ExpressionAttributeValues={":at": {"S": _iso(at)}, ":id": {"S": message_id}},
        )

    def get(self, task_id: str, event_id: str) -> dict[str, Any] | None:
        """Return the stored item as plain Python values, or None."""
        answer = self._client.get_item(
            TableName=self._table, Key=_key(task_id, event_id), ConsistentRead=True
        )
        item = answer.get("Item")
        return None if item is None else _plain(item)

    def for_task(self, task_id: str) -> list[dict[str, Any]]:
        """Return every stored event of one task."""
        answer = self._client.query(
            TableName=self._table,
            KeyConditionExpression="taskId = :t",
            ExpressionAttributeValues={":t": {"S": task_id}},
            ConsistentRead=True,
        )
        return [_plain(item) for item in answer.get("Items", [])]

    def to_item(self, failure: DeletionFailure, received_at: datetime) -> dict[str, Any]:
        """The stored form: the message fields plus index and TTL attributes."""
        item = {k: v for k, v in failure.to_json_dict().items() if v is not None}
        item["errorCodes"] = failure.error_codes
        item["primaryErrorCode"] = failure.error_codes[0]
        item["receivedDay"] = received_at.date().isoformat()
        item["expiresAt"] = int((received_at + self._retention).timestamp())
        return item


def _key(task_id: str, event_id: str) -> dict[str, Any]:
    return {"taskId": {"S": task_id}, "eventId": {"S": event_id}}


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _DESERIALIZER.deserialize(value) for key, value in item.items()}


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
