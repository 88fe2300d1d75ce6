"""`bwp-privacy cases show`: one case in full: its answer, its deadlines per law and their
extensions, its appeals, its tasks, its timeline and its audit trail."""

from __future__ import annotations

from datetime import datetime

import click

from bwp_privacy.audit import SUBJECT_CASE, subject
from bwp_privacy.cases import Appeal, AppealedAnswer, Case, CaseReader, CaseState, Deadline
from bwp_privacy.common import iso_z, standing, utc_now, whole_days_left
from bwp_privacy.task_kinds import task_kind
from bwp_privacy_cli.actors import actor_names
from bwp_privacy_cli.commands.cases.group import cases
from bwp_privacy_cli.commands.cases.outputs import AuditEntryOut, CaseShowOut
from bwp_privacy_cli.commands.cases.wording import days_left, iso, next_action
from bwp_privacy_cli.context import CliContext, UserError, common_options, pass_cli
from bwp_privacy_cli.output import console, plain, print_json, print_table


@cases.command("show")
@click.argument("case_id")
@common_options
@pass_cli
def show(cli: CliContext, case_id: str) -> None:
    """CASE_ID in full: its deadlines, its tasks, every transition (when, why, by whom) and its
    audit trail (every action on it: the reaction's, the router's, each operator's command)."""
    # The product's clock (the wall clock; the sandbox's when a test plays days passing).
    now = utc_now()
    with cli.target() as target:
        cli.announce(target)
        case = _load(target.case_store(), case_id)
        trail = [
            AuditEntryOut(
                at=iso_z(e.at, "milliseconds"),
                actor=e.actor,
                action=e.action,
                input=e.input,
                outcome=e.outcome,
                detail=e.detail,
            )
            for e in target.audit_trail().entries(subject(SUBJECT_CASE, case_id))
        ]
    if cli.json:
        print_json(
            CaseShowOut(
                target=target.identity(),
                case=case,
                legal_due_at=iso(case.legal_due_at),
                days_left=days_left(case.legal_due_at, case, now),
                plan_days_left=days_left(case.plan_deadline_at, case, now),
                next_action=next_action(case),
                audit_trail=trail,
            )
        )
        return
    print_table(
        f"Case {case.case_id}",
        ["field", "value"],
        [
            ("kind", f"{case.kind} ({task_kind(case.kind).request})"),
            ("state", case.state.value),
            ("answer", _answer(case)),
            ("reason", case.reason),
            ("business product", case.business_product_id),
            ("received", f"{iso(case.received_at)} (from {case.received_from})"),
            ("deadline", _deadline(case, now)),
            ("planning deadline", f"{iso(case.plan_deadline_at)} ({_PLANNING})"),
            ("playbook", case.playbook_code),
            ("attempts", case.attempts),
            ("next", next_action(case)),
            ("opened", iso(case.opened_at)),
            ("ended", iso(case.ended_at) if case.ended_at else None),
        ],
    )
    # The request's own deadlines can be extended only while it awaits its first answer (an
    # open appeal's are the ones `cases extend` moves then).
    answer = case.answer
    _print_deadlines(
        "Deadlines",
        case.deadlines,
        extendable=not case.state.ended and case.open_appeal is None,
        answered_at=None if answer is None else answer.ended_at,
        now=now,
    )
    for appeal in case.appeals:
        _print_appeal(appeal, appeal is case.open_appeal, now)
    print_table(
        "Tasks",
        ["task", "attempt", "outcome", "errors"],
        (
            (t.task_id, t.attempt, t.outcome or "running", ", ".join(t.error_codes))
            for t in case.tasks
        ),
        # A case's tasks are listed attempt by attempt: the order says it too.
        spare=("attempt",),
    )
    # An operator's identity is an ARN as long as a line: the tables name each actor briefly,
    # as the report does, and the line under them gives each in full once.
    names = actor_names([*(t.actor for t in case.transitions), *(e.actor for e in trail)])
    print_table(
        "Timeline",
        ["at", "from", "to", "cause", "actor", "why"],
        (
            (
                iso(t.at),
                t.from_state.value if t.from_state else "",
                t.to_state.value,
                f"{t.cause.kind.value} {t.cause.ref}",
                names.get(t.actor, t.actor),
                t.reason,
            )
            for t in case.transitions
        ),
        ids=(),
        # When, to what and why stay (a row's "from" is the row before's "to").
        spare=("from", "actor", "cause"),
    )
    print_table(
        "Audit trail",
        ["at", "actor", "action", "input", "outcome"],
        ((e.at, names.get(e.actor, e.actor), e.action, e.input, e.outcome) for e in trail),
        ids=(),
        # When, who, what and how it ended stay: what an audit trail is read for; the input
        # (the command's options) is what a narrow terminal can best do without.
        spare=("input",),
    )
    shortened = sorted((short, full) for full, short in names.items() if short != full)
    if shortened:
        console.print(
            "Actors: " + "; ".join(f"{plain(short)} is {plain(full)}" for short, full in shortened)
        )


