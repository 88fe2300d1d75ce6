"""The audit trail as compliance staff read it (`cases show`), filled by each kind of actor:
the reaction (the function), the router, and operators' commands through the console script,
refused ones included; `cases extend` as the laws allow it; the export is an entry too."""

from __future__ import annotations

from typing import Any

import pytest

from bwp_privacy.audit import AuditTrail
from bwp_sandbox.admin import admin_client
from bwp_sandbox.function_urls import operator_identity
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.timeline import Timeline
from tests.cli.conftest import Run
from tests.integration.reaction_helpers import case, failed_task, open_case

pytestmark = pytest.mark.integration

EMAIL = "audited.shopper@example.com"


def trail(run_cli: Run, case_id: str) -> list[dict[str, Any]]:
    shown = run_cli("cases", "show", case_id, "--json")
    assert shown.exit_code == 0, shown.stderr
    entries: list[dict[str, Any]] = shown.json()["auditTrail"]
    return entries


def test_every_action_on_a_case_is_in_its_audit_trail_with_its_actor(
    run_cli: Run, sandbox: Sandbox
) -> None:
    failed_task(sandbox, "c-audit", "ORDERS_NOT_CLOSED", email=EMAIL, orders_open_days=30)
    open_case(sandbox, Timeline(sandbox), "c-audit")

    extended = run_cli(
        "cases", "extend", "c-audit", "--jurisdiction", "ccpa", "--reason", "open returns"
    )
    assert extended.exit_code == 0, extended.stderr
    deadline = next(d for d in case(sandbox, "c-audit").deadlines if d.jurisdiction == "ccpa")
    assert deadline.extended_at is not None
    # Once per jurisdiction, as the law allows: refused, and the refusal is recorded.
    again = run_cli("cases", "extend", "c-audit", "--jurisdiction", "ccpa", "--reason", "more")
    assert again.exit_code == 1
    assert "the law allows one extension" in again.stderr
    unknown = run_cli("cases", "extend", "c-audit", "--jurisdiction", "quebec", "--reason", "x")
    assert unknown.exit_code == 1
    assert "no quebec deadline" in unknown.stderr

    denied = run_cli(
        "cases",
        "close",
        "c-audit",
        "--as",
        "denied",
        "--denied-because",
        "unverifiable",
        "--reason",
        "identity not verified",
    )
    assert denied.exit_code == 0, denied.stderr
    closed = case(sandbox, "c-audit")
    assert (closed.closed_as, closed.denied_because) == ("denied", "unverifiable")

    entries = trail(run_cli, "c-audit")
    assert [(e["action"], e["outcome"]) for e in entries] == [
        ("case.transition", "WAITING"),
        ("case.transition", "WAITING"),
        ("cases extend", "moved: WAITING"),
        ("cases extend", entries[3]["outcome"]),
        ("cases extend", entries[4]["outcome"]),
        ("case.transition", "CLOSED"),
        ("cases close", "moved: CLOSED"),
    ]
    assert entries[3]["outcome"].startswith("refused: ")
    assert "one extension" in entries[3]["outcome"]
    assert entries[0]["actor"] == "bwp-privacy-reaction"
    operators = {e["actor"] for e in entries[1:]}
    assert len(operators) == 1
    # The identity AWS authenticated the request with (the sandbox's: its operator's role).
    assert operators == {operator_identity().arn}
    assert entries[2]["input"] == "--jurisdiction ccpa --reason open returns"
    assert entries[6]["input"] == (
        "--as denied --denied-because unverifiable --reason identity not verified"
    )
    assert EMAIL not in str(entries)
    # The human view shows the same trail.
    shown = run_cli("cases", "show", "c-audit")
    assert "Audit trail" in shown.stdout
    assert "cases extend" in shown.stdout
    assert "@example.com" not in shown.stdout


def test_an_export_is_recorded_with_who_took_it_and_how_many_records(
    run_cli: Run, sandbox: Sandbox, tmp_path: Any
) -> None:
    failed_task(sandbox, "c-exported", "ORDERS_NOT_CLOSED", email=EMAIL, orders_open_days=30)
    open_case(sandbox, Timeline(sandbox), "c-exported")
    out = tmp_path / "requests.csv"
    exported = run_cli("cases", "export", "--since", "2020-01-01", "-o", str(out))
    assert exported.exit_code == 0, exported.stderr
    [entry] = AuditTrail(admin_client("dynamodb"), sandbox.stack.audit_table_name).entries("export")
    assert entry.action == "cases export"
    assert entry.input.startswith("--since 2020-01-01T00:00:00Z --format csv")
    assert entry.outcome == f"1 record(s) written to {out}"
    assert entry.actor == operator_identity().arn
