"""The case: one privacy request as the law sees it (a deletion, or a retrieval: a shopper's
access request), with every task started for it and every transition it went through. The
case is the record an auditor reads."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bwp_privacy.cases.clock import Deadline, legal_due_at
from bwp_privacy.task_kinds import TaskKindName

#: Which privacy request a case carries: a kind's name (`bwp_privacy.task_kinds`).
CaseKind = TaskKindName


class CaseState(StrEnum):
    """Where a case stands (docs/cases.md draws the diagram)."""

    #: The next attempt is scheduled.
    WAITING = "WAITING"
    #: A new task was started; its outcome is awaited.
    RESUBMITTED = "RESUBMITTED"
    #: Announce mode: a resubmission is due and the merchant's system was told to start it.
    RESUBMISSION_DUE = "RESUBMISSION_DUE"
    #: A person must act (the reason says why); the case stays open.
    ESCALATED = "ESCALATED"
    #: A task of the case completed.
    COMPLETED = "COMPLETED"
    #: Buy with Prime holds no data for the shopper: nothing to delete.
    NOTHING_TO_DELETE = "NOTHING_TO_DELETE"
    #: Buy with Prime holds no data for the shopper: nothing to retrieve (an access request).
    NOTHING_TO_RETRIEVE = "NOTHING_TO_RETRIEVE"
    #: Closed by an operator (the reason says why).
    CLOSED = "CLOSED"
    #: The shopper appealed how an ended request was answered: open again, against the
    #: appeal's own clock, until an operator answers the appeal (``cases close``).
    APPEALED = "APPEALED"

    @property
    def ended(self) -> bool:
        return self in _ENDED


_ENDED = frozenset(
    {
        CaseState.COMPLETED,
        CaseState.NOTHING_TO_DELETE,
        CaseState.NOTHING_TO_RETRIEVE,
        CaseState.CLOSED,
    }
)

#: How an operator answered the request when closing its case (``cases close --as``): the
#: nature of the response an auditor reads in the export.
ClosedAs = Literal["completed", "denied", "cancelled"]

#: Why a request was denied, in the categories CCPA's yearly metrics count denials by (11 CCR
#: § 7102(a)(2)): the request could not be verified; it was not made by the consumer or an
#: authorized agent; it called for information exempt from disclosure; other grounds (the
#: case's reason says which). Given with ``cases close --as denied --denied-because``.
DeniedBecause = Literal["unverifiable", "not-a-consumer", "exempt", "other"]


class AppealedAnswer(BaseModel):
    """How the request had been answered when the appeal came: the answer appealed against,
    kept as it was (the request's record and yearly figures count it, whatever the appeal
    decides)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    state: CaseState
    closed_as: ClosedAs | None = Field(None, alias="closedAs")
    denied_because: DeniedBecause | None = Field(None, alias="deniedBecause")
    reason: str | None = Field(None, max_length=2000)
    ended_at: datetime = Field(alias="endedAt")


class Appeal(BaseModel):
    """A shopper's appeal of how their request was answered (Virginia, Colorado, Connecticut
    and the states after them require an appeal process): received on a date, with its own
    deadlines under each law that applies and gives an appeal, answered by an operator."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    received_at: datetime = Field(alias="receivedAt")
    reason: str = Field(max_length=2000)
    opened_at: datetime = Field(alias="openedAt")
    #: One per law that applies to the case and gives an appeal, earliest first.
    deadlines: tuple[Deadline, ...] = Field(min_length=1)
    appealed: AppealedAnswer
    answered_at: datetime | None = Field(None, alias="answeredAt")
    #: How the appeal was answered: ``completed`` (the request is now complied with),
    #: ``denied`` (the answer stands) or ``cancelled`` (the shopper withdrew the appeal).
    answered_as: ClosedAs | None = Field(None, alias="answeredAs")
    denied_because: DeniedBecause | None = Field(None, alias="deniedBecause")

    @property
    def due_at(self) -> datetime:
        """The appeal's deadline in force: the earliest, extended once extended."""
        return legal_due_at(self.deadlines)


#: States from which a new task may be started for the case.
STARTABLE = frozenset({CaseState.WAITING, CaseState.ESCALATED, CaseState.RESUBMISSION_DUE})


class CauseKind(StrEnum):
    """What moved a case."""

    EVENT = "event"
    SCHEDULE = "schedule"
    OPERATOR = "operator"
    ATTEMPT = "attempt"


#: The longest cause reference and reason a transition holds: whatever goes into one is
#: bounded to these first (`bounded`), so that no text, however long, makes a move impossible.
CAUSE_REF_LIMIT = 200
REASON_LIMIT = 2000


class Cause(BaseModel):
    """The input behind a transition: an event id, a schedule name, an operator's command."""

    model_config = ConfigDict(frozen=True)

    kind: CauseKind
    ref: str = Field(max_length=CAUSE_REF_LIMIT)


