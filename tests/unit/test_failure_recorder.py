"""FailureRecorder with fakes behind its seams: the API lookup, the store, the publisher and
the metrics. What it does once, twice, and when the API or a crash gets in the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bwp_privacy import bwp_api
from bwp_privacy.bwp_api import (
    DeletionTask,
    PrivacyTask,
    ResourceNotFoundApiError,
    RetrievalTask,
    ThrottlingApiError,
)
from bwp_privacy.contract import LookupStatus, TaskError, TaskFailure
from bwp_privacy.recorder import Claim, EventHeldError, FailureRecorder, TaskRef, parse_event
from tests.conftest import load_event

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@dataclass
class FakeLookup:
    answer: PrivacyTask | Exception
    calls: list[tuple[str, str, str]] = field(default_factory=list)

    def get_task(
        self, kind: str, business_product_id: str, task_id: str, *, deadline: float | None = None
    ) -> PrivacyTask:
        answer = self._answer(kind, business_product_id, task_id)
        # As the client reads it: the model of the kind asked about.
        assert isinstance(answer, bwp_api.task_model(kind))
        return answer

    def _answer(self, kind: str, business_product_id: str, task_id: str) -> PrivacyTask:
        self.calls.append((kind, business_product_id, task_id))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@dataclass
class FakeStore:
    """The failures table by event id, with FailureStore's rules: the item is the event's
    lock (claimed, then marked with the record, or released). ``calls`` counts its AWS calls."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    fail_release: bool = False

    def claim(
        self, task_id: str, event_id: str, *, token: str, until: datetime, now: datetime
    ) -> Claim:
        self.calls.append("claim")
        item = self.items.get(event_id)
        if item is not None:
            if "publishedAt" in item:
                return Claim(won=False, published=dict(item))
            if item.get("claimedUntil") is not None and item["claimedUntil"] >= now:
                return Claim(won=False, held_until=item["claimedUntil"])
        self.items[event_id] = {"claimToken": token, "claimedUntil": until}
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
        self.calls.append("mark")
        item = self.items.get(failure.event_id)
        if item is None or item.get("claimToken") != token:
            return False
        self.items[failure.event_id] = {
            **failure.to_json_dict(),
            "errorCodes": failure.error_codes,
            "publishedAt": at.isoformat(),
            "messageId": message_id,
        }
        return True

    def release(self, task_id: str, event_id: str, token: str) -> bool:
        self.calls.append("release")
        if self.fail_release:
            raise ConnectionError("the table is out of reach")
        item = self.items.get(event_id)
        if item is None or item.get("claimToken") != token or "publishedAt" in item:
            return False
        del self.items[event_id]
        return True

    def claim_of(self, event_id: str) -> str | None:
        return self.items.get(event_id, {}).get("claimToken")


@dataclass
class FakePublisher:
    sent: list[TaskFailure] = field(default_factory=list)
    error: Exception | None = None

    def publish(self, failure: TaskFailure) -> str:
        if self.error is not None:
            raise self.error
        self.sent.append(failure)
        return f"message-{len(self.sent)}"


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class FakeMetrics:
    counts: list[tuple[str, int, dict[str, str]]] = field(default_factory=list)

    def count(self, name: str, value: int = 1, **dimensions: str) -> None:
        self.counts.append((name, value, dimensions))

    def names(self) -> list[str]:
        return [name for name, _, _ in self.counts]


TASK = DeletionTask(
    task_id="t-1",
    status="FAILED",
    submission_date="2026-10-01T08:00:00Z",
    errors=[bwp_api.TaskError(code="ORDERS_NOT_CLOSED", message="open orders for a@b.example")],
)


def ref() -> TaskRef:
    return parse_event(load_event())


@dataclass
class Rig:
    recorder: FailureRecorder
    lookup: FakeLookup
    store: FakeStore
    publisher: FakePublisher
    metrics: FakeMetrics
    clock: Clock

    def aws_calls(self) -> int:
        """The store's calls and the publishes: every AWS call the recorder made."""
        return len(self.store.calls) + len(self.publisher.sent)


