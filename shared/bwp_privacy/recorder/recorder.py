"""Domain logic: from a parsed event to a stored failure and a published message."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field

from bwp_privacy.bwp_api import (
    AccessDeniedApiError,
    BwpApiError,
    DeletionTask,
    PrivacyTask,
    ResourceNotFoundApiError,
    ValidationApiError,
)
from bwp_privacy.common import BwpPrivacyError, MetricsSink, iso_z
from bwp_privacy.contract import (
    LookupOutcome,
    LookupStatus,
    TaskError,
    TaskFailure,
    TaskKind,
)
from bwp_privacy.partner_events import TaskRef
from bwp_privacy.recorder.store import Claim
from bwp_privacy.task_kinds import task_kind

logger = Logger(child=True)

_LOOKUP_STATUS: dict[type[BwpApiError], LookupStatus] = {
    ResourceNotFoundApiError: LookupStatus.RESOURCE_NOT_FOUND,
    AccessDeniedApiError: LookupStatus.ACCESS_DENIED,
    ValidationApiError: LookupStatus.VALIDATION_ERROR,
}


class TaskLookup(Protocol):
    """Where a task's status and errors come from (the API client): the lookup of the task's
    kind."""

    def get_task(
        self, kind: str, business_product_id: str, task_id: str, *, deadline: float | None = None
    ) -> PrivacyTask: ...


#: How long a claim holds its event when the caller says nothing: the template's function
#: timeout (the handler passes what is left of its invocation).
DEFAULT_LEASE_SECONDS = 60.0


class Store(Protocol):
    """Where failures are kept once per event (the failures table), whose item is also the
    event's lock: claimed, then marked published with the whole record, or released."""

    def claim(
        self, task_id: str, event_id: str, *, token: str, until: datetime, now: datetime
    ) -> Claim: ...

    def mark(
        self,
        failure: TaskFailure,
        received_at: datetime,
        *,
        token: str,
        message_id: str,
        at: datetime,
    ) -> bool: ...

    def release(self, task_id: str, event_id: str, token: str) -> bool: ...


class Publisher(Protocol):
    """Where failure messages go (the failures topic); returns the message id."""

    def publish(self, failure: TaskFailure) -> str: ...


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


class EventHeldError(BwpPrivacyError, RuntimeError):
    """Another invocation holds the event (its claim runs until ``held_until``): this one
    fails, so that Lambda retries it later, as Powertools' "already in progress" did."""

    def __init__(self, event_id: str, held_until: datetime) -> None:
        self.event_id = event_id
        self.held_until = held_until
        super().__init__(
            f"event {event_id} is held by another invocation until"
            f" {iso_z(held_until, 'seconds')}: retry after that"
        )


