"""FailureStore's three writes (claim, mark, release) against a fake DynamoDB client: what each
sends, and how it reads a refused condition (the item as it was, returned with the refusal)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from bwp_privacy.contract import LookupOutcome, LookupStatus, TaskError, TaskFailure
from bwp_privacy.recorder import FailureStore

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
MILLIS = int(NOW.timestamp() * 1000)


class ConditionalCheckFailedException(ClientError):  # type: ignore[misc]  # botocore: untyped
    pass


class _Exceptions:
    ConditionalCheckFailedException = ConditionalCheckFailedException


@dataclass
class FakeDynamoDB:
    """Records each request; refuses the next one with ``old`` as the item it found."""

    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    refuse_with: dict[str, Any] | None = None
    exceptions: type[_Exceptions] = _Exceptions

    def _answer(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append((operation, request))
        if self.refuse_with is not None:
            old, self.refuse_with = self.refuse_with, None
            raise ConditionalCheckFailedException(
                {"Error": {"Code": "ConditionalCheckFailedException"}, "Item": old}, operation
            )
        return {}

    def put_item(self, **request: Any) -> dict[str, Any]:
        return self._answer("PutItem", request)

    def update_item(self, **request: Any) -> dict[str, Any]:
        return self._answer("UpdateItem", request)

    def delete_item(self, **request: Any) -> dict[str, Any]:
        return self._answer("DeleteItem", request)


FAILURE = TaskFailure(
    event_id="e-1",
    event_time="2026-11-20T12:34:56Z",
    detail_type="PERSONAL_DATA_DELETION_TASK_FAILED",
    business_product_id="bp-1",
    task_id="t-1",
    status="FAILED",
    errors=[TaskError(code="ORDERS_NOT_CLOSED", message="open orders")],
    lookup=LookupOutcome(status=LookupStatus.OK),
    received_at="2026-11-29T12:00:00Z",
)


def store() -> tuple[FailureStore, FakeDynamoDB]:
    client = FakeDynamoDB()
    return FailureStore(client, "failures", retention_days=730), client


def test_a_claim_is_one_conditional_put_holding_the_claim_only() -> None:
    failures, client = store()
    claim = failures.claim("t-1", "e-1", token="run-1", until=NOW + timedelta(seconds=60), now=NOW)
    assert claim.won
    [(operation, request)] = client.requests
    assert operation == "PutItem"
    assert request["Item"] == {
        "taskId": {"S": "t-1"},
        "eventId": {"S": "e-1"},
        "claimToken": {"S": "run-1"},
        "claimedUntil": {"N": str(MILLIS + 60_000)},
        "expiresAt": {"N": str(int((NOW + timedelta(days=730)).timestamp()))},
    }
    # New, or never published and its lease over.
    assert request["ConditionExpression"] == (
        "attribute_not_exists(taskId) OR (attribute_not_exists(publishedAt)"
        " AND (attribute_not_exists(#until) OR #until < :now))"
    )
    assert request["ExpressionAttributeValues"] == {":now": {"N": str(MILLIS)}}
    assert request["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"


def test_a_refused_claim_tells_published_from_held_by_the_item_it_found() -> None:
    failures, client = store()
    client.refuse_with = {
        "taskId": {"S": "t-1"},
        "publishedAt": {"S": "2026-11-29T11:00:00Z"},
        "messageId": {"S": "m-1"},
    }
    claim = failures.claim("t-1", "e-1", token="run-2", until=NOW, now=NOW)
    assert (claim.won, claim.held_until) == (False, None)
    assert claim.published is not None
    assert claim.published["messageId"] == "m-1"

    client.refuse_with = {"claimToken": {"S": "run-1"}, "claimedUntil": {"N": str(MILLIS + 5)}}
    held = failures.claim("t-1", "e-1", token="run-2", until=NOW, now=NOW)
    assert (held.won, held.published) == (False, None)
    assert held.held_until == NOW + timedelta(milliseconds=5)


def test_a_claim_refused_because_our_own_write_landed_first_is_ours() -> None:
    """The SDK retried a put whose first answer was lost: the item it finds is our claim."""
    failures, client = store()
    client.refuse_with = {"claimToken": {"S": "run-1"}, "claimedUntil": {"N": str(MILLIS)}}
    assert failures.claim("t-1", "e-1", token="run-1", until=NOW, now=NOW).won


def test_the_mark_writes_the_whole_record_and_drops_the_claim_if_still_ours() -> None:
    failures, client = store()
    received = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert failures.mark(FAILURE, received, token="run-1", message_id="m-1", at=NOW)
    [(operation, request)] = client.requests
    assert operation == "UpdateItem"
    assert request["Key"] == {"taskId": {"S": "t-1"}, "eventId": {"S": "e-1"}}
    assert request["ConditionExpression"] == "#token = :token"
    assert request["ExpressionAttributeValues"][":token"] == {"S": "run-1"}
    assert request["UpdateExpression"].endswith(" REMOVE #token, #until")
    names = request["ExpressionAttributeNames"]
    assert (names["#token"], names["#until"]) == ("claimToken", "claimedUntil")
    values = request["ExpressionAttributeValues"]
    written = {names[f"#{ref[1:]}"]: values[ref] for ref in values if ref.startswith(":f")}
    # Everything `failures list/show` and the indexes read, and the mark itself.
    assert written["errorCodes"] == {"L": [{"S": "ORDERS_NOT_CLOSED"}]}
    assert written["primaryErrorCode"] == {"S": "ORDERS_NOT_CLOSED"}
    assert written["receivedDay"] == {"S": "2026-11-29"}
    assert written["receivedAt"] == {"S": "2026-11-29T12:00:00Z"}
    assert written["businessProductId"] == {"S": "bp-1"}
    assert written["publishedAt"] == {"S": "2026-11-29T12:00:00Z"}
    assert written["messageId"] == {"S": "m-1"}
    assert written["lookup"]["M"]["status"] == {"S": "OK"}
    assert "expiresAt" in written
    assert not {"taskId", "eventId"} & set(written)  # the key cannot be set


def test_a_mark_refused_is_false_unless_it_was_our_own_mark_retried() -> None:
    failures, client = store()
    client.refuse_with = {"claimToken": {"S": "run-2"}}  # taken over
    assert not failures.mark(FAILURE, NOW, token="run-1", message_id="m-1", at=NOW)
    client.refuse_with = {"publishedAt": {"S": "2026-11-29T12:00:00Z"}, "messageId": {"S": "m-1"}}
    assert failures.mark(FAILURE, NOW, token="run-1", message_id="m-1", at=NOW)


def test_a_release_deletes_only_an_unpublished_claim_carrying_the_token() -> None:
    failures, client = store()
    assert failures.release("t-1", "e-1", "run-1")
    [(operation, request)] = client.requests
    assert operation == "DeleteItem"
    assert request["ConditionExpression"] == (
        "#token = :token AND attribute_not_exists(publishedAt)"
    )
    assert request["ExpressionAttributeValues"] == {":token": {"S": "run-1"}}
    client.refuse_with = {}
    assert not failures.release("t-1", "e-1", "run-1")
