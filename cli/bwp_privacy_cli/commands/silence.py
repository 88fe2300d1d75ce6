"""`bwp-privacy silence add|list|expire`: silences, as Alertmanager's. A silence mutes the
alerts whose labels all match it for a while; the alert router never mutes a case past due or
due soon (the law does not pause). Adding and expiring are requests to the reaction's function
URL (the reaction writes the silence and records it in the audit trail with the caller AWS
authenticated); `--dry-run` and `list` read with the caller's credentials."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import click
from pydantic import Field, TypeAdapter, ValidationError

from bwp_privacy.cases import DEFAULT_DUE_SOON_DAYS, Case
from bwp_privacy.common import describe_validation_error, iso_z, standing, utc_now
from bwp_privacy.silences import (
    LABELS,
    MAX_SECONDS,
    MIN_SECONDS,
    Matchers,
    Silence,
    case_may_be_silenced,
    describe_matchers,
    matchers_may_concern,
)
from bwp_privacy_cli.command_registry import registered
from bwp_privacy_cli.context import CliContext, UserError, common_options, pass_cli
from bwp_privacy_cli.json_output import JsonOut, TargetOut
from bwp_privacy_cli.operator_client import OperatorRequestRefused
from bwp_privacy_cli.output import console, plain, print_json, print_table
from bwp_privacy_cli.targets import Target
from bwp_privacy_cli.timeparse import DURATION

_MATCHERS: TypeAdapter[dict[str, str]] = TypeAdapter(Matchers)
#: What the law says of a case a silence may not mute.
LAW = "the law does not pause"


class SilenceOut(JsonOut):
    silence_id: str = Field(alias="silenceId")
    match: dict[str, str]
    state: str = Field(description="active, expired (ended early by an operator) or ended")
    starts_at: str = Field(alias="startsAt")
    ends_at: str = Field(alias="endsAt", description="when it stops (or stopped) muting")
    created_by: str = Field(alias="createdBy")
    reason: str
    expired_by: str | None = Field(None, alias="expiredBy")
    expire_reason: str | None = Field(None, alias="expireReason")


class SilenceListOut(JsonOut):
    target: TargetOut
    silences: list[SilenceOut]
    count: int


class SilenceAddOut(JsonOut):
    target: TargetOut
    silence_id: str = Field(alias="silenceId")
    match: dict[str, str]
    ends_at: str = Field(alias="endsAt")


class DryRunCaseOut(JsonOut):
    case_id: str = Field(alias="caseId")
    state: str
    legal_due_at: str = Field(alias="legalDueAt")
    muted: bool = Field(description="false: past due or due soon, never muted")
    bucket: str | None = Field(description="past due or due soon when not muted")


class SilenceDryRunOut(JsonOut):
    target: TargetOut
    match: dict[str, str]
    ends_at: str = Field(alias="endsAt", description="when it would end")
    due_soon_days: int = Field(alias="dueSoonDays")
    cases: list[DryRunCaseOut] = Field(description="the open cases it would concern")


class SilenceExpireOut(JsonOut):
    target: TargetOut
    silence_id: str = Field(alias="silenceId")
    ended_at: str = Field(alias="endedAt")
    released: list[str] = Field(description="the open cases told that the silence ended")


@registered(
    "Silence alerts for a while (add, list, expire), as Alertmanager does.",
    place=115,
    outputs={
        "silence-add": SilenceAddOut,
        "silence-dry-run": SilenceDryRunOut,
        "silence-list": SilenceListOut,
        "silence-expire": SilenceExpireOut,
    },
)
@click.group()
def silence() -> None:
    """Silences: the alert router does not send a firing alert whose labels a silence matches
    while it holds (recorded as muted in its ledger), and tells the receivers where it muted
    one when the silence ends. A case past due or due soon is never muted: the law does not
    pause."""


@silence.command("add")
@click.option(
    "--match",
    "matches",
    multiple=True,
    required=True,
    metavar="LABEL=VALUE",
    help=f"A label the alert must have (repeat for more, up to 5): {', '.join(LABELS)}.",
)
@click.option(
    "--for",
    "for_",
    type=DURATION,
    required=True,
    help="How long: 15m to 7d (30m, 4h, 2d).",
)
@click.option("--reason", required=True, help="Why: kept in the audit trail, shown in the list.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Send nothing: which open cases it would mute, and which it may not (past due or due"
    " soon).",
)
@common_options
@pass_cli
def add(
    cli: CliContext, matches: tuple[str, ...], for_: timedelta, reason: str, dry_run: bool
) -> None:
    """Mute the alerts matching every --match for --for."""
    matchers = parse_matchers(matches)
    seconds = int(for_.total_seconds())
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise click.BadParameter("a silence lasts from 15m to 7d", param_hint="'--for'")
    if not reason.strip():
        raise click.BadParameter("say why", param_hint="'--reason'")
    if dry_run:
        _dry_run(cli, matchers, for_)
        return
    request = {"action": "silence-add", "match": matchers, "forSeconds": seconds, "reason": reason}
    with cli.target() as target:
        cli.announce(target)
        answer = _send(target, request)
    silence_id, ends_at = str(answer.get("silenceId")), str(answer.get("endsAt"))
    if cli.json:
        print_json(
            SilenceAddOut(
                target=target.identity(), silence_id=silence_id, match=matchers, ends_at=ends_at
            )
        )
        return
    console.print(
        f"Silence {silence_id} added: {describe_matchers(matchers)} until {ends_at}"
        f" (`bwp-privacy silence expire {silence_id}` ends it).",
        markup=False,
    )


def parse_matchers(given: tuple[str, ...]) -> dict[str, str]:
    """``label=value`` options as matchers, held to the labels' grammar here, before anything
    is sent (the reaction holds them to the same)."""
    matchers: dict[str, str] = {}
    for each in given:
        label, equals, value = each.partition("=")
        if not equals or not label or not value:
            raise click.BadParameter(f"{each!r}: write LABEL=VALUE", param_hint="'--match'")
        if label in matchers:
            raise click.BadParameter(f"{label}: given twice", param_hint="'--match'")
        matchers[label] = value
    try:
        return _MATCHERS.validate_python(matchers)
    except ValidationError as error:
        raise click.BadParameter(
            describe_validation_error(error, subject="match"), param_hint="'--match'"
        ) from None


def _dry_run(cli: CliContext, matchers: dict[str, str], for_: timedelta) -> None:
    now = utc_now()
    with cli.target() as target:
        cli.announce(target)
        due_soon_days = int(target.parameters.get("DueSoonDays") or DEFAULT_DUE_SOON_DAYS)
        found = [c for c in target.case_store().open_cases() if matchers_may_concern(matchers, c)]
    rows = [_dry_case(case, now, due_soon_days) for case in found]
    ends_at = iso_z(now + for_, "seconds")
    if cli.json:
        print_json(
            SilenceDryRunOut(
                target=target.identity(),
                match=matchers,
                ends_at=ends_at,
                due_soon_days=due_soon_days,
                cases=rows,
            )
        )
        return
    muted = [row for row in rows if row.muted]
    console.print(
        f"Dry run: nothing sent. {describe_matchers(matchers)} until {ends_at} would mute the"
        f" alerts of {len(muted)} open case(s) (and of new failures that match);"
        f" {len(rows) - len(muted)} may not be muted: {LAW}.",
        markup=False,
    )
    by_id = {case.case_id: case for case in found}
    print_table(
        "Open cases it concerns",
        ["case", "state", "legal deadline", "muted?"],
        [
            [
                row.case_id,
                row.state,
                standing(by_id[row.case_id].legal_due_at, now),
                "muted" if row.muted else f"not muted: {row.bucket} ({LAW})",
            ]
            for row in rows
        ],
        ids=("case",),
    )


def _dry_case(case: Case, now: datetime, due_soon_days: int) -> DryRunCaseOut:
    bucket = case_may_be_silenced(case, now, due_soon_days)
    return DryRunCaseOut(
        case_id=case.case_id,
        state=case.state.value,
        legal_due_at=iso_z(case.legal_due_at),
        muted=bucket is None,
        bucket=bucket.value if bucket is not None else None,
    )


@silence.command("list")
@common_options
@pass_cli
def list_(cli: CliContext) -> None:
    """The silences kept: the active ones, and those that ended in the last 30 days, with who
    made them, why, and until when."""
    now = utc_now()
    with cli.target() as target:
        cli.announce(target)
        found = target.silence_store().all()
    found.sort(key=lambda s: (not s.active(now), -s.ended_at.timestamp()))
    rows = [_out(s, now) for s in found]
    if cli.json:
        print_json(SilenceListOut(target=target.identity(), silences=rows, count=len(rows)))
        return
    print_table(
        "Silences",
        ["silence", "match", "state", "until", "by", "reason"],
        [
            [
                row.silence_id,
                describe_matchers(row.match),
                row.state,
                row.ends_at,
                row.expired_by or row.created_by,
                plain(row.expire_reason or row.reason),
            ]
            for row in rows
        ],
        ids=("silence", "match", "until"),
    )


def _out(found: Silence, now: datetime) -> SilenceOut:
    state = (
        "active" if found.active(now) else "expired" if found.expired_at is not None else "ended"
    )
    return SilenceOut(
        silence_id=found.silence_id,
        match=dict(found.matchers),
        state=state,
        starts_at=iso_z(found.starts_at),
        ends_at=iso_z(found.ended_at),
        created_by=found.created_by,
        reason=found.reason,
        expired_by=found.expired_by,
        expire_reason=found.expire_reason,
    )


@silence.command("expire")
@click.argument("silence_id")
@click.option("--reason", help="Why it ends early: kept in the audit trail.")
@common_options
@pass_cli
def expire(cli: CliContext, silence_id: str, reason: str | None) -> None:
    """End SILENCE_ID now: the open cases it muted are told at once, where it muted them."""
    request: dict[str, Any] = {"action": "silence-expire", "silenceId": silence_id}
    if reason:
        request["reason"] = reason
    with cli.target() as target:
        cli.announce(target)
        answer = _send(target, request)
    released = [str(case) for case in answer.get("released") or []]
    ended_at = str(answer.get("endsAt"))
    if cli.json:
        print_json(
            SilenceExpireOut(
                target=target.identity(),
                silence_id=silence_id,
                ended_at=ended_at,
                released=released,
            )
        )
        return
    console.print(
        f"Silence {silence_id} expired at {ended_at}: {len(released)} open case(s) released"
        " (each receiver where it muted an alert of the case is told).",
        markup=False,
    )


def _send(target: Target, request: dict[str, Any]) -> dict[str, Any]:
    """The request through the reaction's function URL (it acts and records it)."""
    try:
        return target.operator_client().send(request)
    except OperatorRequestRefused as refused:
        raise UserError(str(refused)) from None