def rig(answer: PrivacyTask | Exception = TASK, lookup: FakeLookup | None = None) -> Rig:
    lookup = lookup or FakeLookup(answer)
    store, publisher, metrics, clock = FakeStore(), FakePublisher(), FakeMetrics(), Clock()
    built = FailureRecorder(lookup, store, publisher, metrics, now=clock)
    return Rig(built, lookup, store, publisher, metrics, clock)


def test_a_retrieval_failure_is_looked_up_as_a_retrieval_and_published_as_one() -> None:
    event = load_event()
    event["detail-type"] = "PERSONAL_DATA_RETRIEVAL_TASK_FAILED"
    event["resources"] = [event["resources"][0].replace("DeletionTask", "RetrievalTask")]
    lookup = FakeLookup(
        RetrievalTask(
            task_id="t-r",
            status="FAILED",
            errors=[bwp_api.TaskError(code="DATA_SUBJECT_NOT_FOUND", message="none")],
        )
    )
    r = rig(lookup=lookup)
    outcome = r.recorder.record(parse_event(event))
    assert outcome.task_kind == "retrieval"
    assert [kind for kind, _, _ in lookup.calls] == ["retrieval"]
    [failure] = r.publisher.sent
    assert (failure.task_kind, failure.detail_type) == (
        "retrieval",
        "PERSONAL_DATA_RETRIEVAL_TASK_FAILED",
    )
    assert failure.holding_period is None
    assert ("RetrievalFailures", 1, {"errorCode": "DATA_SUBJECT_NOT_FOUND"}) in r.metrics.counts
    assert "DeletionFailures" not in r.metrics.names()


def test_a_new_event_is_claimed_published_and_marked_in_three_calls() -> None:
    r = rig()
    outcome = r.recorder.record(ref(), token="run-1")
    assert (outcome.stored, outcome.published, outcome.duplicate) == (True, True, False)
    assert outcome.message_id == "message-1"
    assert r.store.calls == ["claim", "mark"]
    assert r.aws_calls() == 3
    [failure] = r.publisher.sent
    item = r.store.items[failure.event_id]
    # The mark wrote the whole record and dropped the claim.
    assert item["publishedAt"] == NOW.isoformat()
    assert item["messageId"] == "message-1"
    assert item["errorCodes"] == ["ORDERS_NOT_CLOSED"]
    assert "claimToken" not in item
    # The contract's own TaskError, with the message as the API client gave it (masked there).
    assert failure.errors == [
        TaskError(code="ORDERS_NOT_CLOSED", message="open orders for <email redacted>")
    ]
    assert failure.received_at == "2026-11-29T12:00:00Z"
    assert "FailuresPublished" in r.metrics.names()
    assert ("DeletionFailures", 1, {"errorCode": "ORDERS_NOT_CLOSED"}) in r.metrics.counts


def test_the_claim_lasts_the_lease_it_is_given() -> None:
    r = rig(ThrottlingApiError("slow down"))
    r.store.fail_release = True  # the claim stays behind, as after a crash
    with pytest.raises(ThrottlingApiError):
        r.recorder.record(ref(), token="run-1", lease_seconds=42)
    [item] = r.store.items.values()
    assert item == {"claimToken": "run-1", "claimedUntil": NOW + timedelta(seconds=42)}


def test_a_duplicate_of_a_published_event_is_one_call_and_no_lookup() -> None:
    r = rig()
    first = r.recorder.record(ref())
    r.store.calls.clear()
    r.lookup.calls.clear()
    again = r.recorder.record(ref())
    assert (again.stored, again.published, again.duplicate) == (False, False, True)
    # What the earlier run recorded, from the refused claim's answer.
    assert again.message_id == first.message_id
    assert again.lookup_status is LookupStatus.OK
    assert again.error_codes == ["ORDERS_NOT_CLOSED"]
    assert again.task_kind == "deletion"
    assert r.store.calls == ["claim"]
    assert r.lookup.calls == []
    assert len(r.publisher.sent) == 1
    assert "DuplicateEvents" in r.metrics.names()


