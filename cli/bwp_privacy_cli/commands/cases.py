"""`bwp-privacy cases list|show|resubmit|close|extend|set-received|link|export|stats`: the
failed deletions and retrievals the reaction carries, what an operator may do about one, and
what an auditor reads of them (the request log, the yearly figures). Every change is a request
to the reaction's function URL, signed with the operator's AWS credentials: the reaction makes
it, with the identity AWS authenticated as its actor, and records it, refused or not, in the
audit trail."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TextIO, get_args

import click
from rich.text import Text

from bwp_privacy.audit import SUBJECT_CASE, SUBJECT_EXPORT, subject
from bwp_privacy.common import iso_z
from bwp_privacy.compliance import (
    DEFAULT_DUE_SOON_DAYS,
    Bucket,
    KindStats,
    RequestRecord,
    bucket_counts,
    bucket_of,
    legal_days_left,
    request_records,
    write_csv,
    write_jsonl,
    yearly_stats,
)
from bwp_privacy.reaction import (
    Case,
    CaseState,
    CaseStore,
    ClosedAs,
    days_left,
)
from bwp_privacy_cli.audit_log import audited
from bwp_privacy_cli.context import CliContext, UserError, common_options, pass_cli
from bwp_privacy_cli.json_output import (
    AuditEntryOut,
    BucketCountsOut,
    CaseActionOut,
    CaseRowOut,
    CasesExportOut,
    CaseShowOut,
    CasesListOut,
    CasesStatsOut,
    KindStatsOut,
)
from bwp_privacy_cli.operator_client import OperatorRequestRefused
from bwp_privacy_cli.output import console, err_console, plain, print_json, print_table
from bwp_privacy_cli.targets import Target
from bwp_privacy_cli.timeparse import SINCE, Since

#: One option for every command that sorts open cases by urgency (`cases list`, `report`): the
#: same whole days and the same meaning, as the deadline watch's DueSoonDays (an integer too),
#: so that one BWP_DUE_SOON_DAYS serves both.
due_soon_days_option = click.option(
    "--due-soon-days",
    type=click.IntRange(0, 365),
    default=DEFAULT_DUE_SOON_DAYS,
    show_default=True,
    envvar="BWP_DUE_SOON_DAYS",
    show_envvar=True,
    metavar="DAYS",
    help="An open case with fewer than DAYS days left to its legal deadline (extensions"
    " applied) is due soon.",
)


@click.group()
def cases() -> None:
    """Failed deletions and retrievals as cases: each carried to its end by the reaction."""


@cases.command("list")
@click.option("--all", "show_all", is_flag=True, help="Ended cases too, not only open ones.")
@click.option(
    "--at-risk", is_flag=True, help="Only the open cases due soon or past their legal deadline."
)
@due_soon_days_option
@common_options
@pass_cli
def list_(cli: CliContext, show_all: bool, at_risk: bool, due_soon_days: int) -> None:
    """Open cases (--all: every case), the nearest legal deadline first: how urgent each is (on
    time, due soon, past due), kind, state, attempts and what happens next."""
    if show_all and at_risk:
        raise click.UsageError("--at-risk lists open cases only: drop --all")
    now = datetime.now(UTC)
    with cli.target() as target:
        cli.announce(target)
        store = target.case_store()
        found = store.all_cases() if show_all else store.open_cases()
    # Open cases first (an ended one runs against no clock), the most urgent first.
    found.sort(key=lambda case: (case.state.ended, legal_days_left(case, now), case.case_id))
    counts = bucket_counts(found, now, due_soon_days)
    rows = [_row(case, now, due_soon_days) for case in found]
    if at_risk:
        rows = [row for row in rows if row.bucket in _AT_RISK]
    if cli.json:
        print_json(
            CasesListOut(
                target=target.identity(),
                open_only=not show_all,
                at_risk_only=at_risk,
                due_soon_days=due_soon_days,
                cases=rows,
                count=len(rows),
                buckets=BucketCountsOut(
                    on_time=counts[Bucket.ON_TIME],
                    due_soon=counts[Bucket.DUE_SOON],
                    past_due=counts[Bucket.PAST_DUE],
                ),
            )
        )
        return
    title = "Cases" if show_all else ("Open cases at risk" if at_risk else "Open cases")
    print_table(
        title,
        [
            "case",
            "kind",
            "state",
            "bucket",
            "legal due",
            "days left",
            "attempts",
            "next",
            "business product",
        ],
        (
            (
                r.case_id,
                r.kind,
                r.state,
                _coloured(r.bucket),
                r.legal_due_at,
                # An ended case runs against no clock: it has no days left.
                "" if r.days_left is None else f"{r.days_left:.1f}",
                r.attempts,
                r.next_action,
                r.business_product_id,
            )
            for r in rows
        ),
        ids=("case", "kind", "state", "business product"),
        # Which case, where it stands and how urgent it is stay; a narrow terminal does
        # without the rest, what it can best spare first (a merchant has one business
        # product or few; the days left say what the legal due date does).
        spare=("business product", "legal due", "attempts", "kind", "next"),
    )
    console.print(
        f"{len(rows)} case(s); open cases by legal deadline: "
        + ", ".join(f"{counts[bucket]} {bucket.value}" for bucket in _URGENT_FIRST)
        + f" (due soon: under {due_soon_days} days left)"
    )


@cases.command("export")
@click.option(
    "--since",
    required=True,
    metavar="DATE",
    type=SINCE,
    help="Requests received at or after DATE (an ISO date or time, UTC when no zone is given;"
    " or 730d, 12h ago).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    default="csv",
    show_default=True,
    help="csv (RFC 4180, for a spreadsheet) or jsonl (one JSON object a line).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to FILE instead of standard output.",
)
@common_options
@pass_cli
def export(cli: CliContext, since: Since, fmt: str, output: Path | None) -> None:
    """The request log an auditor asks for (CCPA record keeping): one record per request
    received since DATE, oldest first: type, how it was made, when received, the legal due
    date, when and how it was answered, the basis of a denial, its tasks. Ids only: never a
    shopper's email. Cases are kept RetentionDays after they end: older ones are gone."""
    if cli.json and output is None:
        raise click.UsageError("--json describes the file written: give -o FILE")
    chosen: Literal["csv", "jsonl"] = "jsonl" if fmt == "jsonl" else "csv"
    start = since.at(datetime.now(UTC))
    with cli.target() as target:
        # The records may be the standard output: the banner then goes to stderr.
        if not cli.json:
            (console if output else err_console).print(target.banner())
        records = request_records(target.case_store().all_cases(), start)
        # The export is itself an audit entry: who took the request log, of what, where.
        with audited(
            target,
            "cases export",
            subject(SUBJECT_EXPORT),
            f"--since {_iso(start)} --format {chosen}",
        ) as action:
            if output is None:
                _write_records(records, chosen, sys.stdout)
            else:
                # newline="": CSV's CRLF line ends are written as they are.
                with output.open("w", encoding="utf-8", newline="") as stream:
                    _write_records(records, chosen, stream)
            where = str(output) if output else "standard output"
            action.outcome = f"{len(records)} record(s) written to {where}"
    if cli.json:
        print_json(
            CasesExportOut(
                target=target.identity(),
                since=_iso(start),
                format=chosen,
                file=str(output),
                count=len(records),
            )
        )
        return
    (console if output else err_console).print(
        f"{len(records)} request record(s) received since {_iso(start)}"
        + (f" written to {output} ({chosen})" if output else f" ({chosen})")
    )


