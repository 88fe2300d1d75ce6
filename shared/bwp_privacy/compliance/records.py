"""The auditor's request log: one record per request (case) with what CCPA record keeping
asks for (date received, request type, how it was made, date and nature of the response,
basis of a denial: its § 7102 category and the operator's words). Records carry ids only:
never a shopper's email."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import MAXYEAR, UTC, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_serializer

from bwp_privacy.cases.case import Appeal, Case, CaseKind, CaseState, DeniedBecause
from bwp_privacy.cases.clock import legal_due_at
from bwp_privacy.common.clock import iso_z
from bwp_privacy.task_kinds import TASK_KINDS


class Response(StrEnum):
    """The nature of the response to a request."""

    COMPLETED = "completed"
    NOTHING_TO_DELETE = "nothing to delete"
    NOTHING_TO_RETRIEVE = "nothing to retrieve"
    DENIED = "denied"
    CANCELLED = "cancelled"
    OPEN = "open"


#: How every request reached Buy with Prime: the API mutation that started its first task.
HOW_MADE: dict[str, str] = {
    name: f"Buy with Prime API: {kind.start_field}" for name, kind in TASK_KINDS.items()
}

_BY_STATE = {
    CaseState.COMPLETED: Response.COMPLETED,
    CaseState.NOTHING_TO_DELETE: Response.NOTHING_TO_DELETE,
    CaseState.NOTHING_TO_RETRIEVE: Response.NOTHING_TO_RETRIEVE,
}

_BY_CLOSED_AS = {
    "completed": Response.COMPLETED,
    "denied": Response.DENIED,
    "cancelled": Response.CANCELLED,
}


def response_of(case: Case) -> Response:
    """How the request was answered: its first answer, which an appeal does not rewrite (the
    appeal's own answer is `appeal_response_of`). A case an operator closed before
    ``closedAs`` existed (an operator must say how now) counts as cancelled: never as
    complied."""
    answer = case.answer
    if answer is None:
        return Response.OPEN
    if answer.state is CaseState.CLOSED:
        return _BY_CLOSED_AS.get(answer.closed_as or "cancelled", Response.CANCELLED)
    return _BY_STATE[answer.state]


def appeal_response_of(appeal: Appeal) -> Response:
    """How an appeal was answered: completed (the request is now complied with), denied (the
    answer stands), cancelled (the shopper withdrew it), or still open."""
    if appeal.answered_at is None or appeal.answered_as is None:
        return Response.OPEN
    return _BY_CLOSED_AS[appeal.answered_as]


def denial_category(case: Case) -> DeniedBecause | None:
    """The category of a denied request's basis (CCPA § 7102); ``other`` for a case denied
    before the categories existed: its reason says the ground, which is what ``other`` means.
    None for any other response. The request log and the yearly figures both read it here, so
    an auditor's counts of the log match the published ones."""
    answer = case.answer
    if answer is None or response_of(case) is not Response.DENIED:
        return None
    return answer.denied_because or "other"


def denial_basis(case: Case) -> str | None:
    """A denied request's basis in the operator's words (the reason of its answer)."""
    answer = case.answer
    if answer is None or response_of(case) is not Response.DENIED:
        return None
    return answer.reason


class RequestRecord(BaseModel):
    """One row of the request log. Times are UTC; as JSON, ISO-8601 with ``Z`` to the second."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: str
    request_type: CaseKind
    business_product_id: str
    received_at: datetime
    #: Where the received date comes from: the task's submission date, the failure event's
    #: time, or an operator's correction.
    received_from: Literal["submissionDate", "eventTime", "operator"]
    how_made: str
    legal_due_at: datetime
    extended: bool
    responded_at: datetime | None
    response: Response
    #: A denial's category: unverifiable, not-a-consumer, exempt or other.
    denial_category: DeniedBecause | None
    #: A denial's basis in the operator's words (the case's reason).
    denial_basis: str | None
    task_ids: tuple[str, ...]
    attempts: int
    #: The shopper's appeal of the answer (Colorado keeps appeal records 24 months): when it
    #: came, its deadline in force, when and how it was answered; empty without an appeal.
    appeal_received_at: datetime | None
    appeal_due_at: datetime | None
    appeal_responded_at: datetime | None
    appeal_response: Response | None
    appeal_denial_category: DeniedBecause | None

    @field_serializer(
        "received_at",
        "legal_due_at",
        "responded_at",
        "appeal_received_at",
        "appeal_due_at",
        "appeal_responded_at",
        when_used="json",
    )
    def _iso(self, moment: datetime | None) -> str | None:
        return None if moment is None else iso_z(moment, "seconds")


def request_record(case: Case) -> RequestRecord:
    """The request log's record of one case: the request and its first answer, then its
    appeal (if any)."""
    response = response_of(case)
    answer = case.answer
    appeal = case.appeals[-1] if case.appeals else None
    return RequestRecord(
        case_id=case.case_id,
        request_type=case.kind,
        business_product_id=case.business_product_id,
        received_at=case.received_at,
        received_from=case.received_from,
        how_made=HOW_MADE[case.kind],
        # The request's own deadline (an open appeal's is in the appeal's columns).
        legal_due_at=legal_due_at(case.deadlines),
        extended=any(deadline.extended_at is not None for deadline in case.deadlines),
        responded_at=answer.ended_at if answer else None,
        response=response,
        denial_category=denial_category(case),
        denial_basis=denial_basis(case),
        task_ids=tuple(task.task_id for task in case.tasks),
        attempts=case.attempts,
        appeal_received_at=appeal.received_at if appeal else None,
        appeal_due_at=appeal.due_at if appeal else None,
        appeal_responded_at=appeal.answered_at if appeal else None,
        appeal_response=appeal_response_of(appeal) if appeal else None,
        appeal_denial_category=appeal.denied_because if appeal else None,
    )


def year_window(year: int) -> tuple[datetime, datetime]:
    """Calendar year ``year`` in UTC: its first moment, and the next year's (exclusive); the
    calendar's last year ends at its last moment, which no case is received at."""
    start = datetime(year, 1, 1, tzinfo=UTC)
    if year == MAXYEAR:
        return start, datetime.max.replace(tzinfo=UTC)
    return start, datetime(year + 1, 1, 1, tzinfo=UTC)


def request_records(
    cases: Iterable[Case], since: datetime, until: datetime | None = None
) -> list[RequestRecord]:
    """The records of the requests received at or after ``since`` and, when ``until`` is
    given, before it (an exclusive end: one year's window ends where the next begins), oldest
    first."""
    kept = sorted(
        (
            case
            for case in cases
            if case.received_at >= since and (until is None or case.received_at < until)
        ),
        key=lambda case: (case.received_at, case.case_id),
    )
    return [request_record(case) for case in kept]