class FailureRecorder:
    """Claims the event, looks the task up, publishes the failure once and stores it with
    the mark that it was published.

    Three AWS calls for a new event (the claim, the publish, the mark) and one for a
    duplicate of a published one (the claim, refused: its answer is the stored record).
    """

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

    def record(
        self,
        ref: TaskRef,
        *,
        deadline: float | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        token: str | None = None,
    ) -> RecordOutcome:
        """Handle one valid event. Transient API failures propagate (Lambda retries), after
        freeing the claim; an event another invocation holds raises `EventHeldError`.

        ``lease_seconds``: how long the claim holds the event if this run dies (what is left
        of the invocation). ``token``: the claim's token, unique to this run (the
        invocation's request id; random when not given).
        """
        event_id, task_id = ref.event.id, ref.task_id
        token = token or uuid.uuid4().hex
        now = self._now()
        until = now + timedelta(seconds=lease_seconds)
        claim = self._store.claim(task_id, event_id, token=token, until=until, now=now)
        if claim.published is not None:
            logger.info("Event already stored and published", extra={"task_id": task_id})
            self._metrics.count("DuplicateEvents")
            return _duplicate(ref, claim.published)
        if not claim.won:
            held = claim.held_until or now
            logger.info(
                "Event held by another invocation",
                extra={"task_id": task_id, "held_until": iso_z(held)},
            )
            raise EventHeldError(event_id, held)
        try:
            failure = self.describe(ref, deadline=deadline)
            message_id = self._publisher.publish(failure)
        except Exception:
            self._release(task_id, event_id, token)
            raise
        received_at = datetime.fromisoformat(failure.received_at)
        marked = self._store.mark(
            failure, received_at, token=token, message_id=message_id, at=self._now()
        )
        if not marked:
            # Published, but our lease ran out and another run took the event over: it
            # records it (and may publish it again; consumers dedupe by event id).
            logger.warning(
                "Claim taken over before the mark: the failure went out, another run records it",
                extra={"task_id": task_id, "message_id": message_id},
            )
            self._metrics.count("ClaimsLost")
        self._metrics.count("FailuresPublished")
        logger.info(
            "Task failure stored and published",
            extra={
                "task_id": task_id,
                "task_kind": ref.task_kind,
                "business_product_id": ref.business_product_id,
                "lookup_status": failure.lookup.status.value,
                "error_codes": failure.error_codes,
            },
        )
        return RecordOutcome(
            event_id=event_id,
            task_id=task_id,
            business_product_id=failure.business_product_id,
            task_kind=failure.task_kind,
            lookup_status=failure.lookup.status,
            error_codes=failure.error_codes,
            stored=marked,
            published=True,
            message_id=message_id,
        )

    def _release(self, task_id: str, event_id: str, token: str) -> None:
        """Free the event for Lambda's retry at once; if that fails too, the claim frees
        itself when its lease ends (the original error is what matters)."""
        try:
            self._store.release(task_id, event_id, token)
        except Exception:
            logger.warning(
                "Could not free the claim: it ends with its lease", extra={"task_id": task_id}
            )

    def describe(self, ref: TaskRef, *, deadline: float | None = None) -> TaskFailure:
        """Look the task up and build the failure record, storing nothing."""
        return describe_failure(ref, self._lookup, self._metrics, self._now(), deadline=deadline)


def _duplicate(ref: TaskRef, record: dict[str, Any]) -> RecordOutcome:
    """The outcome of a duplicate, from the record an earlier run stored and published."""
    lookup = record.get("lookup") or {}
    status = lookup.get("status") if isinstance(lookup, dict) else None
    return RecordOutcome(
        event_id=ref.event.id,
        task_id=ref.task_id,
        business_product_id=str(record.get("businessProductId") or ref.business_product_id),
        task_kind=record.get("taskKind") or ref.task_kind,
        lookup_status=LookupStatus(status) if status else LookupStatus.UNKNOWN_ERROR,
        error_codes=[str(code) for code in record.get("errorCodes") or []],
        stored=False,
        published=False,
        message_id=record.get("messageId"),
        duplicate=True,
    )


def describe_failure(
    ref: TaskRef,
    lookup: TaskLookup,
    metrics: MetricsSink,
    received_at: datetime,
    *,
    deadline: float | None = None,
) -> TaskFailure:
    """Look the task up (with the query of its kind) and build its failure record (used alone
    by dry-run replays).

    Permanent API errors become a recorded lookup outcome; transient ones propagate.
    """
    task: PrivacyTask | None = None
    try:
        task = lookup.get_task(
            ref.task_kind, ref.business_product_id, ref.task_id, deadline=deadline
        )
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
        metrics.count(task_kind(failure.task_kind).failure_metric, errorCode=code)
    return failure


def _build_failure(
    ref: TaskRef, task: PrivacyTask | None, lookup: LookupOutcome, received_at: datetime
) -> TaskFailure:
    event = ref.event
    return TaskFailure(
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
        errors_omitted=task.errors_omitted if task else 0,
        lookup=lookup,
        received_at=received_at.isoformat().replace("+00:00", "Z"),
    )