class Transition(BaseModel):
    """One move of a case, with its time, cause and actor."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    at: datetime
    from_state: CaseState | None = Field(alias="from")
    to_state: CaseState = Field(alias="to")
    cause: Cause
    actor: str = Field(max_length=300)
    reason: str = Field(max_length=REASON_LIMIT)


class CaseTask(BaseModel):
    """A task of the case (of the case's kind): the original (attempt 0) or a resubmission."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    task_id: str = Field(alias="taskId")
    attempt: int = Field(ge=0)
    outcome: Literal["FAILED", "COMPLETED"] | None = None
    error_codes: tuple[str, ...] = Field((), alias="errorCodes")


class Case(BaseModel):
    """A case as stored (``version`` guards every write against a concurrent one)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    case_id: str = Field(alias="caseId")
    business_product_id: str = Field(alias="businessProductId")
    #: A case stored before retrieval cases existed has none: it is a deletion.
    kind: CaseKind = "deletion"
    state: CaseState
    received_at: datetime = Field(alias="receivedAt")
    received_from: Literal["submissionDate", "eventTime", "operator"] = Field(alias="receivedFrom")
    deadlines: tuple[Deadline, ...]
    plan_deadline_at: datetime = Field(alias="planDeadlineAt")
    playbook_code: str = Field(alias="playbookCode")
    tasks: tuple[CaseTask, ...]
    attempts: int = Field(0, ge=0)
    next_attempt_at: datetime | None = Field(None, alias="nextAttemptAt")
    reason: str | None = None
    #: Set when an operator closed the case: how the request was answered.
    closed_as: ClosedAs | None = Field(None, alias="closedAs")
    #: Set when an operator closed the case as denied: the denial's category. A case denied
    #: before the categories existed has none (counted as ``other``: its reason says why).
    denied_because: DeniedBecause | None = Field(None, alias="deniedBecause")
    opened_at: datetime = Field(alias="openedAt")
    ended_at: datetime | None = Field(None, alias="endedAt")
    transitions: tuple[Transition, ...] = ()
    #: The shopper's appeals of the answer (one: the laws give one appeal per request).
    appeals: tuple[Appeal, ...] = ()
    #: When the case's PagerDuty incident was resolved by hand while the case was open (the
    #: latest such resolve): recorded, never an end of the case (the legal clock says when it
    #: ends), so that the case's next alert can say so. Kept in the case's body like every
    #: other field: each write of the case (a versioned put of the whole body) keeps it.
    incident_resolved_by_hand_at: datetime | None = Field(None, alias="incidentResolvedByHandAt")
    version: int = 0

    def task(self, task_id: str) -> CaseTask | None:
        return next((task for task in self.tasks if task.task_id == task_id), None)

    @property
    def current_task(self) -> CaseTask:
        return self.tasks[-1]

    @property
    def open_appeal(self) -> Appeal | None:
        """The appeal awaiting its answer, while the case is appealed."""
        if self.state is CaseState.APPEALED and self.appeals:
            return self.appeals[-1]
        return None

    @property
    def legal_due_at(self) -> datetime:
        """The earliest legal deadline in force (extensions applied): what compliance counts
        days left by; while an appeal is open, the appeal's. The planning deadline
        (``plan_deadline_at``) is the playbooks' own."""
        appeal = self.open_appeal
        if appeal is not None:
            return appeal.due_at
        return legal_due_at(self.deadlines)

    @property
    def answer(self) -> AppealedAnswer | None:
        """How the request itself was answered (before any appeal); None while it awaits its
        first answer."""
        if self.appeals:
            return self.appeals[0].appealed
        if self.ended_at is None:
            return None
        return AppealedAnswer(
            state=self.state,
            closed_as=self.closed_as,
            denied_because=self.denied_because,
            reason=self.reason,
            ended_at=self.ended_at,
        )

    def to_json_dict(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True)


# A fixed namespace: the token of (case, attempt) is the same in every invocation and region.
_TOKEN_NAMESPACE = uuid.UUID("5f0c3a52-8d7e-4c59-9f61-2b7d0e4a9c13")


def client_token(case_id: str, attempt: int) -> str:
    """The ``clientToken`` of one attempt (36 characters): the same for every retry of the
    attempt, so a schedule fired twice never starts two tasks; different for each attempt,
    so Buy with Prime's 8-hour idempotency never hands back an earlier attempt's task."""
    return str(uuid.uuid5(_TOKEN_NAMESPACE, f"{case_id}#{attempt}"))


#: A case id that is its own schedule name (before the attempt's ``-a{n}``): Scheduler's
#: characters, short enough, and without ``..``, which marks a name that is not the id.
_NAME_AS_IS = re.compile(r"[0-9A-Za-z._-]{1,48}")
_NOT_NAME = re.compile(r"[^0-9A-Za-z_-]")


def schedule_name(case_id: str, attempt: int) -> str:
    """The Scheduler name of one attempt (at most 64 of ``[0-9A-Za-z-_.]``), a different one
    for every case and attempt: Scheduler refuses a second schedule of the same name, which
    the reaction reads as "already scheduled", so two cases sharing a name would lose an
    attempt.

    An id of Scheduler's characters is its own name (``task-1-a2``). Any other (``task:1``, a
    long one, one with ``..``) is a readable start of it with every other character ``_``, then
    ``..`` and a hash of the whole id: no name of the first kind holds ``..``, so the two
    never meet, and the hash tells apart ids that read the same (``task:1``, ``task/1``)."""
    if _NAME_AS_IS.fullmatch(case_id) and ".." not in case_id:
        base = case_id
    else:
        readable = _NOT_NAME.sub("_", case_id[:24])
        base = f"{readable}..{hashlib.sha256(case_id.encode()).hexdigest()[:20]}"
    return f"{base}-a{attempt}"


def extendable_jurisdictions(case: Case, now: datetime) -> tuple[str, ...]:
    """The jurisdictions whose deadline an operator may still extend at ``now``, in the case's
    order: the rule `bwp_privacy.reaction.decisions.extend` holds an extension to (an open case;
    a law that allows one; not extended yet; before the deadline passes; while an appeal is
    open, the appeal's deadlines). Whoever offers an extension (a Slack button) offers only
    these, so the reaction never has to refuse one it was offered."""
    if case.state.ended:
        return ()
    appeal = case.open_appeal
    pool = appeal.deadlines if appeal is not None else case.deadlines
    return tuple(
        deadline.jurisdiction
        for deadline in pool
        if deadline.extended_due_at is not None
        and deadline.extended_at is None
        and now < deadline.due_at
    )
