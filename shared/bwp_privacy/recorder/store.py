"""DynamoDB table of deletion failures: one item per failed-task event."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from bwp_privacy.common import iso_z
from bwp_privacy.contract import DeletionFailure

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
            ExpressionAttributeValues={":at": {"S": iso_z(at)}, ":id": {"S": message_id}},
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

    def list_received(
        self,
        since: datetime,
        *,
        business_product_id: str | None = None,
        error_code: str | None = None,
        until: datetime | None = None,
        on_query: Callable[[], None] | None = None,
    ) -> list[dict[str, Any]]:
        """Failures received since ``since``, newest first, by index query (never a scan).

        By business product: the ByBusinessProduct index. Otherwise ByReceivedDay, one query
        per day. An error code filters the results (errorCodes is a list, not a key).
        ``on_query`` is called after each index query (a progress bar counts the days).
        """
        until = until or datetime.now(since.tzinfo)
        bounds = {":from": {"S": iso_z(since)}, ":to": {"S": iso_z(until)}}
        condition = "receivedAt BETWEEN :from AND :to"
        extra: dict[str, Any] = {}
        if error_code:
            extra["FilterExpression"] = "contains(errorCodes, :code)"
            bounds[":code"] = {"S": error_code}
        if business_product_id:
            keys = [("ByBusinessProduct", "businessProductId", business_product_id)]
        else:
            days = (until.date() - since.date()).days
            keys = [
                ("ByReceivedDay", "receivedDay", (until.date() - timedelta(days=n)).isoformat())
                for n in range(days + 1)
            ]
        items: list[dict[str, Any]] = []
        paginator = self._client.get_paginator("query")
        for index, attribute, value in keys:
            for page in paginator.paginate(
                TableName=self._table,
                IndexName=index,
                KeyConditionExpression=f"{attribute} = :key AND {condition}",
                ExpressionAttributeValues={**bounds, ":key": {"S": value}},
                ScanIndexForward=False,
                **extra,
            ):
                items.extend(_plain(item) for item in page.get("Items", []))
            if on_query is not None:
                on_query()
        return sorted(items, key=lambda item: str(item.get("receivedAt")), reverse=True)

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
