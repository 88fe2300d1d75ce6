"""`bwp-privacy cases list|export|stats`: open cases by legal urgency, the auditor's request
log and the yearly figures, over the sandbox."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bwp_privacy.reaction import (
    Case,
    CaseKind,
    CaseState,
    CaseTask,
    ClosedAs,
    Jurisdiction,
    Period,
    deadlines,
)
from bwp_privacy_cli.main import cli
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.timeline import Timeline
from tests.cli.conftest import Run
from tests.integration.reaction_helpers import (
    BP,
    FAILED,
    cases_written_by_the_reaction,
    failed_task,
)

EMAIL = "compliance.shopper@example.com"
CCPA = Jurisdiction(title="CCPA", answer_within=Period(days=45), extension=Period(days=45))
#: A denial's basis as an operator may write it: what CSV must quote.
AWKWARD = 'identity not verified, shopper said "no"\nsee ticket 7'


@pytest.mark.integration
def test_list_sorts_open_cases_by_legal_urgency_and_at_risk_keeps_the_late_ones(
    invoke: Run, sandbox: Sandbox
) -> None:
    """Failed tasks submitted 50, 42 and 10 days ago: past due, due soon (3 days left) and on
    time by CCPA's 45 days; one with nothing to delete has ended."""
    failed_task(
        sandbox,
        "c-late",
        "ORDERS_NOT_CLOSED",
        email=EMAIL,
        submitted_days_ago=50,
        orders_open_days=60,
    )
    failed_task(
        sandbox,
        "c-soon",
        "ORDERS_NOT_CLOSED",
        email=EMAIL,
        submitted_days_ago=42,
        orders_open_days=60,
    )
    failed_task(sandbox, "c-fresh", "ORDERS_NOT_CLOSED", email=EMAIL, orders_open_days=60)
    failed_task(sandbox, "c-none", "DATA_SUBJECT_NOT_FOUND", email="n@example.com")
    timeline = Timeline(sandbox)
    for task_id in ("c-fresh", "c-late", "c-none", "c-soon"):
        timeline.publish(BP, task_id, FAILED)
    timeline.settle()

    listed = invoke("cases", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    body = listed.json()
    assert [(c["caseId"], c["bucket"]) for c in body["cases"]] == [
        ("c-late", "past due"),
        ("c-soon", "due soon"),
        ("c-fresh", "on time"),
    ]
    late = body["cases"][0]
    assert -5.1 < late["daysLeft"] < -4.9  # the legal deadline, not the playbooks' plan
    assert 39.9 < late["planDaysLeft"] < 40.1  # planned to the extended deadline: 90 days
    assert late["legalDueAt"] < late["planDeadlineAt"]
    assert body["buckets"] == {"onTime": 1, "dueSoon": 1, "pastDue": 1}
    assert (body["dueSoonDays"], body["atRiskOnly"], body["openOnly"]) == (5, False, True)

    at_risk = invoke("cases", "list", "--at-risk", "--json").json()
    assert [c["caseId"] for c in at_risk["cases"]] == ["c-late", "c-soon"]
    assert at_risk["count"] == 2
    assert at_risk["buckets"] == body["buckets"]  # the summary counts every open case

    # Due soon under 2 days (from the environment): 3 days left is on time.
    relaxed = invoke("cases", "list", "--at-risk", "--json", env={"BWP_DUE_SOON_DAYS": "2"})
    assert [c["caseId"] for c in relaxed.json()["cases"]] == ["c-late"]
    wider = invoke("cases", "list", "--due-soon-days", "40", "--json").json()
    assert wider["buckets"] == {"onTime": 0, "dueSoon": 2, "pastDue": 1}

    every = invoke("cases", "list", "--all", "--json").json()
    assert [(c["caseId"], c["bucket"]) for c in every["cases"]][-1] == ("c-none", None)
    assert every["buckets"] == body["buckets"]

    table = invoke("cases", "list")
    assert table.exit_code == 0, table.stderr
    assert "past due" in table.stdout
    assert "[red]" not in table.stdout  # markup is rendered, never printed
    assert table.stdout.splitlines()[-1] == (
        "3 case(s); open cases by legal deadline: 1 past due, 1 due soon, 1 on time"
        " (due soon: under 5 days left)"
    )
    assert "@" not in table.stdout + json.dumps(every)


@pytest.mark.integration
def test_export_writes_the_request_log_and_stats_the_yearly_figures(
    invoke: Run, sandbox: Sandbox, tmp_path: Path
) -> None:
    store = cases_written_by_the_reaction(sandbox)
    for made in (
        _case("t-2024", "2024-12-31T23:00:00", CaseState.COMPLETED, ended_days=3),
        _case("t-done", "2025-01-01T00:00:00", CaseState.COMPLETED, ended_days=10),
        _case("t-none", "2025-03-01T09:00:00", CaseState.NOTHING_TO_DELETE, ended_days=2),
        _case(
            "t-deny",
            "2025-06-01T12:00:00",
            CaseState.CLOSED,
            closed_as="denied",
            reason=AWKWARD,
            ended_days=30,
        ),
        _case(
            "t-gone",
            "2025-07-01T12:00:00",
            CaseState.CLOSED,
            closed_as="cancelled",
            reason="withdrawn",
            ended_days=1,
        ),
        _case(
            "t-get",
            "2025-12-31T23:59:59",
            CaseState.NOTHING_TO_RETRIEVE,
            kind="retrieval",
            ended_days=1,
        ),
        _case("t-open", "2026-11-20T08:00:00", CaseState.ESCALATED, kind="retrieval"),
    ):
        assert store.create(made)

    out = tmp_path / "requests.csv"
    exported = invoke("cases", "export", "--since", "2025-01-01", "-o", str(out))
    assert exported.exit_code == 0, exported.stderr
    assert "6 request record(s) received since 2025-01-01T00:00:00Z" in exported.stdout
    raw = out.read_bytes()
    assert raw.count(b"\r\n") == 7  # the header and six records; the reason's LF is quoted
    with out.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream, strict=True))
    assert [r["case_id"] for r in rows] == [
        "t-done",
        "t-none",
        "t-deny",
        "t-gone",
        "t-get",
        "t-open",
    ]
    denied = rows[2]
    assert (denied["response"], denied["denial_basis"]) == ("denied", AWKWARD)
    assert denied["received_at"] == "2025-06-01T12:00:00Z"
    assert denied["responded_at"] == "2025-07-01T12:00:00Z"
    assert denied["legal_due_at"] == "2025-07-16T12:00:00Z"
    assert denied["task_ids"] == "t-deny t-deny-2"
    assert denied["how_made"] == "Buy with Prime API: startPersonalDataDeletionTask"
    assert [r["response"] for r in rows] == [
        "completed",
        "nothing to delete",
        "denied",
        "cancelled",
        "nothing to retrieve",
        "open",
    ]
    assert rows[3]["denial_basis"] == ""  # only a denial has a basis

    lines = invoke("cases", "export", "--since", "2025-12-01", "--format", "jsonl")
    assert lines.exit_code == 0, lines.stderr
    records = [json.loads(line) for line in lines.stdout.splitlines()]
    assert [(r["case_id"], r["request_type"], r["response"]) for r in records] == [
        ("t-get", "retrieval", "nothing to retrieve"),
        ("t-open", "retrieval", "open"),
    ]
    assert records[1]["responded_at"] is None
    assert "Target:" in lines.stderr  # the banner never mixes with the records

    described = invoke("cases", "export", "--since", "2026-01-01", "-o", str(out), "--json")
    assert described.json()["count"] == 1
    assert described.json()["format"] == "csv"

    stats = invoke("cases", "stats", "--year", "2025", "--json")
    assert stats.exit_code == 0, stats.stderr
    figures = stats.json()
    assert figures["year"] == 2025
    assert figures["byKind"]["deletion"] == {
        "received": 4,
        "complied": 2,
        "denied": 1,
        "deniedByReason": {AWKWARD: 1},
        "cancelled": 1,
        "open": 0,
        "medianDaysToRespond": 10.0,  # 10, 2 and 30 days; the cancelled one is no response
        "meanDaysToRespond": 14.0,
    }
    assert figures["byKind"]["retrieval"]["received"] == 1
    assert figures["byKind"]["retrieval"]["complied"] == 1
    table = invoke("cases", "stats", "--year", "2026")
    assert table.exit_code == 0, table.stderr
    assert "Access (retrieval) requests received in 2026" in table.stdout
    assert "none answered" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["cases", "list", "--all", "--at-risk"], "--at-risk lists open cases only"),
        (["cases", "export"], "Missing option '--since'"),
        (["cases", "export", "--since", "last year"], "use 7d, 12h, 30m or an ISO date"),
        (["cases", "export", "--since", "2025-01-01", "--json"], "give -o FILE"),
        (["cases", "list", "--due-soon-days", "-1"], "--due-soon-days"),
    ],
)
def test_a_contradiction_or_a_bad_value_is_a_usage_error(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, args, prog_name="bwp-privacy")
    assert result.exit_code == 2
    assert message in result.stderr


def _case(
    case_id: str,
    received: str,
    state: CaseState,
    *,
    kind: CaseKind = "deletion",
    closed_as: ClosedAs | None = None,
    reason: str | None = None,
    ended_days: float | None = None,
) -> Case:
    """A case as the reaction stores it (two tasks), received and ended when the test says:
    a denial can only be written so until `cases close --as` exists."""
    at = datetime.fromisoformat(received).replace(tzinfo=UTC)
    found = tuple(deadlines(at, {"ccpa": CCPA}))
    return Case(
        case_id=case_id,
        business_product_id=BP,
        kind=kind,
        state=state,
        received_at=at,
        received_from="submissionDate",
        deadlines=found,
        plan_deadline_at=found[0].extended_due_at,
        playbook_code="ORDERS_NOT_CLOSED",
        tasks=(
            CaseTask(task_id=case_id, attempt=0, outcome="FAILED"),
            CaseTask(task_id=f"{case_id}-2", attempt=1),
        ),
        attempts=1,
        reason=reason,
        closed_as=closed_as,
        opened_at=at,
        ended_at=None if ended_days is None else at + timedelta(days=ended_days),
    )