def _answer(case: Case) -> str:
    """How the request was answered and when: ``denied (unverifiable) on 2026-12-07T03:54:59Z``;
    an appeal's own answer is in the Appeal table."""
    answer = case.answer
    if answer is None:
        return "not yet"
    said = f"{_answered_as(answer)} on {iso(answer.ended_at)}"
    return said + ("; appealed (see Appeal)" if case.appeals else "")


def _answered_as(answer: AppealedAnswer) -> str:
    """How a request was answered, in a few words: ``completed``, ``nothing to delete``,
    ``denied (unverifiable)``."""
    if answer.state is not CaseState.CLOSED:
        return answer.state.value.lower().replace("_", " ")
    if answer.closed_as is None:
        # Closed before an operator had to say how the request was answered.
        return "closed"
    if answer.closed_as == "denied" and answer.denied_because is not None:
        return f"denied ({answer.denied_because})"
    return answer.closed_as


def _print_deadlines(
    title: str,
    deadlines: tuple[Deadline, ...],
    *,
    extendable: bool,
    answered_at: datetime | None,
    now: datetime,
) -> None:
    """Per law: its first deadline, its one extension as it stands, and the deadline in force.
    The stored ``extended_due_at`` is where an extension would move the deadline, taken or
    not: shown as a deadline only once taken."""
    print_table(
        title,
        ["law", "first deadline", "extension", "in force"],
        (
            (
                d.jurisdiction,
                iso(d.due_at),
                _extension(d, extendable=extendable, answered_at=answered_at, now=now),
                iso(d.effective_due_at),
            )
            for d in deadlines
        ),
        ids=(),
        # The deadline in force is the first one, or the one the extension says it runs to.
        spare=("in force",),
    )


def _extension(
    deadline: Deadline, *, extendable: bool, answered_at: datetime | None, now: datetime
) -> str:
    """The law's one extension of ``deadline`` as it stands, as `cases extend` would judge
    it: taken, still open to take (only before the first deadline passes, while the request
    or appeal awaits its answer), or not taken and no longer possible."""
    if deadline.extended_due_at is None:
        return "none allowed"
    if deadline.extended_at is not None:
        return f"taken on {iso(deadline.extended_at)}: runs to {iso(deadline.extended_due_at)}"
    if extendable and now < deadline.due_at:
        return (
            f"may be taken until {iso(deadline.due_at)}"
            f" (would run to {iso(deadline.extended_due_at)})"
        )
    if answered_at is not None and answered_at < deadline.due_at:
        return f"not taken: answered on {iso(answered_at)}, before it was needed"
    return f"not taken: lapsed on {iso(deadline.due_at)}"


def _print_appeal(appeal: Appeal, is_open: bool, now: datetime) -> None:
    """An appeal: when it came, what it appeals, its deadline per law and how it stands, and
    its answer once given."""
    appealed = appeal.appealed
    if appeal.answered_at is None:
        standing_now = f"{iso(appeal.due_at)}, {standing(appeal.due_at, now)}"
        answered = "not yet"
    else:
        met = "met" if appeal.answered_at <= appeal.due_at else "missed"
        standing_now = f"{iso(appeal.due_at)}, {met}"
        answered = f"{iso(appeal.answered_at)} as {appeal.answered_as}"
        if appeal.denied_because:
            answered += f" ({appeal.denied_because})"
    print_table(
        "Appeal",
        ["field", "value"],
        [
            ("received", iso(appeal.received_at)),
            ("appeals", f"the answer {_answered_as(appealed)} of {iso(appealed.ended_at)}"),
            ("why", appeal.reason),
            ("deadline", standing_now),
            ("answered", answered),
        ],
    )
    _print_deadlines(
        "Appeal deadlines",
        appeal.deadlines,
        extendable=is_open,
        answered_at=appeal.answered_at,
        now=now,
    )


#: What the planning deadline is, said where it is shown: the playbooks' own figure, never
#: the one the law sets.
_PLANNING = "internal: the playbooks plan attempts to end before it; not a legal deadline"


def _deadline(case: Case, now: datetime) -> str:
    """The legal deadline in force (the earliest; the extended one once extended), how it
    stands, and under which law: while an appeal is open, the appeal's; for a request that
    was answered, whether the answer met it (an appeal's own is in the Appeal table)."""
    appeal = case.open_appeal
    due = case.legal_due_at
    pool = appeal.deadlines if appeal is not None else case.deadlines
    laws = ", ".join(d.jurisdiction for d in pool if d.effective_due_at == due)
    if appeal is not None:
        return f"{iso(due)}, {standing(due, now)} (the appeal's, {laws})"
    answer = case.answer
    if answer is None:
        return f"{iso(due)}, {standing(due, now)} ({laws})"
    if answer.ended_at <= due:
        return f"{iso(due)}, met: answered {_days_apart(answer.ended_at, due)} before it ({laws})"
    return f"{iso(due)}, missed: answered {_days_apart(due, answer.ended_at)} after it ({laws})"


def _days_apart(earlier: datetime, later: datetime) -> str:
    days = whole_days_left(later, earlier)
    return "under a day" if days == 0 else f"{days} day" + ("" if days == 1 else "s")


def _load(store: CaseReader, case_id: str) -> Case:
    found = store.load(case_id)
    if found is None:
        raise UserError(f"no case {case_id} (a case's id is its first task's id)")
    return found
