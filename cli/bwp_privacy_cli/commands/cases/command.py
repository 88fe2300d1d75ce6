"""`bwp-privacy cases list|show|resubmit|close|extend|set-received|appeal|link|export|stats`: the
failed deletions and retrievals the reaction carries, what an operator may do about one, and
what an auditor reads of them (the request log, the yearly figures). Every change is a request
to the reaction's function URL, signed with the operator's AWS credentials: the reaction makes
it, with the identity AWS authenticated as its actor, and records it, refused or not, in the
audit trail."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TextIO, get_args

import click
from rich.text import Text

from bwp_privacy.audit import SUBJECT_CASE, SUBJECT_EXPORT, subject
from bwp_privacy.cases import (
    DEFAULT_DUE_SOON_DAYS,
    Appeal,
    AppealedAnswer,
    Bucket,
    Case,
    CaseReader,
    CaseState,
    ClosedAs,
    Deadline,
    DeniedBecause,
    bucket_counts,
    bucket_of,
    legal_days_left,
)
from bwp_privacy.common import iso_z, standing, utc_now, whole_days_left
from bwp_privacy.compliance import (
    REQUEST_TYPE,
    RequestRecord,
    metric_rows,
    request_records,
    write_csv,
    write_jsonl,
    write_stats_csv,
    year_window,
    yearly_stats,
)
from bwp_privacy.task_kinds import task_kind
from bwp_privacy_cli.actors import actor_names
from bwp_privacy_cli.audit_log import audited
from bwp_privacy_cli.command_registry import registered
from bwp_privacy_cli.commands.cases.outputs import (
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
from bwp_privacy_cli.context import CliContext, UserError, common_options, pass_cli
from bwp_privacy_cli.operator_client import OperatorRequestRefused
from bwp_privacy_cli.output import console, err_console, plain, print_json, print_table
from bwp_privacy_cli.output_file import check_output_dir
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


@registered(
    "List, show, resubmit, close deletion and retrieval cases.",
    place=110,
    outputs={
        "cases-list": CasesListOut,
        "cases-export": CasesExportOut,
        "cases-stats": CasesStatsOut,
        "cases-show": CaseShowOut,
        "cases-action": CaseActionOut,
    },
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
    # The product's clock (the wall clock; the sandbox's when a test plays days passing).
    now = utc_now()
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
            "deadline",
            "standing",
            "attempts",
            "next",
            "business product",
        ],
        (
            (
                r.case_id,
                r.kind,
                # A completion and a denial are both CLOSED: the column says which.
                f"{r.state} as {r.closed_as}" if r.closed_as else r.state,
                _coloured(r.bucket),
                r.legal_due_at[:10],
                # An ended case runs against no clock: it has no days left.
                "" if r.days_left is None else standing(_parse(r.legal_due_at), now),
                r.attempts,
                r.next_action,
                r.business_product_id,
            )
            for r in rows
        ),
        ids=("case", "kind", "state", "business product"),
        # Which case, where it stands and how urgent it is stay; a narrow terminal does
        # without the rest, what it can best spare first (a merchant has one business
        # product or few; the standing says what the deadline's date does).
        spare=("business product", "deadline", "attempts", "kind", "next"),
    )
    console.print(
        f"{len(rows)} case(s); open cases by legal deadline: "
        + ", ".join(f"{counts[bucket]} {bucket.value}" for bucket in _URGENT_FIRST)
        + f" (due soon: under {due_soon_days} days left)"
    )


@cases.command("export")
@click.option(
    "--since",
    metavar="DATE",
    type=SINCE,
    default=None,
    help="Requests received at or after DATE (an ISO date or time, UTC when no zone is given;"
    " or 730d, 12h ago). --since or --year is required.",
)
@click.option(
    "--until",
    metavar="DATE",
    type=SINCE,
    default=None,
    help="With --since: and before DATE (excluded; the same grammar as --since). Default: no end.",
)
@click.option(
    "--year",
    type=click.IntRange(2000, 9999),
    default=None,
    metavar="YYYY",
    help="Requests received in calendar year YYYY (UTC): from 1 January YYYY to 1 January of"
    " the next year (excluded). Not with --since or --until.",
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
def export(
    cli: CliContext,
    since: Since | None,
    until: Since | None,
    year: int | None,
    fmt: str,
    output: Path | None,
) -> None:
    """The request log an auditor asks for (CCPA record keeping): one record per request
    received in the window (--since DATE [--until DATE], or --year YYYY), oldest first: type,
    how it was made, when received, the legal due date, when and how it was answered, a
    denial's category and basis, its tasks. Ids only: never a shopper's email. Cases are kept
    RetentionDays after they end: older ones are gone."""
    if year is not None and (since is not None or until is not None):
        raise UserError("--year is a whole calendar year: give it alone, or --since/--until")
    if year is None and since is None:
        raise UserError("say which requests: --since DATE [--until DATE], or --year YYYY")
    if cli.json and output is None:
        raise click.UsageError("--json describes the file written: give -o FILE")
    if output is not None:
        check_output_dir(output)
    chosen: Literal["csv", "jsonl"] = "jsonl" if fmt == "jsonl" else "csv"
    start, end = _export_window(since, until, year, utc_now())
    # The window as asked and as resolved (a relative 30d is a moment only when run).
    window = f"--since {_iso(start)}" + (f" --until {_iso(end)}" if end else "")
    if year is not None:
        window = f"--year {year} ({window})"
    with cli.target() as target:
        # The records may be the standard output: the banner then goes to stderr.
        if not cli.json:
            (console if output else err_console).print(target.banner())
        records = request_records(target.case_store().all_cases(), start, end)
        # The export is itself an audit entry: who took the request log, of what, where.
        with audited(
            target,
            "cases export",
            subject(SUBJECT_EXPORT),
            f"{window} --format {chosen}",
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
                until=_iso(end) if end else None,
                year=year,
                format=chosen,
                file=str(output),
                count=len(records),
            )
        )
        return
    received = f"in {year} (UTC)" if year is not None else f"since {_iso(start)}"
    if year is None and end is not None:
        received += f", before {_iso(end)}"
    written = f"to {output} " if output else ""
    (console if output else err_console).print(
        f"{len(records)} request record{'' if len(records) == 1 else 's'} received {received},"
        f" written {written}as {_FORMAT_NAME[chosen]}"
    )


#: How the banner names each export format.
_FORMAT_NAME = {"csv": "CSV", "jsonl": "JSON Lines"}


def _export_window(
    since: Since | None, until: Since | None, year: int | None, now: datetime
) -> tuple[datetime, datetime | None]:
    """The export's window, its end excluded: a calendar year, or from --since to --until (no
    end when not given)."""
    if year is not None:
        return year_window(year)
    assert since is not None  # the command refuses a window with neither
    start = since.at(now)
    end = None if until is None else until.at(now)
    if end is not None and end <= start:
        raise UserError(
            f"--until {_iso(end)} is not after --since {_iso(start)}: no request falls between"
        )
    return start, end


@cases.command("stats")
@click.option(
    "--year",
    type=click.IntRange(2000, 9999),
    default=None,
    metavar="YYYY",
    help="Requests received in calendar year YYYY (UTC). Default: this year.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv"]),
    default="table",
    show_default=True,
    help="table (one per request type) or csv (year, request_type, metric, value: the same"
    " figures, for the privacy policy).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="With --format csv: write to FILE instead of standard output.",
)
@common_options
@pass_cli
def stats(cli: CliContext, year: int | None, fmt: str, output: Path | None) -> None:
    """A calendar year's figures per request type, as CCPA's regulations (11 CCR § 7102) ask a
    large business to publish them: requests to delete and requests to know received, complied
    with in whole or in part, denied (by ground: unverifiable, not-a-consumer, exempt, other),
    and the median and mean days to respond (receipt to response, rounded up to whole days,
    over the requests complied with or denied); then what our data adds: cancelled, still
    open."""
    if output is not None and fmt != "csv":
        raise UserError("-o writes the CSV: add --format csv")
    if cli.json and fmt == "csv" and output is None:
        raise UserError("--json prints the figures: give -o FILE for the CSV")
    if output is not None:
        check_output_dir(output)
    year = year or utc_now().year
    with cli.target() as target:
        if not cli.json:
            # A CSV may be the standard output: the banner then goes to stderr.
            (err_console if fmt == "csv" and output is None else console).print(target.banner())
        figures = yearly_stats(target.case_store().all_cases(), year)
    if fmt == "csv":
        if output is None:
            write_stats_csv(figures, sys.stdout)
        else:
            # newline="": CSV's CRLF line ends are written as they are.
            with output.open("w", encoding="utf-8", newline="") as stream:
                write_stats_csv(figures, stream)
            if not cli.json:
                console.print(f"{year}'s figures written to {output} as CSV")
    if cli.json:
        print_json(
            CasesStatsOut(
                target=target.identity(),
                year=figures.year,
                by_kind={
                    "deletion": KindStatsOut(**figures.by_kind["deletion"].model_dump()),
                    "retrieval": KindStatsOut(**figures.by_kind["retrieval"].model_dump()),
                },
                file=None if output is None else str(output),
            )
        )
        return
    if fmt == "csv":
        return
    for kind, found in figures.by_kind.items():
        print_table(
            f"{REQUEST_TYPE.get(kind, kind).capitalize()} received in {year} ({kind})",
            ["metric", "value"],
            (
                (metric, "none answered" if value is None else value)
                for metric, value in metric_rows(found)
            ),
            ids=(),
        )
    console.print(
        "Days to respond: receipt to response, rounded up to whole days, over the requests"
        " complied with or denied; the median of an even count is its two middle values'"
        " mean, rounded up."
    )


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
                legal_due_at=_iso(case.legal_due_at),
                days_left=_days_left(case.legal_due_at, case, now),
                plan_days_left=_days_left(case.plan_deadline_at, case, now),
                next_action=_next(case),
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
            ("received", f"{_iso(case.received_at)} (from {case.received_from})"),
            ("deadline", _deadline(case, now)),
            ("planning deadline", f"{_iso(case.plan_deadline_at)} ({_PLANNING})"),
            ("playbook", case.playbook_code),
            ("attempts", case.attempts),
            ("next", _next(case)),
            ("opened", _iso(case.opened_at)),
            ("ended", _iso(case.ended_at) if case.ended_at else None),
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
                _iso(t.at),
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
    said = f"{_answered_as(answer)} on {_iso(answer.ended_at)}"
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
                _iso(d.due_at),
                _extension(d, extendable=extendable, answered_at=answered_at, now=now),
                _iso(d.effective_due_at),
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
        return f"taken on {_iso(deadline.extended_at)}: runs to {_iso(deadline.extended_due_at)}"
    if extendable and now < deadline.due_at:
        return (
            f"may be taken until {_iso(deadline.due_at)}"
            f" (would run to {_iso(deadline.extended_due_at)})"
        )
    if answered_at is not None and answered_at < deadline.due_at:
        return f"not taken: answered on {_iso(answered_at)}, before it was needed"
    return f"not taken: lapsed on {_iso(deadline.due_at)}"


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
    # Required, checked in the command: click's own "Missing option" is a usage block, and
    # the refusal must name the choices in one line.
    default=None,
    help="Required: how the request was answered: completed (also when answered outside Buy"
    " with Prime, e.g. through merchant support), denied (give --denied-because; the reason is"
    " the basis an auditor reads) or cancelled (withdrawn, a duplicate: no response).",
)
@click.option(
    "--denied-because",
    type=click.Choice(get_args(DeniedBecause)),
    default=None,
    help="With --as denied, required: on what ground, as CCPA's yearly metrics count denials:"
    " unverifiable (the request could not be verified), not-a-consumer (not made by the"
    " consumer or an authorized agent), exempt (the information is exempt from disclosure),"
    " other (the reason says which).",
)
@common_options
@pass_cli
def close(
    cli: CliContext,
    case_id: str,
    reason: str,
    closed_as: str | None,
    denied_because: str | None,
) -> None:
    """Close CASE_ID with a reason and how the request was answered (--as, required); its
    pending attempt is cancelled."""
    if closed_as is None:
        # No default: a request answered through merchant support is not "cancelled (no
        # response)" in the yearly figures because the operator did not say.
        raise UserError("--as: say how the request was answered: " + _choices(get_args(ClosedAs)))
    if closed_as == "denied" and denied_because is None:
        raise UserError(
            "--denied-because: say on what ground the request was denied: "
            + _choices(get_args(DeniedBecause))
        )
    if closed_as != "denied" and denied_because is not None:
        raise UserError(f"--denied-because is for --as denied only (not --as {closed_as})")
    if not reason.strip():
        raise UserError("--reason: say why the case is closed")
    request = {"action": "close", "caseId": case_id, "reason": reason, "closedAs": closed_as}
    if denied_because is not None:
        request["deniedBecause"] = denied_because
    _report(cli, "close", _operate(cli, request))


def _choices(values: tuple[str, ...]) -> str:
    """``a, b or c``: the choices as a sentence says them."""
    return ", ".join(values[:-1]) + " or " + values[-1]


@cases.command("extend")
@click.argument("case_id")
@click.option(
    "--jurisdiction",
    required=True,
    help="Whose deadline to extend: a law's key as `cases show` lists the case's deadlines"
    " (ccpa, gdpr, virginia…; docs/compliance.md lists them all).",
)
@click.option(
    "--reason", required=True, help="Why more time is needed (kept in the case's record)."
)
@common_options
@pass_cli
def extend(cli: CliContext, case_id: str, jurisdiction: str, reason: str) -> None:
    """Extend CASE_ID's deadline under one jurisdiction by the extension its law allows (CCPA
    45 days, GDPR two months): once, and only before that deadline passes. Tell the shopper
    within the first period, as the law asks; this records that you did. While an appeal is
    open, its deadline is the one extended (Colorado: 60 days)."""
    if len(jurisdiction) > _KEY_LENGTH or not _KEY.fullmatch(jurisdiction):
        # Said here in one line: the reaction's refusal would be its request schema's wording.
        # Never lowercased for the operator: the key they give is the one recorded.
        raise UserError(
            f"--jurisdiction: {plain(jurisdiction)} is not a law's key: keys are lowercase, as"
            " cases show lists them (ccpa, gdpr, virginia…)"
        )
    if not reason.strip():
        raise UserError("--reason: say why the deadline is extended")
    request = {
        "action": "extend",
        "caseId": case_id,
        "jurisdiction": jurisdiction,
        "reason": reason,
    }
    _report(cli, "extend", _operate(cli, request))


#: A law's key as the reaction's extend request takes it (bwp_privacy.reaction.operator_requests).
_KEY = re.compile(r"[a-z0-9_-]+")
_KEY_LENGTH = 32


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
    when = _received("RECEIVED", received)
    request = {
        "action": "set-received",
        "caseId": case_id,
        "received": _iso(when),
        "reason": reason,
    }
    _report(cli, "set-received", _operate(cli, request))


@cases.command("appeal")
@click.argument("case_id")
@click.option(
    "--received",
    required=True,
    metavar="DATE",
    help="When the shopper's appeal was received (an ISO date or time, UTC when no zone is"
    " given): its clock starts then.",
)
@click.option(
    "--reason", required=True, help="What the shopper appeals, and why (kept in the case's record)."
)
@common_options
@pass_cli
def appeal(cli: CliContext, case_id: str, received: str, reason: str) -> None:
    """Open the shopper's appeal of how CASE_ID's request was answered (Virginia, Colorado,
    Connecticut and most US states give one): the case opens again, against the appeal
    deadline of each law that applies and gives one (Virginia 60 days, Colorado 45), counted
    from the appeal's receipt. Answer it with `cases close CASE --as …`: completed (the
    request is now complied with), denied (the answer stands) or cancelled (withdrawn).
    The laws give one appeal per request."""
    if not reason.strip():
        raise UserError("--reason: say what the shopper appeals")
    when = _received("--received", received)
    request = {"action": "appeal", "caseId": case_id, "received": _iso(when), "reason": reason}
    _report(cli, "appeal", _operate(cli, request))


def _print_appeal(appeal: Appeal, is_open: bool, now: datetime) -> None:
    """An appeal: when it came, what it appeals, its deadline per law and how it stands, and
    its answer once given."""
    appealed = appeal.appealed
    if appeal.answered_at is None:
        standing_now = f"{_iso(appeal.due_at)}, {standing(appeal.due_at, now)}"
        answered = "not yet"
    else:
        met = "met" if appeal.answered_at <= appeal.due_at else "missed"
        standing_now = f"{_iso(appeal.due_at)}, {met}"
        answered = f"{_iso(appeal.answered_at)} as {appeal.answered_as}"
        if appeal.denied_because:
            answered += f" ({appeal.denied_because})"
    print_table(
        "Appeal",
        ["field", "value"],
        [
            ("received", _iso(appeal.received_at)),
            ("appeals", f"the answer {_answered_as(appealed)} of {_iso(appealed.ended_at)}"),
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


def _received(name: str, text: str) -> datetime:
    """A received date an operator typed: ISO, UTC when no zone is given, not in the future."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"{name}: {text!r} is not an ISO date (2026-11-02 or 2026-11-02T10:00Z)"
        ) from None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    # The reaction's own clock (the sandbox's when it plays days passing): a date it would
    # refuse as not yet come is refused here first.
    if when > utc_now():
        raise UserError(f"{name}: {text} is in the future")
    return when


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
        closed_as=case.closed_as if case.state is CaseState.CLOSED else None,
        attempts=case.attempts,
        bucket=None if bucket is None else bucket.value,
        legal_due_at=_iso(case.legal_due_at),
        days_left=_days_left(case.legal_due_at, case, now),
        plan_deadline_at=_iso(case.plan_deadline_at),
        plan_days_left=_days_left(case.plan_deadline_at, case, now),
        next_action=_next(case),
        reason=case.reason,
    )


def _days_left(due: datetime, case: Case, now: datetime) -> int | None:
    """Whole days left to ``due`` (negative: past due by that many); None for an ended case:
    it runs against no clock any more (its deadlines are history)."""
    return None if case.state.ended else whole_days_left(due, now)


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
        return f"{_iso(due)}, {standing(due, now)} (the appeal's, {laws})"
    answer = case.answer
    if answer is None:
        return f"{_iso(due)}, {standing(due, now)} ({laws})"
    if answer.ended_at <= due:
        return f"{_iso(due)}, met: answered {_days_apart(answer.ended_at, due)} before it ({laws})"
    return f"{_iso(due)}, missed: answered {_days_apart(due, answer.ended_at)} after it ({laws})"


def _days_apart(earlier: datetime, later: datetime) -> str:
    days = whole_days_left(later, earlier)
    return "under a day" if days == 0 else f"{days} day" + ("" if days == 1 else "s")


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


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
        case CaseState.APPEALED:
            return "a person: answer the appeal (close)"
        case _:
            return "nothing: ended"


def _load(store: CaseReader, case_id: str) -> Case:
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
