"""DynamoDB table of task failures: one item per failed-task event, which is also the
event's lock while it is being recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from bwp_privacy.common import iso_z
from bwp_privacy.contract import TaskFailure

_SERIALIZER = TypeSerializer()
#: The key attributes (an update cannot set them) and the claim's two attributes.
_KEY = ("taskId", "eventId")
_TOKEN = "claimToken"  # noqa: S105 (an attribute name, not a secret)
_UNTIL = "claimedUntil"
_DESERIALIZER = TypeDeserializer()


@dataclass(frozen=True, slots=True)
class Claim:
    """What the claim on an event found: the event is ours to record (``won``), an earlier
    run published it already (``published``: the stored record, plain values), or another
    run holds it until ``held_until``."""

    won: bool
    published: dict[str, Any] | None = None
    held_until: datetime | None = None


class FailureStore:
    """Key: taskId (partition) + eventId (sort); TTL attribute ``expiresAt``.

    The item is also the event's lock. `claim` writes it holding only the claim (a token and
    ``claimedUntil``, epoch milliseconds); `mark` turns it into the failure record, published,
    and drops the claim; `release` deletes a claim that never got that far. Reads skip
    claims: they hold no record.
    """

    def __init__(self, client: Any, table_name: str, retention_days: int) -> None:
        self._client = client
        self._table = table_name
        self._retention = timedelta(days=retention_days)

    def claim(
        self, task_id: str, event_id: str, *, token: str, until: datetime, now: datetime
    ) -> Claim:
        """Claim the event until ``until`` (one conditional write): it wins if no item exists,
        or the item was never published and its claim ran out. When it loses, the item as it
        was tells why (no read needed)."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    **_key(task_id, event_id),
                    _TOKEN: {"S": token},
                    _UNTIL: {"N": str(_millis(until))},
                    "expiresAt": {"N": str(int((now + self._retention).timestamp()))},
                },
                ConditionExpression=(
                    "attribute_not_exists(taskId) OR (attribute_not_exists(publishedAt)"
                    " AND (attribute_not_exists(#until) OR #until < :now))"
                ),
                ExpressionAttributeNames={"#until": _UNTIL},
                ExpressionAttributeValues={":now": {"N": str(_millis(now))}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._client.exceptions.ConditionalCheckFailedException as error:
            old = _plain(error.response.get("Item") or {})
            if "publishedAt" in old:
                return Claim(won=False, published=old)
            if old.get(_TOKEN) == token:  # our own write, answered late and retried by the SDK
                return Claim(won=True)
            until_ms = old.get(_UNTIL)
            held = _from_millis(until_ms) if until_ms is not None else now
            return Claim(won=False, held_until=held)
        return Claim(won=True)

    def mark(
        self,
        failure: TaskFailure,
        received_at: datetime,
        *,
        token: str,
        message_id: str,
        at: datetime,
    ) -> bool:
        """Write the whole failure record, published (``publishedAt``, ``messageId``), and
        drop the claim: one update, on condition that the claim is still ``token``'s. False
        if it is not (the lease ran out and another run took the event over)."""
        record = self.to_item(failure, received_at)
        record["publishedAt"] = iso_z(at)
        record["messageId"] = message_id
        fields = [(name, value) for name, value in record.items() if name not in _KEY]
        names = {f"#f{n}": name for n, (name, _) in enumerate(fields)}
        values = {f":f{n}": _SERIALIZER.serialize(value) for n, (_, value) in enumerate(fields)}
        sets = ", ".join(f"#f{n} = :f{n}" for n in range(len(fields)))
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(failure.task_id, failure.event_id),
                UpdateExpression=f"SET {sets} REMOVE #token, #until",
                ConditionExpression="#token = :token",
                ExpressionAttributeNames={**names, "#token": _TOKEN, "#until": _UNTIL},
                ExpressionAttributeValues={**values, ":token": {"S": token}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._client.exceptions.ConditionalCheckFailedException as error:
            old = _plain(error.response.get("Item") or {})
            # Our own update, answered late and retried by the SDK, is a success.
            return "publishedAt" in old and old.get("messageId") == message_id
        return True

    def release(self, task_id: str, event_id: str, token: str) -> bool:
        """Delete the claim ``token`` holds on an event, if it was never published (a run
        that failed or was cut short frees its event for the next attempt at once); True if
        one was deleted."""
        try:
            self._client.delete_item(
                TableName=self._table,
                Key=_key(task_id, event_id),
                ConditionExpression="#token = :token AND attribute_not_exists(publishedAt)",
                ExpressionAttributeNames={"#token": _TOKEN},
                ExpressionAttributeValues={":token": {"S": token}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get(self, task_id: str, event_id: str) -> dict[str, Any] | None:
        """Return the stored item as plain Python values, or None."""
        answer = self._client.get_item(
            TableName=self._table, Key=_key(task_id, event_id), ConsistentRead=True
        )
        item = answer.get("Item")
        return _plain(item) if item is not None and _is_record(item) else None

    def for_task(self, task_id: str) -> list[dict[str, Any]]:
        """Return every stored event of one task."""
        answer = self._client.query(
            TableName=self._table,
            KeyConditionExpression="taskId = :t",
            ExpressionAttributeValues={":t": {"S": task_id}},
            ConsistentRead=True,
        )
        return [_plain(item) for item in answer.get("Items", []) if _is_record(item)]

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

    def to_item(self, failure: TaskFailure, received_at: datetime) -> dict[str, Any]:
        """The stored form: the message fields plus index and TTL attributes."""
        item = {k: v for k, v in failure.to_json_dict().items() if v is not None}
        item["errorCodes"] = failure.error_codes
        item["primaryErrorCode"] = failure.error_codes[0]
        item["receivedDay"] = received_at.date().isoformat()
        item["expiresAt"] = int((received_at + self._retention).timestamp())
        return item


def _is_record(item: dict[str, Any]) -> bool:
    """A failure record, not a claim alone (claims carry no record and are in no index)."""
    return "receivedAt" in item


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _from_millis(millis: Any) -> datetime:
    return datetime.fromtimestamp(int(millis) / 1000, UTC)


def _key(task_id: str, event_id: str) -> dict[str, Any]:
    return {"taskId": {"S": task_id}, "eventId": {"S": event_id}}


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _DESERIALIZER.deserialize(value) for key, value in item.items()}
