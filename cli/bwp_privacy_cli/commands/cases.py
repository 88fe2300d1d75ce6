"""`bwp-privacy cases list|show|resubmit|close|link`: the failed deletions and retrievals the
reaction carries, and what an operator may do about one. Every change is written to the case
with the operator's identity (the caller's AWS ARN; the local user in the sandbox)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import click

from bwp_privacy.common import iso_z
from bwp_privacy.reaction import (
    CannotResubmit,
    Case,
    CaseNotFound,
    CaseNotStartable,
    CaseState,
    CaseStore,
    Handled,
    days_left,
)
from bwp_privacy_cli.context import CliContext, UserError, common_options, pass_cli
from bwp_privacy_cli.json_output import CaseActionOut, CaseRowOut, CaseShowOut, CasesListOut
from bwp_privacy_cli.output import console, print_json, print_table
from bwp_privacy_cli.targets import Target


@click.group()
def cases() -> None:
    """Failed deletions and retrievals as cases: each carried to its end by the reaction."""


@cases.command("list")
@click.option("--all", "show_all", is_flag=True, help="Ended cases too, not only open ones.")
@common_options
@pass_cli
def list_(cli: CliContext, show_all: bool) -> None:
    """Open cases (--all: every case), nearest deadline first: kind, state, attempts, days
    left and what happens next."""
    now = datetime.now(UTC)
    with cli.target() as target:
        cli.announce(target)
        store = target.case_store()
        found = store.all_cases() if show_all else store.open_cases()
    rows = [_row(case, now) for case in found]
    if cli.json:
        print_json(
            CasesListOut(
                target=target.identity(), open_only=not show_all, cases=rows, count=len(rows)
            )
        )
        return
    print_table(
        "Cases" if show_all else "Open cases",
        ["case", "kind", "state", "attempts", "days left", "next", "business product"],
        (
            (
                r.case_id,
                r.kind,
                r.state,
                r.attempts,
                f"{r.days_left:.1f}",
                r.next_action,
                r.business_product_id,
            )
            for r in rows
        ),
        ids=("case", "kind", "state", "business product"),
    )
    console.print(f"{len(rows)} case(s)")


@cases.command("show")
@click.argument("case_id")
@common_options
@pass_cli
def show(cli: CliContext, case_id: str) -> None:
    """CASE_ID in full: its deadlines, its tasks and every transition (when, why, by whom)."""
    now = datetime.now(UTC)
    with cli.target() as target:
        cli.announce(target)
        case = _load(target.case_store(), case_id)
    if cli.json:
        print_json(
            CaseShowOut(
                target=target.identity(),
                case=case,
                days_left=round(days_left(case, now), 1),
                next_action=_next(case),
            )
        )
        return
    print_table(
        f"Case {case.case_id}",
        ["field", "value"],
        [
            ("kind", f"{case.kind} ({_REQUEST[case.kind]})"),
            ("state", case.state.value),
            ("reason", case.reason),
            ("business product", case.business_product_id),
            ("received", f"{_iso(case.received_at)} (from {case.received_from})"),
            (
                "planned deadline",
                f"{_iso(case.plan_deadline_at)} ({days_left(case, now):.1f} days left)",
            ),
            ("playbook", case.playbook_code),
            ("attempts", case.attempts),
            ("next", _next(case)),
            ("opened", _iso(case.opened_at)),
            ("ended", _iso(case.ended_at) if case.ended_at else None),
        ],
    )
    print_table(
        "Deadlines",
        ["jurisdiction", "due", "extended due"],
        ((d.jurisdiction, _iso(d.due_at), _iso(d.extended_due_at)) for d in case.deadlines),
    )
    print_table(
        "Tasks",
        ["task", "attempt", "outcome", "errors"],
        (
            (t.task_id, t.attempt, t.outcome or "running", ", ".join(t.error_codes))
            for t in case.tasks
        ),
    )
    print_table(
        "Timeline",
        ["at", "from", "to", "cause", "actor", "why"],
        (
            (
                _iso(t.at),
                t.from_state.value if t.from_state else "",
                t.to_state.value,
                f"{t.cause.kind.value} {t.cause.ref}",
                t.actor,
                t.reason,
            )
            for t in case.transitions
        ),
        ids=(),
    )


@cases.command("resubmit")
@click.argument("case_id")
@click.option(
    "--email-from-stdin",
    is_flag=True,
    help="Read the shopper's email from standard input (once, never stored or shown) when the "
    "failed task no longer holds it.",
)
@common_options
@pass_cli
def resubmit(cli: CliContext, case_id: str, email_from_stdin: bool) -> None:
    """Start a new task for CASE_ID now, of its kind (a deletion or a retrieval): the next
    attempt, linked to the case."""
    email = _read_email() if email_from_stdin else None
    with cli.target() as target:
        cli.announce(target)
        operator = target.operator()
        service = target.reaction_service(operator)
        try:
            with _operator_errors():
                handled = service.resubmit_now(case_id, operator, email=email)
        finally:
            email = None  # held for the one start mutation, never kept
        case = _load(target.case_store(), case_id)
    _report(cli, target, "resubmit", handled, case.current_task.task_id)


@cases.command("close")
@click.argument("case_id")
@click.option("--reason", required=True, help="Why the case is closed (kept in its record).")
@common_options
@pass_cli
def close(cli: CliContext, case_id: str, reason: str) -> None:
    """Close CASE_ID with a reason; its pending attempt is cancelled."""
    if not reason.strip():
        raise UserError("--reason: say why the case is closed")
    with cli.target() as target:
        cli.announce(target)
        operator = target.operator()
        with _operator_errors():
            handled = target.reaction_service(operator).close(case_id, reason, operator)
    _report(cli, target, "close", handled, None)


@cases.command("set-received")
@click.argument("case_id")
@click.argument("received")
@click.option("--reason", required=True, help="Why the date changes (kept in the case's record).")
@common_options
@pass_cli
def set_received(cli: CliContext, case_id: str, received: str, reason: str) -> None:
    """Correct when CASE_ID's request was received (RECEIVED: an ISO date or time, UTC when no
    zone is given); its deadlines move with it."""
    if not reason.strip():
        raise UserError("--reason: say why the received date changes")
    try:
        when = datetime.fromisoformat(received.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"RECEIVED: {received!r} is not an ISO date (2026-11-02 or 2026-11-02T10:00Z)"
        ) from None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    if when > datetime.now(UTC):
        raise UserError(f"RECEIVED: {received} is in the future")
    with cli.target() as target:
        cli.announce(target)
        operator = target.operator()
        with _operator_errors():
            handled = target.reaction_service(operator).set_received(
                case_id, when, reason, operator
            )
    _report(cli, target, "set-received", handled, None)


@cases.command("link")
@click.argument("case_id")
@click.argument("task_id")
@common_options
@pass_cli
def link(cli: CliContext, case_id: str, task_id: str) -> None:
    """Link TASK_ID, a task your own system started (of the case's kind), to CASE_ID as its next
    attempt (announce mode)."""
    with cli.target() as target:
        cli.announce(target)
        operator = target.operator()
        with _operator_errors():
            handled = target.reaction_service(operator).link_task(case_id, task_id, operator)
    _report(cli, target, "link", handled, task_id)


def _row(case: Case, now: datetime) -> CaseRowOut:
    return CaseRowOut(
        case_id=case.case_id,
        business_product_id=case.business_product_id,
        kind=case.kind,
        state=case.state.value,
        attempts=case.attempts,
        days_left=round(days_left(case, now), 1),
        plan_deadline_at=_iso(case.plan_deadline_at),
        next_action=_next(case),
        reason=case.reason,
    )


#: What each kind of case answers, for a reader of `cases show`.
_REQUEST = {"deletion": "a deletion request", "retrieval": "an access request"}


def _next(case: Case) -> str:
    """What happens next, in a few words."""
    match case.state:
        case CaseState.WAITING:
            at = _iso(case.next_attempt_at) if case.next_attempt_at else "?"
            return f"attempt {case.attempts + 1} at {at}"
        case CaseState.RESUBMITTED:
            return f"waiting for task {case.current_task.task_id}"
        case CaseState.RESUBMISSION_DUE:
            return f"your system: attempt {case.attempts + 1}, then link"
        case CaseState.ESCALATED:
            return "a person: resubmit or close"
        case _:
            return "nothing: ended"


def _load(store: CaseStore, case_id: str) -> Case:
    found = store.load(case_id)
    if found is None:
        raise UserError(f"no case {case_id} (a case's id is its first task's id)")
    return found


@contextmanager
def _operator_errors() -> Iterator[None]:
    """What an operator can fix, said in one line (exit code 1)."""
    try:
        yield
    except (CaseNotFound, CaseNotStartable, CannotResubmit) as error:
        raise UserError(str(error)) from None


def _read_email() -> str:
    if sys.stdin.isatty():
        click.echo("Shopper's email (not echoed, not stored): ", err=True, nl=False)
        import getpass

        return getpass.getpass(prompt="").strip()
    value = sys.stdin.readline().strip()
    if not value:
        raise UserError("--email-from-stdin: standard input held no email")
    return value


def _report(
    cli: CliContext, target: Target, action: str, handled: Handled, task_id: str | None
) -> None:
    state = handled.state.value if handled.state else None
    if cli.json:
        print_json(
            CaseActionOut(
                target=target.identity(),
                case_id=handled.case_id or "",
                action=action,  # type: ignore[arg-type]
                outcome=handled.outcome,
                state=state,
                task_id=task_id,
            )
        )
        return
    what = {"moved": "done", "unchanged": "nothing to do: the case was already there"}
    console.print(
        f"{action} case {handled.case_id}: {what.get(handled.outcome, handled.outcome)};"
        f" state {state}" + (f", task {task_id}" if task_id else "")
    )


def _iso(moment: datetime | None) -> str:
    return "" if moment is None else iso_z(moment, "seconds")
