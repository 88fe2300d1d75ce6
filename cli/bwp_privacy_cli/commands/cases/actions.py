"""`bwp-privacy cases resubmit|close|extend|set-received|appeal|link`: what an operator may do
about a case. Each checks what the operator gave, then sends it to the reaction as a request
(`operating`), which makes the change and records it in the audit trail."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from typing import Any, get_args

import click

from bwp_privacy.cases import ClosedAs, DeniedBecause
from bwp_privacy.common import utc_now
from bwp_privacy_cli.commands.cases.group import cases
from bwp_privacy_cli.commands.cases.operating import operate, report
from bwp_privacy_cli.commands.cases.wording import iso
from bwp_privacy_cli.context import CliContext, UserError, common_options, pass_cli
from bwp_privacy_cli.output import plain


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
        operated = operate(cli, request)
    finally:
        request.pop("email", None)
    report(cli, "resubmit", operated)


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
    report(cli, "close", operate(cli, request))


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
    report(cli, "extend", operate(cli, request))


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
        "received": iso(when),
        "reason": reason,
    }
    report(cli, "set-received", operate(cli, request))


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
    request = {"action": "appeal", "caseId": case_id, "received": iso(when), "reason": reason}
    report(cli, "appeal", operate(cli, request))


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
    report(cli, "link", operate(cli, {"action": "link", "caseId": case_id, "taskId": task_id}))


def _read_email() -> str:
    if sys.stdin.isatty():
        click.echo("Shopper's email (not echoed, not stored): ", err=True, nl=False)
        import getpass

        return getpass.getpass(prompt="").strip()
    value = sys.stdin.readline().strip()
    if not value:
        raise UserError("--email-from-stdin: standard input held no email")
    return value