@cases.command("stats")
@click.option(
    "--year",
    type=click.IntRange(2000, 9999),
    default=None,
    help="Requests received in YEAR (UTC). Default: this year.",
)
@common_options
@pass_cli
def stats(cli: CliContext, year: int | None) -> None:
    """A year's figures per request type, as a business publishes them: requests received,
    complied with (completed, or nothing held), denied (by reason), cancelled, still open, and
    the median and mean days to respond."""
    year = year or datetime.now(UTC).year
    with cli.target() as target:
        cli.announce(target)
        figures = yearly_stats(target.case_store().all_cases(), year)
    if cli.json:
        print_json(
            CasesStatsOut(
                target=target.identity(),
                year=figures.year,
                by_kind={
                    "deletion": KindStatsOut(**figures.by_kind["deletion"].model_dump()),
                    "retrieval": KindStatsOut(**figures.by_kind["retrieval"].model_dump()),
                },
            )
        )
        return
    for kind, found in figures.by_kind.items():
        print_table(
            f"{_TITLE.get(kind, kind)} received in {year}",
            ["figure", "value"],
            _stats_rows(found),
            ids=(),
        )


@cases.command("show")
@click.argument("case_id")
@common_options
@pass_cli
def show(cli: CliContext, case_id: str) -> None:
    """CASE_ID in full: its deadlines, its tasks, every transition (when, why, by whom) and its
    audit trail (every action on it: the reaction's, the router's, each operator's command)."""
    now = datetime.now(UTC)
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
                days_left=_days(legal_days_left, case, now),
                plan_days_left=_days(days_left, case, now),
                next_action=_next(case),
                audit_trail=trail,
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
            ("legal deadline", _deadline(case.legal_due_at, _days(legal_days_left, case, now))),
            ("planned deadline", _deadline(case.plan_deadline_at, _days(days_left, case, now))),
            ("playbook", case.playbook_code),
            ("attempts", case.attempts),
            ("next", _next(case)),
            ("opened", _iso(case.opened_at)),
            ("ended", _iso(case.ended_at) if case.ended_at else None),
        ],
    )
    print_table(
        "Deadlines",
        ["jurisdiction", "due", "extended due", "extended on"],
        (
            (
                d.jurisdiction,
                _iso(d.due_at),
                _iso(d.extended_due_at),
                _iso(d.extended_at) if d.extended_at else "",
            )
            for d in case.deadlines
        ),
        spare=("extended on",),
    )
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
        # When, to what and why stay (a row's "from" is the row before's "to").
        spare=("from", "actor", "cause"),
    )
    print_table(
        "Audit trail",
        ["at", "actor", "action", "input", "outcome"],
        ((e.at, e.actor, e.action, e.input, e.outcome) for e in trail),
        ids=(),
        # When and who stay: what an audit trail is read for.
        spare=("input", "outcome", "action"),
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
    request: dict[str, Any] = {"action": "resubmit", "caseId": case_id}
    if email_from_stdin:
        # Sent once, to the reaction's start mutation; never stored, logged or shown.
        request["email"] = _read_email()
    try:
        operated = _operate(cli, request)
    finally:
        request.pop("email", None)
    _report(cli, "resubmit", operated)


@cases.command("close")
@click.argument("case_id")
@click.option("--reason", required=True, help="Why the case is closed (kept in its record).")
@click.option(
    "--as",
    "closed_as",
    type=click.Choice(get_args(ClosedAs)),
    default="cancelled",
    show_default=True,
    help="How the request was answered: completed (outside Buy with Prime), denied (the reason "
    "is the basis an auditor reads) or cancelled (withdrawn, a duplicate).",
)
@common_options
@pass_cli
def close(cli: CliContext, case_id: str, reason: str, closed_as: str) -> None:
    """Close CASE_ID with a reason and how the request was answered; its pending attempt is
    cancelled."""
    if not reason.strip():
        raise UserError("--reason: say why the case is closed")
    request = {"action": "close", "caseId": case_id, "reason": reason, "closedAs": closed_as}
    _report(cli, "close", _operate(cli, request))


@cases.command("extend")
@click.argument("case_id")
@click.option(
    "--jurisdiction",
    required=True,
    help="Whose deadline to extend (a jurisdiction of the playbooks file: ccpa, gdpr).",
)
@click.option(
    "--reason", required=True, help="Why more time is needed (kept in the case's record)."
)
@common_options
@pass_cli
def extend(cli: CliContext, case_id: str, jurisdiction: str, reason: str) -> None:
    """Extend CASE_ID's deadline under one jurisdiction by the extension its law allows (CCPA
    45 days, GDPR two months): once, and only before that deadline passes. Tell the shopper
    within the first period, as the law asks; this records that you did."""
    if not reason.strip():
        raise UserError("--reason: say why the deadline is extended")
    request = {
        "action": "extend",
        "caseId": case_id,
        "jurisdiction": jurisdiction,
        "reason": reason,
    }
    _report(cli, "extend", _operate(cli, request))


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
    request = {
        "action": "set-received",
        "caseId": case_id,
        "received": _iso(when),
        "reason": reason,
    }
    _report(cli, "set-received", _operate(cli, request))


@cases.command("link")
@click.argument("case_id")
@click.argument("task_id")
@common_options
@pass_cli
def link(cli: CliContext, case_id: str, task_id: str) -> None:
    """Link TASK_ID, a task your own system started (of the case's kind), to CASE_ID as its next
    attempt (announce mode)."""
    _report(cli, "link", _operate(cli, {"action": "link", "caseId": case_id, "taskId": task_id}))


def _row(case: Case, now: datetime, due_soon_days: int) -> CaseRowOut:
    bucket = bucket_of(case, now, due_soon_days)
    return CaseRowOut(
        case_id=case.case_id,
        business_product_id=case.business_product_id,
        kind=case.kind,
        state=case.state.value,
        attempts=case.attempts,
        bucket=None if bucket is None else bucket.value,
        legal_due_at=_iso(case.legal_due_at),
        days_left=_days(legal_days_left, case, now),
        plan_deadline_at=_iso(case.plan_deadline_at),
        plan_days_left=_days(days_left, case, now),
        next_action=_next(case),
        reason=case.reason,
    )


def _days(count: Callable[[Case, datetime], float], case: Case, now: datetime) -> float | None:
    """Days left to a deadline, by ``count``; None for an ended case: it runs against no
    clock any more (its deadlines are history)."""
    return None if case.state.ended else round(count(case, now), 1)


def _deadline(due: datetime, left: float | None) -> str:
    return _iso(due) if left is None else f"{_iso(due)} ({left:.1f} days left)"


_AT_RISK = frozenset({Bucket.DUE_SOON.value, Bucket.PAST_DUE.value})
_URGENT_FIRST = (Bucket.PAST_DUE, Bucket.DUE_SOON, Bucket.ON_TIME)
#: A terminal shows the colour, a pipe or a file the bare word.
_COLOUR = {"past due": "red", "due soon": "yellow", "on time": "green"}


def _coloured(bucket: str | None) -> Text:
    return Text("" if bucket is None else bucket, style=_COLOUR.get(bucket or "", ""))


def _write_records(
    records: list[RequestRecord], fmt: Literal["csv", "jsonl"], stream: TextIO
) -> None:
    (write_csv if fmt == "csv" else write_jsonl)(records, stream)


#: Each request type as a reader of `cases stats` knows it.
_TITLE = {"deletion": "Deletion requests", "retrieval": "Access (retrieval) requests"}


def _stats_rows(found: KindStats) -> list[tuple[str, object]]:
    def days(value: float | None) -> str:
        return "none answered" if value is None else f"{value:.1f}"

    return [
        ("received", found.received),
        ("complied (completed or nothing held)", found.complied),
        ("denied", found.denied),
        # A reason is an operator's text: shown as written, never read as table markup.
        *((f"  denied: {reason}", n) for reason, n in found.denied_by_reason.items()),
        ("cancelled (no response)", found.cancelled),
        ("still open", found.open),
        ("median days to respond", days(found.median_days_to_respond)),
        ("mean days to respond", days(found.mean_days_to_respond)),
    ]


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


@dataclass(frozen=True)
class _Operated:
    """The reaction's answer to an operator's command, and the case as it stands when the
    answer is that an ended case was left as it was (the answer names its state only)."""

    target: Target
    answer: dict[str, Any]
    ended: Case | None = None


def _operate(cli: CliContext, request: dict[str, Any]) -> _Operated:
    """An operator's command on a case, carried out (and recorded, refused or not, with the
    caller AWS authenticated) by the reaction; its answer."""
    with cli.target() as target:
        cli.announce(target)
        try:
            answer = target.operator_client().send(request)
        except OperatorRequestRefused as refused:
            raise UserError(str(refused)) from None
        ended = None
        if answer.get("outcome") == "unchanged" and _has_ended(answer.get("state")):
            # How and when it ended, for the operator who thought it open.
            ended = target.case_store().load(str(answer.get("caseId") or request["caseId"]))
    return _Operated(target, answer, ended)


def _has_ended(state: object) -> bool:
    return state in {s.value for s in CaseState if s.ended}


def _read_email() -> str:
    if sys.stdin.isatty():
        click.echo("Shopper's email (not echoed, not stored): ", err=True, nl=False)
        import getpass

        return getpass.getpass(prompt="").strip()
    value = sys.stdin.readline().strip()
    if not value:
        raise UserError("--email-from-stdin: standard input held no email")
    return value


def _report(cli: CliContext, action: str, operated: _Operated) -> None:
    target, answer = operated.target, operated.answer
    state = answer.get("state")
    task_id = answer.get("taskId")
    if cli.json:
        print_json(
            CaseActionOut(
                target=target.identity(),
                case_id=answer.get("caseId") or "",
                action=action,  # type: ignore[arg-type]
                outcome=answer["outcome"],
                state=state,
                task_id=task_id,
            )
        )
        return
    said = f"{action} case {answer.get('caseId')}: "
    if answer["outcome"] == "unchanged" and _has_ended(state):
        console.print(said + "nothing to do: " + _how_it_ended(str(state), operated.ended))
        return
    what = {"moved": "done", "unchanged": "nothing to do: the case is already as asked"}
    console.print(
        said + f"{what.get(answer['outcome'], answer['outcome'])}; state {state}"
        f"{f', task {task_id}' if task_id else ''}",
        markup=False,
    )


def _how_it_ended(state: str, case: Case | None) -> str:
    """How and when the case ended, as the operator who thought it open needs to hear it:
    ``already ended: CLOSED as cancelled on 2026-12-06T10:00:00Z (shopper withdrew)``."""
    said = f"already ended: {state}"
    if case is None:
        return said
    if case.closed_as:
        said += f" as {case.closed_as}"
    if case.ended_at:
        said += f" on {_iso(case.ended_at)}"
    if case.state is CaseState.CLOSED and case.reason:
        # The operator's reason: outside text, printed as one line of plain text.
        said += f" ({plain(case.reason)})"
    return said


def _iso(moment: datetime | None) -> str:
    return "" if moment is None else iso_z(moment, "seconds")
