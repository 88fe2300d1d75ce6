"""Cases built for the pure tests of the case's readers (its urgency, the compliance views):
one request received on ``RECEIVED`` under the laws given, CCPA's 45 days by default."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bwp_privacy.cases import Case, CaseState, CaseTask, Jurisdiction, Period, deadlines

RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CCPA = Jurisdiction(title="CCPA", answer_within=Period(days=45), extension=Period(days=45))
GDPR = Jurisdiction(title="GDPR", answer_within=Period(months=1), extension=Period(months=2))


def case(
    case_id: str = "task-1",
    *,
    received: datetime = RECEIVED,
    state: CaseState = CaseState.WAITING,
    kind: str = "deletion",
    laws: dict[str, Jurisdiction] | None = None,
    extended_at: datetime | None = None,
    ended_after_days: float | None = None,
    tasks: tuple[CaseTask, ...] | None = None,
    **fields: Any,
) -> Case:
    found = deadlines(received, laws or {"ccpa": CCPA}, "deletion")
    if extended_at is not None:
        found = [d.model_copy(update={"extended_at": extended_at}) for d in found]
    ended = None
    if ended_after_days is not None:
        ended = received + timedelta(days=ended_after_days)
    elif state.ended:
        ended = received + timedelta(days=1)
    return Case(
        case_id=case_id,
        business_product_id="bp-1",
        kind=kind,  # type: ignore[arg-type]
        state=state,
        received_at=received,
        received_from="submissionDate",
        deadlines=tuple(found),
        plan_deadline_at=found[0].due_at,
        playbook_code="ORDERS_NOT_CLOSED",
        tasks=tasks or (CaseTask(task_id=case_id, attempt=0, outcome="FAILED"),),
        opened_at=received,
        ended_at=ended,
        **fields,
    )
