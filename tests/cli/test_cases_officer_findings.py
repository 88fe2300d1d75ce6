"""What a compliance officer found trying `bwp-privacy cases` against the sandbox: a deadline
shown as extended that never was, a closed case that did not say how it was answered, an
`-o` into a missing directory ending in a traceback, pydantic's wording for a key given in
capitals, an audit input with another time format than the rest."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bwp_privacy.common import use_clock
from bwp_privacy_cli.output import console
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.timeline import Timeline
from tests.cli.conftest import Run
from tests.integration.reaction_helpers import failed_task, open_case

pytestmark = pytest.mark.integration

EMAIL = "officer.findings@example.com"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _row(stdout: str, title: str, first: str) -> list[str]:
    """The cells of the row starting with ``first`` in the table titled ``title``."""
    lines = [line.rstrip() for line in stdout.splitlines()]
    start = lines.index(title)
    for line in lines[start + 1 :]:
        cells = [cell.strip() for cell in line.split("│")]
        if cells[0] == first:
            return cells
    raise AssertionError(f"no row {first!r} in {title!r}:\n{stdout}")


def _header(stdout: str, title: str) -> list[str]:
    lines = [line.rstrip() for line in stdout.splitlines()]
    return [cell.strip() for cell in lines[lines.index(title) + 1].split("│")]


def test_the_deadlines_say_how_each_extension_stands_and_json_gives_the_deadline_in_force(
    sandbox: Sandbox, invoke: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Wide enough for every cell on one line: the cells are what is checked here (the widths
    # are test_table_widths').
    monkeypatch.setattr(console, "width", 220)
    timeline = Timeline(sandbox)
    for task in ("c-extended", "c-lapsed"):
        failed_task(sandbox, task, "SOMETHING_UNKNOWN", email=EMAIL)  # escalated: open
        open_case(sandbox, timeline, task)

    shown = invoke("cases", "show", "c-extended", "--json").json()
    [ccpa] = shown["case"]["deadlines"]
    due = datetime.fromisoformat(ccpa["due_at"])
    extended = datetime.fromisoformat(ccpa["extended_due_at"])
    assert shown["legalDueAt"] == _iso(due)
    table = invoke("cases", "show", "c-extended").stdout
    assert _header(table, "Deadlines") == ["law", "first deadline", "extension", "in force"]
    assert _row(table, "Deadlines", "ccpa") == [
        "ccpa",
        _iso(due),
        f"may be taken until {_iso(due)} (would run to {_iso(extended)})",
        _iso(due),
    ]

    taken = invoke(
        "cases", "extend", "c-extended", "--jurisdiction", "ccpa", "--reason", "shopper told"
    )
    assert taken.exit_code == 0, taken.stderr
    shown = invoke("cases", "show", "c-extended", "--json").json()
    on = datetime.fromisoformat(shown["case"]["deadlines"][0]["extended_at"])
    assert shown["legalDueAt"] == _iso(extended)
    # The stored record is as it was: the first deadline and where the extension moves it.
    assert shown["case"]["deadlines"][0]["due_at"] == ccpa["due_at"]
    table = invoke("cases", "show", "c-extended").stdout
    assert _row(table, "Deadlines", "ccpa")[2:] == [
        f"taken on {_iso(on)}: runs to {_iso(extended)}",
        _iso(extended),
    ]

    # A day after the first deadline passed unextended: the extension can no longer be
    # taken, and its date is no deadline of the row.
    [ccpa] = invoke("cases", "show", "c-lapsed", "--json").json()["case"]["deadlines"]
    due = datetime.fromisoformat(ccpa["due_at"])
    with use_clock(lambda: due + timedelta(days=1)):
        table = invoke("cases", "show", "c-lapsed").stdout
        shown = invoke("cases", "show", "c-lapsed", "--json").json()
    assert _row(table, "Deadlines", "ccpa") == [
        "ccpa",
        _iso(due),
        f"not taken: lapsed on {_iso(due)}",
        _iso(due),
    ]
    assert shown["legalDueAt"] == _iso(due)


def test_show_says_how_the_request_was_answered_and_list_how_a_case_was_closed(
    sandbox: Sandbox, invoke: Run
) -> None:
    timeline = Timeline(sandbox)
    failed_task(sandbox, "c-denied", "SOMETHING_UNKNOWN", email=EMAIL)
    failed_task(sandbox, "c-open", "SOMETHING_UNKNOWN", email="open@example.com")
    failed_task(sandbox, "c-none", "DATA_SUBJECT_NOT_FOUND", email="none@example.com")
    for task in ("c-denied", "c-open", "c-none"):
        open_case(sandbox, timeline, task)
    denied = invoke(
        "cases", "close", "c-denied", "--as", "denied", "--denied-because", "unverifiable",
        "--reason", "identity not verified",
    )  # fmt: skip
    assert denied.exit_code == 0, denied.stderr

    ended = invoke("cases", "show", "c-denied", "--json").json()["case"]["endedAt"]
    on = _iso(datetime.fromisoformat(ended))
    table = invoke("cases", "show", "c-denied").stdout
    assert _row(table, "Case c-denied", "answer") == ["answer", f"denied (unverifiable) on {on}"]
    nothing = invoke("cases", "show", "c-none").stdout
    assert _row(nothing, "Case c-none", "answer")[1].startswith("nothing to delete on ")
    assert _row(invoke("cases", "show", "c-open").stdout, "Case c-open", "answer") == [
        "answer",
        "not yet",
    ]

    listed = invoke("cases", "list", "--all")
    state = _header(listed.stdout, "Cases").index("state")
    assert _row(listed.stdout, "Cases", "c-denied")[state] == "CLOSED as denied"
    rows = {c["caseId"]: c for c in invoke("cases", "list", "--all", "--json").json()["cases"]}
    assert (rows["c-denied"]["state"], rows["c-denied"]["closedAs"]) == ("CLOSED", "denied")
    assert (rows["c-none"]["state"], rows["c-none"]["closedAs"]) == ("NOTHING_TO_DELETE", None)


def test_extend_refuses_a_key_in_capitals_in_one_line_of_its_own(invoke: Run) -> None:
    refused = invoke("cases", "extend", "c-any", "--jurisdiction", "CCPA", "--reason", "more")
    assert refused.exit_code == 1
    assert refused.stderr.splitlines() == [
        "Error: --jurisdiction: CCPA is not a law's key: keys are lowercase, as cases show"
        " lists them (ccpa, gdpr, virginia…)"
    ]


@pytest.mark.parametrize(
    "command",
    [
        ("cases", "export", "--year", "2026"),
        ("cases", "stats", "--year", "2026", "--format", "csv"),
    ],
)
def test_writing_into_a_missing_directory_is_one_line_not_a_traceback(
    run_cli: Run, tmp_path: Path, command: tuple[str, ...]
) -> None:
    missing = tmp_path / "nonexistent" / "dir"
    result = run_cli(*command, "-o", str(missing / "x.csv"))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"Error: -o: {missing} is not a directory"]


def test_the_audit_trail_records_the_times_an_operator_gave_in_utc_with_z(
    sandbox: Sandbox, invoke: Run
) -> None:
    failed_task(sandbox, "c-times", "SOMETHING_UNKNOWN", email=EMAIL)
    received = open_case(sandbox, Timeline(sandbox), "c-times").received_at
    earlier = received - timedelta(days=1)
    # The same moment, written with an offset of two hours.
    given = (earlier + timedelta(hours=2)).replace(tzinfo=None).isoformat(timespec="seconds")
    moved = invoke("cases", "set-received", "c-times", given + "+02:00", "--reason", "typo")
    assert moved.exit_code == 0, moved.stderr
    closed = invoke("cases", "close", "c-times", "--as", "denied", "--denied-because", "other",
                    "--reason", "no")  # fmt: skip
    assert closed.exit_code == 0, closed.stderr
    # Refused or not (the sandbox's law gives no appeal), the request is recorded as given.
    invoke("cases", "appeal", "c-times", "--received", given + "+02:00", "--reason", "why")
    trail = invoke("cases", "show", "c-times", "--json").json()["auditTrail"]
    inputs = {entry["action"]: entry["input"] for entry in trail}
    assert inputs["cases set-received"] == f"{_iso(earlier)} --reason typo"
    assert inputs["cases appeal"] == f"--received {_iso(earlier)} --reason why"
