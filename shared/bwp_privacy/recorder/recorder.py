"""Domain logic: from a parsed event to a stored failure and a published message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field

from bwp_privacy.bwp_api import (
    AccessDeniedApiError,
    BwpApiError,
    DeletionTask,
    PrivacyTask,
    ResourceNotFoundApiError,
    RetrievalTask,
    ValidationApiError,
)
from bwp_privacy.common import MetricsSink
from bwp_privacy.contract import (
    DeletionFailure,
    LookupOutcome,
    LookupStatus,
    TaskError,
    TaskKind,
)
from bwp_privacy.partner_events import TaskRef
from bwp_privacy.recorder.store import StoreResult

logger = Logger(child=True)

_LOOKUP_STATUS: dict[type[BwpApiError], LookupStatus] = {
    ResourceNotFoundApiError: LookupStatus.RESOURCE_NOT_FOUND,
    AccessDeniedApiError: LookupStatus.ACCESS_DENIED,
    ValidationApiError: LookupStatus.VALIDATION_ERROR,
}


#: The metric that counts failed tasks of each kind, by error code.
FAILURE_METRICS: dict[TaskKind, str] = {
    "deletion": "DeletionFailures",
    "retrieval": "RetrievalFailures",
}


class TaskLookup(Protocol):
    """Where a task's status and errors come from (the API client): one query per kind."""

    def get_deletion_task(
        self, business_product_id: str, task_id: str, *, deadline: float | None = None
    ) -> DeletionTask: ...

    def get_retrieval_task(
        self, business_product_id: str, task_id: str, *, deadline: float | None = None
    ) -> RetrievalTask: ...


class Store(Protocol):
    """Where failures are kept once per event (the failures table)."""

    def put_new(self, failure: DeletionFailure, received_at: datetime) -> StoreResult: ...

    def mark_published(self, failure: DeletionFailure, message_id: str, at: datetime) -> None: ...


class Publisher(Protocol):
    """Where failure messages go (the failures topic); returns the message id."""

    def publish(self, failure: DeletionFailure) -> str: ...


class RecordOutcome(BaseModel):
    """What happened to one event; returned by the handler and printed by replays."""

    model_config = ConfigDict(populate_by_name=True)

    event_id: str = Field(alias="eventId")
    task_id: str = Field(alias="taskId")
    business_product_id: str = Field(alias="businessProductId")
    task_kind: TaskKind = Field("deletion", alias="taskKind")
    lookup_status: LookupStatus = Field(alias="lookupStatus")
    error_codes: list[str] = Field(alias="errorCodes")
    stored: bool
    published: bool
    message_id: str | None = Field(None, alias="messageId")
    duplicate: bool = False


class FailureRecorder:
    """Looks the task up, stores the failure once, publishes it once."""

    def __init__(
        self,
        lookup: TaskLookup,
        store: Store,
        publisher: Publisher,
        metrics: MetricsSink,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._lookup = lookup
        self._store = store
        self._publisher = publisher
        self._metrics = metrics
        self._now = now

    def record(self, ref: TaskRef, *, deadline: float | None = None) -> RecordOutcome:
        """Handle one valid event. Transient API failures propagate (Lambda retries)."""
        failure = self.describe(ref, deadline=deadline)
        received_at = datetime.fromisoformat(failure.received_at)
        stored = self._store.put_new(failure, received_at)
        outcome = RecordOutcome(
            event_id=failure.event_id,
            task_id=failure.task_id,
            business_product_id=failure.business_product_id,
            task_kind=failure.task_kind,
            lookup_status=failure.lookup.status,
            error_codes=failure.error_codes,
            stored=stored.created,
            published=False,
        )
        if stored.published_at is not None:
            logger.info("Event already stored and published", extra={"task_id": ref.task_id})
            self._metrics.count("DuplicateEvents")
            return outcome.model_copy(update={"duplicate": True})
        message_id = self._publisher.publish(failure)
        self._store.mark_published(failure, message_id, self._now())
        self._metrics.count("FailuresPublished")
        logger.info(
            "Task failure stored and published",
            extra={
                "task_id": ref.task_id,
                "task_kind": ref.task_kind,
                "business_product_id": ref.business_product_id,
                "lookup_status": failure.lookup.status.value,
                "error_codes": failure.error_codes,
            },
        )
        return outcome.model_copy(update={"published": True, "message_id": message_id})

    def describe(self, ref: TaskRef, *, deadline: float | None = None) -> DeletionFailure:
        """Look the task up and build the failure record, storing nothing."""
        return describe_failure(ref, self._lookup, self._metrics, self._now(), deadline=deadline)


def describe_failure(
    ref: TaskRef,
    lookup: TaskLookup,
    metrics: MetricsSink,
    received_at: datetime,
    *,
    deadline: float | None = None,
) -> DeletionFailure:
    """Look the task up (with the query of its kind) and build its failure record (used alone
    by dry-run replays).

    Permanent API errors become a recorded lookup outcome; transient ones propagate.
    """
    task: PrivacyTask | None = None
    query = lookup.get_retrieval_task if ref.task_kind == "retrieval" else lookup.get_deletion_task
    try:
        task = query(ref.business_product_id, ref.task_id, deadline=deadline)
        outcome = LookupOutcome(status=LookupStatus.OK)
    except BwpApiError as error:
        if not error.permanent:
            metrics.count("TaskLookups", outcome="TRANSIENT_ERROR")
            raise
        outcome = LookupOutcome(
            status=_LOOKUP_STATUS.get(type(error), LookupStatus.UNKNOWN_ERROR),
            error_type=error.classification,
            error_code=error.code,
            message=error.message,
        )
        logger.warning(
            "Task lookup failed for good; recording it for a person to look at",
            extra={
                "task_id": ref.task_id,
                "task_kind": ref.task_kind,
                "error_type": error.classification,
            },
        )
    metrics.count("TaskLookups", outcome=outcome.status.value)
    failure = _build_failure(ref, task, outcome, received_at)
    for code in failure.error_codes:
        metrics.count(FAILURE_METRICS[failure.task_kind], errorCode=code)
    return failure


def _build_failure(
    ref: TaskRef, task: PrivacyTask | None, lookup: LookupOutcome, received_at: datetime
) -> DeletionFailure:
    event = ref.event
    return DeletionFailure(
        event_id=event.id,
        event_time=event.time.isoformat().replace("+00:00", "Z"),
        detail_type=event.detail_type,
        task_kind=ref.task_kind,
        replay_name=event.replay_name,
        business_product_id=ref.business_product_id,
        task_id=ref.task_id,
        status=task.status if task else None,
        submission_date=task.submission_date if task else None,
        last_updated_date=task.last_updated_date if task else None,
        holding_period=task.holding_period if isinstance(task, DeletionTask) else None,
        errors=[TaskError(code=e.code, message=e.message) for e in task.errors] if task else [],
        lookup=lookup,
        received_at=received_at.isoformat().replace("+00:00", "Z"),
    )
