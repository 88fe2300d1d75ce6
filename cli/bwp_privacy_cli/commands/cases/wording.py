"""How the cases subcommands say a moment and where a case stands: the same words whether a
case is a row of `cases list`, the case `cases show` prints or the answer to an operator's
command."""

from __future__ import annotations

from datetime import datetime

from bwp_privacy.cases import Case, CaseState
from bwp_privacy.common import iso_z, whole_days_left


def iso(moment: datetime | None) -> str:
    """A moment as every subcommand prints it, to the second in UTC
    (``2026-12-06T10:00:00Z``); nothing for none."""
    return "" if moment is None else iso_z(moment, "seconds")


def days_left(due: datetime, case: Case, now: datetime) -> int | None:
    """Whole days left to ``due`` (negative: past due by that many); None for an ended case:
    it runs against no clock any more (its deadlines are history)."""
    return None if case.state.ended else whole_days_left(due, now)


def next_action(case: Case) -> str:
    """What happens next, in a few words."""
    match case.state:
        case CaseState.WAITING:
            at = iso(case.next_attempt_at) if case.next_attempt_at else "?"
            return f"attempt {case.attempts + 1} at {at}"
        case CaseState.RESUBMITTED:
            return f"waiting for task {case.current_task.task_id}"
        case CaseState.RESUBMISSION_DUE:
            return f"your system: attempt {case.attempts + 1}, then link"
        case CaseState.ESCALATED:
            return "a person: resubmit or close"
        case CaseState.APPEALED:
            return "a person: answer the appeal (close)"
        case _:
            return "nothing: ended"
