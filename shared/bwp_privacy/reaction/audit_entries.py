"""A case's transitions as audit-trail entries: one per transition, with a stable id (its
index in the case), so that writing a case's entries again never doubles one."""

from __future__ import annotations

from datetime import datetime, timedelta

from bwp_privacy.audit import SUBJECT_CASE, AuditEntry, subject
from bwp_privacy.cases import Case


def retention_start(case: Case) -> datetime:
    """From when a case's entries count their retention: its end, or, while it is open, the
    latest it may lawfully end (its last extended deadline, or deadline where the law allows no
    extension; an open appeal's too, which comes after the request's). An entry cannot be
    changed once written, so an open case's entries are given the longest life the law lets
    it run."""
    if case.ended_at is not None:
        return case.ended_at
    appeals = [d for appeal in case.appeals for d in appeal.deadlines]
    return max(deadline.latest_due_at for deadline in (*case.deadlines, *appeals))


def transition_entries(case: Case, since: int, retention_days: int) -> list[AuditEntry]:
    """The entries of ``case``'s transitions from index ``since`` on."""
    start = retention_start(case)
    found = []
    for index in range(since, len(case.transitions)):
        move = case.transitions[index]
        to_state = move.to_state.value
        found.append(
            AuditEntry(
                subject=subject(SUBJECT_CASE, case.case_id),
                at=move.at,
                entry_id=f"t{index:05d}",
                actor=move.actor,
                action="case.transition",
                input=f"{move.cause.kind.value} {move.cause.ref}",
                outcome=to_state,
                detail={
                    "from": move.from_state.value if move.from_state else "",
                    "to": to_state,
                    "reason": move.reason,
                    "kind": case.kind,
                },
                expires_at=max(start, move.at) + timedelta(days=retention_days),
            )
        )
    return found