def test_an_event_another_run_holds_is_refused_without_a_lookup_or_a_publish() -> None:
    r = rig()
    until = NOW + timedelta(seconds=30)
    r.store.items[ref().event.id] = {"claimToken": "other-run", "claimedUntil": until}
    with pytest.raises(EventHeldError) as held:
        r.recorder.record(ref(), token="run-2")
    assert held.value.held_until == until
    assert "held by another invocation until" in str(held.value)
    assert r.store.calls == ["claim"]
    assert r.lookup.calls == []
    assert r.publisher.sent == []
    assert r.store.claim_of(ref().event.id) == "other-run"  # untouched


def test_a_claim_whose_lease_ran_out_is_taken_over_and_published_once() -> None:
    r = rig()
    # A run claimed the event and died before its mark (maybe before its publish).
    r.store.items[ref().event.id] = {
        "claimToken": "dead-run",
        "claimedUntil": NOW - timedelta(milliseconds=1),
    }
    outcome = r.recorder.record(ref(), token="run-2")
    assert (outcome.stored, outcome.published) == (True, True)
    assert len(r.publisher.sent) == 1
    assert r.store.items[ref().event.id]["messageId"] == "message-1"


def test_a_run_whose_claim_was_taken_over_does_not_overwrite_and_says_so() -> None:
    r = rig()
    event_id = ref().event.id

    def slow_publish(failure: TaskFailure) -> str:
        # Our lease runs out while we publish, and another run claims the event.
        r.store.items[event_id] = {"claimToken": "run-2", "claimedUntil": NOW}
        return "message-late"

    r.publisher.publish = slow_publish  # type: ignore[method-assign]
    outcome = r.recorder.record(ref(), token="run-1")
    assert (outcome.stored, outcome.published) == (False, True)
    assert r.store.claim_of(event_id) == "run-2"  # the new holder's claim stands
    assert "ClaimsLost" in r.metrics.names()


def test_a_transient_api_error_frees_the_claim_so_the_retry_runs_at_once() -> None:
    r = rig(ThrottlingApiError("slow down"))
    with pytest.raises(ThrottlingApiError):
        r.recorder.record(ref(), token="run-1")
    assert r.store.calls == ["claim", "release"]
    assert r.store.items == {}
    assert r.publisher.sent == []
    assert ("TaskLookups", 1, {"outcome": "TRANSIENT_ERROR"}) in r.metrics.counts

    r.lookup.answer = TASK  # Lambda's retry, a minute later (or at once: nothing holds it)
    assert r.recorder.record(ref(), token="run-2").published is True
    assert len(r.publisher.sent) == 1


def test_a_publish_failure_frees_the_claim_and_the_retry_publishes_once() -> None:
    r = rig()
    r.publisher.error = ConnectionError("SNS is out of reach")
    with pytest.raises(ConnectionError):
        r.recorder.record(ref(), token="run-1")
    assert r.store.items == {}
    r.publisher.error = None
    outcome = r.recorder.record(ref(), token="run-2")
    assert (outcome.stored, outcome.published) == (True, True)
    assert len(r.publisher.sent) == 1


def test_a_release_that_fails_leaves_the_original_error_and_the_lease() -> None:
    r = rig(ThrottlingApiError("slow down"))
    r.store.fail_release = True
    with pytest.raises(ThrottlingApiError):
        r.recorder.record(ref(), token="run-1", lease_seconds=5)
    assert r.store.claim_of(ref().event.id) == "run-1"
    with pytest.raises(EventHeldError):  # held until the lease ends...
        r.recorder.record(ref(), token="run-2")
    r.clock.now = NOW + timedelta(seconds=6)  # ...then free
    r.lookup.answer = TASK
    assert r.recorder.record(ref(), token="run-3").published is True


def test_a_permanent_api_error_is_recorded_for_a_person_to_look_at() -> None:
    r = rig(ResourceNotFoundApiError("no such task", code="404"))
    outcome = r.recorder.record(ref())
    assert outcome.lookup_status is LookupStatus.RESOURCE_NOT_FOUND
    [failure] = r.publisher.sent
    assert failure.lookup.error_type == "ResourceNotFoundError"
    assert failure.error_codes == ["NONE"]
    assert ("TaskLookups", 1, {"outcome": "RESOURCE_NOT_FOUND"}) in r.metrics.counts
    again = r.recorder.record(ref())
    assert (again.duplicate, again.lookup_status) == (True, LookupStatus.RESOURCE_NOT_FOUND)
