"""FailureRecorder with fakes behind its seams: the API lookup, the store, the publisher and
the metrics. What it does once, twice, and when the API or a crash gets in the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from bwp_privacy import bwp_api
from bwp_privacy.bwp_api import (
    DeletionTask,
    PrivacyTask,
    ResourceNotFoundApiError,
    RetrievalTask,
    ThrottlingApiError,
)
from bwp_privacy.contract import DeletionFailure, LookupStatus, TaskError
from bwp_privacy.recorder import FailureRecorder, StoreResult, TaskRef, parse_event
from tests.conftest import load_event

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@dataclass
class FakeLookup:
    answer: PrivacyTask | Exception
    calls: list[tuple[str, str, str]] = field(default_factory=list)

    def get_deletion_task(
        self, business_product_id: str, task_id: str, *, deadline: float | None = None
    ) -> DeletionTask:
        answer = self._answer("deletion", business_product_id, task_id)
        assert isinstance(answer, DeletionTask)
        return answer

    def get_retrieval_task(
        self, business_product_id: str, task_id: str, *, deadline: float | None = None
    ) -> RetrievalTask:
        answer = self._answer("retrieval", business_product_id, task_id)
        assert isinstance(answer, RetrievalTask)
        return answer

    def _answer(self, kind: str, business_product_id: str, task_id: str) -> PrivacyTask:
        self.calls.append((kind, business_product_id, task_id))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@dataclass
class FakeStore:
    """The failures table: one item per event; remembers whether it went out."""

    items: dict[str, DeletionFailure] = field(default_factory=dict)
    published: dict[str, str] = field(default_factory=dict)

    def put_new(self, failure: DeletionFailure, received_at: datetime) -> StoreResult:
        if failure.event_id in self.items:
            return StoreResult(created=False, published_at=self.published.get(failure.event_id))
        self.items[failure.event_id] = failure
        return StoreResult(created=True)

    def mark_published(self, failure: DeletionFailure, message_id: str, at: datetime) -> None:
        self.published[failure.event_id] = at.isoformat()


@dataclass
class FakePublisher:
    sent: list[DeletionFailure] = field(default_factory=list)

    def publish(self, failure: DeletionFailure) -> str:
        self.sent.append(failure)
        return f"message-{len(self.sent)}"


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


def recorder(
    answer: PrivacyTask | Exception = TASK, lookup: FakeLookup | None = None
) -> tuple[FailureRecorder, FakeStore, FakePublisher, FakeMetrics]:
    store, publisher, metrics = FakeStore(), FakePublisher(), FakeMetrics()
    built = FailureRecorder(
        lookup or FakeLookup(answer), store, publisher, metrics, now=lambda: NOW
    )
    return built, store, publisher, metrics


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
    built, _, publisher, metrics = recorder(lookup=lookup)
    outcome = built.record(parse_event(event))
    assert outcome.task_kind == "retrieval"
    assert [kind for kind, _, _ in lookup.calls] == ["retrieval"]
    [failure] = publisher.sent
    assert (failure.task_kind, failure.detail_type) == (
        "retrieval",
        "PERSONAL_DATA_RETRIEVAL_TASK_FAILED",
    )
    assert failure.holding_period is None
    assert ("RetrievalFailures", 1, {"errorCode": "DATA_SUBJECT_NOT_FOUND"}) in metrics.counts
    assert "DeletionFailures" not in metrics.names()


def test_a_failure_is_stored_once_published_once_and_marked_published() -> None:
    built, store, publisher, metrics = recorder()
    outcome = built.record(ref())
    assert (outcome.stored, outcome.published, outcome.duplicate) == (True, True, False)
    assert outcome.message_id == "message-1"
    [failure] = publisher.sent
    assert store.items[failure.event_id] == failure
    assert store.published == {failure.event_id: NOW.isoformat()}
    # The contract's own TaskError, with the message as the API client gave it (masked there).
    assert failure.errors == [
        TaskError(code="ORDERS_NOT_CLOSED", message="open orders for <email redacted>")
    ]
    assert failure.received_at == "2026-11-29T12:00:00Z"
    assert "FailuresPublished" in metrics.names()
    assert ("DeletionFailures", 1, {"errorCode": "ORDERS_NOT_CLOSED"}) in metrics.counts


def test_an_event_already_stored_and_published_is_not_sent_again() -> None:
    built, _, publisher, metrics = recorder()
    built.record(ref())
    again = built.record(ref())
    assert (again.stored, again.published, again.duplicate) == (False, False, True)
    assert len(publisher.sent) == 1
    assert "DuplicateEvents" in metrics.names()


def test_a_crash_between_store_and_publish_is_finished_by_the_retry() -> None:
    built, store, publisher, _ = recorder()
    first = ref()
    failure = built.describe(first)
    store.put_new(failure, NOW)  # stored, then the process died before publishing
    outcome = built.record(first)
    assert (outcome.stored, outcome.published) == (False, True)
    assert len(publisher.sent) == 1


def test_a_permanent_api_error_is_recorded_for_a_person_to_look_at() -> None:
    built, _, publisher, metrics = recorder(ResourceNotFoundApiError("no such task", code="404"))
    outcome = built.record(ref())
    assert outcome.lookup_status is LookupStatus.RESOURCE_NOT_FOUND
    [failure] = publisher.sent
    assert failure.lookup.error_type == "ResourceNotFoundError"
    assert failure.error_codes == ["NONE"]
    assert ("TaskLookups", 1, {"outcome": "RESOURCE_NOT_FOUND"}) in metrics.counts


def test_a_transient_api_error_propagates_and_nothing_is_stored() -> None:
    built, store, publisher, metrics = recorder(ThrottlingApiError("slow down"))
    with pytest.raises(ThrottlingApiError):
        built.record(ref())
    assert store.items == {}
    assert publisher.sent == []
    assert ("TaskLookups", 1, {"outcome": "TRANSIENT_ERROR"}) in metrics.counts
