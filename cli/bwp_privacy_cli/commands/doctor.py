"""`bwp-privacy doctor`: a stack checked end to end (the work: `bwp_privacy_cli.doctor`)."""

from __future__ import annotations

import sys
from typing import Literal

import click
from pydantic import Field

from bwp_privacy_cli.command_registry import registered
from bwp_privacy_cli.context import CliContext, UserError, common_options, pass_cli
from bwp_privacy_cli.doctor import Finding, StackView, Status, TestAlertResult, examine
from bwp_privacy_cli.doctor import send_test_alert as send
from bwp_privacy_cli.json_output import JsonOut, TargetOut
from bwp_privacy_cli.output import console, print_json
from bwp_privacy_cli.targets import IncompleteStack, TargetError


class DoctorCheckOut(JsonOut):
    check: str
    status: Literal["PASS", "WARN", "FAIL"]
    detail: str
    fix: str | None = Field(description="what to do about a WARN or a FAIL")


class TestDeliveryOut(JsonOut):
    receiver: str
    delivered: bool
    answer: str = Field(description="what the receiver answered (or why nothing was sent)")


class DoctorOut(JsonOut):
    target: TargetOut
    checks: list[DoctorCheckOut]
    passed: int
    warnings: int
    failures: int
    test_alert: list[TestDeliveryOut] | None = Field(
        alias="testAlert", description="each receiver's answer to --send-test-alert"
    )
    ok: bool = Field(description="no FAIL (and every test delivery made)")


_STYLE = {Status.PASS: "green", Status.WARN: "yellow", Status.FAIL: "bold red"}


@registered(
    "Check a stack end to end.",
    place=20,
    outputs={"doctor": DoctorOut},
)
@click.command()
@click.option(
    "--send-test-alert",
    is_flag=True,
    help="Also send one alert marked TEST (no case, no shopper) through the deployed router to"
    " every receiver, and report each answer.",
)
@common_options
@pass_cli
def doctor(cli: CliContext, send_test_alert: bool) -> None:
    """Check the stack end to end, one line a check: PASS, WARN or FAIL with its fix. Exits 1
    on any FAIL (or a test alert a receiver did not take)."""
    report = _print if not cli.json else _quiet
    sent: TestAlertResult | None = None
    try:
        with cli.target() as target:
            cli.announce(target)
            findings = examine(StackView(target), report=report)
            if send_test_alert:
                try:
                    sent = send(target)
                except TargetError as error:
                    raise UserError(f"doctor --send-test-alert: {error}") from None
    except IncompleteStack as incomplete:
        # A stack that failed (or is being created) has no outputs to read the rest from:
        # its status, and why, is what there is to tell.
        target = incomplete.bare
        cli.announce(target)
        with target.aws():
            findings = examine(StackView(target), report=report, only=("stack",))
        if not cli.json:
            console.print("The other checks need the stack complete.")
    counts = {status: sum(f.status is status for f in findings) for status in Status}
    ok = counts[Status.FAIL] == 0 and (sent is None or sent.ok)
    if cli.json:
        print_json(
            DoctorOut(
                target=target.identity(),
                checks=[
                    DoctorCheckOut(check=f.check, status=f.status.value, detail=f.detail, fix=f.fix)
                    for f in findings
                ],
                passed=counts[Status.PASS],
                warnings=counts[Status.WARN],
                failures=counts[Status.FAIL],
                test_alert=None
                if sent is None
                else [
                    TestDeliveryOut(receiver=d.receiver, delivered=d.delivered, answer=d.answer)
                    for d in sent.deliveries
                ],
                ok=ok,
            )
        )
    else:
        if sent is not None:
            _print_test_alert(sent)
        console.print(
            f"{counts[Status.PASS]} passed, {counts[Status.WARN]} warning(s),"
            f" {counts[Status.FAIL]} failed"
        )
    if not ok:
        sys.exit(1)


def _print(finding: Finding) -> None:
    console.print(f"[{_STYLE[finding.status]}]{finding.status.value:<4}[/] ", end="", markup=True)
    # What a check found names resources and quotes AWS: plain text, never markup.
    console.print(f"{finding.check}: {finding.detail}", markup=False)
    if finding.fix:
        console.print(f"      fix: {finding.fix}", markup=False)


def _quiet(_: Finding) -> None:
    """--json: the findings are in the one document at the end."""


def _print_test_alert(sent: TestAlertResult) -> None:
    console.print(f"Test alert {sent.id}:")
    if not sent.deliveries:
        console.print("  no receiver is deployed: nothing was sent", markup=False)
    for delivery in sent.deliveries:
        status = Status.PASS if delivery.delivered else Status.FAIL
        console.print(f"  [{_STYLE[status]}]{status.value:<4}[/] ", end="", markup=True)
        console.print(f"{delivery.receiver}: {delivery.answer}", markup=False)
