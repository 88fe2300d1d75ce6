"""`bwp-privacy cases list|export|stats`: open cases by legal urgency, the auditor's request
log and the yearly figures, over the sandbox."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bwp_privacy.audit import SUBJECT_EXPORT, AuditTrail, subject
from bwp_privacy.cases import (
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
from bwp_sandbox.admin import admin_client
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.timeline import Timeline
from tests.cli.conftest import Run
from tests.cli.days import during
from tests.integration.reaction_helpers import (
    BP,
    FAILED,
    case,
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

    with during() as days:
        listed = invoke("cases", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    body = listed.json()
    assert [(c["caseId"], c["bucket"]) for c in body["cases"]] == [
        ("c-late", "past due"),
        ("c-soon", "due soon"),
        ("c-fresh", "on time"),
    ]
    late = body["cases"][0]
    # Calendar days: past due by 5 (the legal deadline, not the playbooks' plan), and 40 to
    # the plan's extended deadline of 90 days; a day more past, a day less left, had UTC
    # midnight passed since the task's submission.
    assert late["daysLeft"] in days.left(late["legalDueAt"]) <= {-5, -6}
    assert late["planDaysLeft"] in days.left(late["planDeadlineAt"]) <= {40, 39}
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
    assert (
        f"6 request records received since 2025-01-01T00:00:00Z, written to {out} as CSV"
        in exported.stdout
    )
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
    # Denied before the grounds were recorded: other, as the yearly figures count it.
    assert denied["denial_category"] == "other"
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
        "deniedByBasis": {"unverifiable": 0, "not-a-consumer": 0, "exempt": 0, "other": 1},
        "deniedByReason": {AWKWARD: 1},
        "cancelled": 1,
        "open": 0,
        "medianDaysToRespond": 10,  # 10, 2 and 30 days; the cancelled one is no response
        "meanDaysToRespond": 14,
        "appealsReceived": 0,
        "appealsGranted": 0,
        "appealsDenied": 0,
        "appealsWithdrawn": 0,
        "appealsOpen": 0,
    }
    assert figures["byKind"]["retrieval"]["received"] == 1
    assert figures["byKind"]["retrieval"]["complied"] == 1
    assert figures["file"] is None
    table = invoke("cases", "stats", "--year", "2026")
    assert table.exit_code == 0, table.stderr
    assert "Requests to know received in 2026 (retrieval)" in table.stdout
    assert "none answered" in table.stdout
    assert "rounded up to whole days" in table.stdout

    # The same figures as CSV, one a row, for the privacy policy; the banner is not in it.
    sheet = invoke("cases", "stats", "--year", "2025", "--format", "csv")
    assert sheet.exit_code == 0, sheet.stderr
    assert "Target:" in sheet.stderr
    assert sheet.stdout.startswith("year,request_type,metric,value\n")
    figures_rows = list(csv.reader(io.StringIO(sheet.stdout, newline=""), strict=True))[1:]
    # Each row names its year: a sheet written without --year still says which it counts.
    assert {row[0] for row in figures_rows} == {"2025"}
    figures_rows = [row[1:] for row in figures_rows]
    assert figures_rows[:10] == [
        ["requests to delete", "received", "4"],
        ["requests to delete", "complied with in whole or in part", "2"],
        ["requests to delete", "denied", "1"],
        ["requests to delete", "denied: not verifiable", "0"],
        ["requests to delete", "denied: not made by a consumer", "0"],
        ["requests to delete", "denied: called for information exempt from disclosure", "0"],
        ["requests to delete", "denied: on other grounds", "1"],
        ["requests to delete", "median days to respond", "10"],
        ["requests to delete", "mean days to respond", "14"],
        ["requests to delete", "cancelled (withdrawn or a duplicate: no response)", "1"],
    ]
    assert ["requests to know", "received", "1"] in figures_rows
    assert len(figures_rows) == 2 * 16  # the 11 figures of §7102 and ours, and 5 of appeals
    # Every row the table shows is a row of the CSV.
    table_2025 = invoke("cases", "stats", "--year", "2025").stdout
    assert all(metric in table_2025 for _, metric, _ in figures_rows)
    sheet_file = tmp_path / "figures.csv"
    written = invoke(
        "cases", "stats", "--year", "2025", "--format", "csv", "-o", str(sheet_file), "--json"
    )
    assert written.exit_code == 0, written.stderr
    assert written.json()["file"] == str(sheet_file)
    assert written.json()["byKind"] == figures["byKind"]
    # The file as written: CRLF line ends (the test runner's stdout reads them as LF).
    raw = sheet_file.read_bytes()
    assert raw.count(b"\r\n") == 1 + 2 * 16
    assert raw.decode().replace("\r\n", "\n") == sheet.stdout
    none_answered = invoke("cases", "stats", "--year", "2026", "--format", "csv").stdout
    assert "requests to know,median days to respond,\n" in none_answered


@pytest.mark.integration
def test_export_takes_a_window_with_an_end_or_a_calendar_year_and_names_it(
    invoke: Run, sandbox: Sandbox, tmp_path: Path
) -> None:
    store = cases_written_by_the_reaction(sandbox)
    for made in (
        _case("t-2024", "2024-12-31T23:59:59", CaseState.COMPLETED, ended_days=3),
        _case("t-first", "2025-01-01T00:00:00", CaseState.COMPLETED, ended_days=3),
        _case("t-last", "2025-12-31T23:59:59", CaseState.ESCALATED),
        _case("t-2026", "2026-01-01T00:00:00", CaseState.ESCALATED),
    ):
        assert store.create(made)

    def ids(*args: str) -> list[str]:
        result = invoke("cases", "export", *args, "--format", "jsonl")
        assert result.exit_code == 0, result.stderr
        return [json.loads(line)["case_id"] for line in result.stdout.splitlines()]

    assert ids("--year", "2025") == ["t-first", "t-last"]
    # --until is excluded: one year's window ends where the next begins.
    assert ids("--since", "2025-01-01", "--until", "2026-01-01") == ["t-first", "t-last"]
    assert ids("--since", "2025-01-01") == ["t-first", "t-last", "t-2026"]
    assert ids("--year", "2026") == ["t-2026"]

    out = tmp_path / "2025.csv"
    described = invoke("cases", "export", "--year", "2025", "-o", str(out), "--json")
    assert described.exit_code == 0, described.stderr
    body = described.json()
    assert (body["since"], body["until"], body["year"], body["count"]) == (
        "2025-01-01T00:00:00Z",
        "2026-01-01T00:00:00Z",
        2025,
        2,
    )
    windowed = invoke(
        "cases",
        "export",
        "--since",
        "2025-06-01",
        "--until",
        "2026-06-01",
        "--json",
        "-o",
        str(out),
    )
    assert (windowed.json()["until"], windowed.json()["year"]) == ("2026-06-01T00:00:00Z", None)
    said = invoke("cases", "export", "--year", "2025", "-o", str(out))
    assert f"2 request records received in 2025 (UTC), written to {out} as CSV" in said.stdout
    said = invoke(
        "cases", "export", "--since", "2025-01-01", "--until", "2025-02-01", "-o", str(out)
    )
    assert (
        "1 request record received since 2025-01-01T00:00:00Z, before 2025-02-01T00:00:00Z,"
        f" written to {out} as CSV" in said.stdout
    )

    # The audit trail names the window of each export, as asked and as resolved.
    inputs = [
        e.input
        for e in AuditTrail(admin_client("dynamodb"), sandbox.stack.audit_table_name).entries(
            subject(SUBJECT_EXPORT)
        )
    ]
    assert (
        "--year 2025 (--since 2025-01-01T00:00:00Z --until 2026-01-01T00:00:00Z) --format jsonl"
        in inputs
    )
    assert "--since 2025-01-01T00:00:00Z --until 2026-01-01T00:00:00Z --format jsonl" in inputs
    assert "--since 2025-01-01T00:00:00Z --format jsonl" in inputs


@pytest.mark.integration
def test_a_denial_keeps_its_ground_from_close_to_the_request_log_and_the_figures(
    invoke: Run, sandbox: Sandbox
) -> None:
    """An operator closes one request as denied (exempt) and one as completed (answered
    through merchant support): the log and the yearly figures say so, neither is cancelled."""
    timeline = Timeline(sandbox)
    for task_id in ("c-exempt", "c-support"):
        failed_task(sandbox, task_id, "ORDERS_NOT_CLOSED", email=EMAIL, orders_open_days=60)
        timeline.publish(BP, task_id, FAILED)
    timeline.settle()
    denied = invoke(
        "cases",
        "close",
        "c-exempt",
        "--as",
        "denied",
        "--denied-because",
        "exempt",
        "--reason",
        "records held under a legal hold",
    )
    assert denied.exit_code == 0, denied.stderr
    answered = invoke(
        "cases",
        "close",
        "c-support",
        "--as",
        "completed",
        "--reason",
        "answered through Buy with Prime merchant support",
    )
    assert answered.exit_code == 0, answered.stderr
    closed = case(sandbox, "c-exempt")
    assert (closed.closed_as, closed.denied_because) == ("denied", "exempt")
    assert closed.transitions[-1].cause.ref == "cases close --as denied --denied-because exempt"
    assert case(sandbox, "c-support").denied_because is None

    year = closed.received_at.year
    exported = invoke("cases", "export", "--year", str(year), "--format", "jsonl")
    records = {r["case_id"]: r for r in map(json.loads, exported.stdout.splitlines())}
    assert (records["c-exempt"]["response"], records["c-exempt"]["denial_category"]) == (
        "denied",
        "exempt",
    )
    assert records["c-exempt"]["denial_basis"] == "records held under a legal hold"
    assert (records["c-support"]["response"], records["c-support"]["denial_category"]) == (
        "completed",
        None,
    )
    figures = invoke("cases", "stats", "--year", str(year), "--json").json()["byKind"]["deletion"]
    assert (figures["complied"], figures["denied"], figures["cancelled"]) == (1, 1, 0)
    assert figures["deniedByBasis"]["exempt"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["cases", "list", "--all", "--at-risk"], "--at-risk lists open cases only"),
        (["cases", "export", "--since", "last year"], "use 7d, 12h, 30m or an ISO date"),
        (["cases", "export", "--since", "2025-01-01", "--json"], "give -o FILE"),
        (["cases", "list", "--due-soon-days", "-1"], "--due-soon-days"),
    ],
)
def test_a_contradiction_or_a_bad_value_is_a_usage_error(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, args, prog_name="bwp-privacy")
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["cases", "close", "c-1", "--reason", "answered by support"],
            "--as: say how the request was answered: completed, denied or cancelled",
        ),
        (
            ["cases", "close", "c-1", "--reason", "r", "--as", "denied"],
            "--denied-because: say on what ground the request was denied: unverifiable,"
            " not-a-consumer, exempt or other",
        ),
        (
            [
                "cases",
                "close",
                "c-1",
                "--reason",
                "r",
                "--as",
                "cancelled",
                "--denied-because",
                "exempt",
            ],
            "--denied-because is for --as denied only (not --as cancelled)",
        ),
        (["cases", "export"], "say which requests: --since DATE [--until DATE], or --year YYYY"),
        (
            ["cases", "export", "--until", "2026-01-01"],
            "say which requests: --since DATE [--until DATE], or --year YYYY",
        ),
        (
            ["cases", "export", "--year", "2025", "--since", "2025-01-01"],
            "--year is a whole calendar year: give it alone, or --since/--until",
        ),
        (
            ["cases", "export", "--year", "2025", "--until", "2026-01-01"],
            "--year is a whole calendar year: give it alone, or --since/--until",
        ),
        (
            ["cases", "export", "--since", "2025-02-01", "--until", "2025-02-01"],
            "--until 2025-02-01T00:00:00Z is not after --since 2025-02-01T00:00:00Z: no request"
            " falls between",
        ),
        (["cases", "stats", "-o", "figures.csv"], "-o writes the CSV: add --format csv"),
        (
            ["cases", "stats", "--format", "csv", "--json"],
            "--json prints the figures: give -o FILE for the CSV",
        ),
    ],
)
def test_a_missing_choice_or_a_contradiction_is_refused_in_one_line(
    args: list[str], message: str
) -> None:
    """Refused before anything is asked of the stack: one line naming the choices, as every
    refusal an operator can fix is (exit code 1), not click's usage block."""
    result = CliRunner().invoke(cli, args, prog_name="bwp-privacy")
    assert result.exit_code == 1, result.output
    assert result.stderr == f"Error: {message}\n"


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
    """A case as the reaction stores it (two tasks), received and ended when the test says
    (years back: the reaction dates a case by its task's submission), and a denial as stored
    before its ground was recorded (no ``deniedBecause``)."""
    at = datetime.fromisoformat(received).replace(tzinfo=UTC)
    found = tuple(deadlines(at, {"ccpa": CCPA}, "deletion"))
    return Case(
        case_id=case_id,
        business_product_id=BP,
        kind=kind,
        state=state,
        received_at=at,
        received_from="submissionDate",
        deadlines=found,
        plan_deadline_at=found[0].latest_due_at,
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
