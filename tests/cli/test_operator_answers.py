"""What `bwp-privacy` answers where a new user found it careless (issue 24): days left on
ended cases, a due-soon threshold typed differently by two commands, "the case was already
there" for a case that had ended, and a time error that did not say which option it was about.
Through the console script."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.timeline import Timeline
from tests.cli.conftest import ENTRY_POINT, Result, Run
from tests.cli.days import during
from tests.integration.reaction_helpers import failed_task, open_case

EMAIL = "answers.shopper@example.com"


def _cli(*args: str, env: dict[str, str] | None = None) -> Result:
    """The console script, for what it answers before it looks at any sandbox or stack."""
    completed = subprocess.run(  # noqa: S603
        [ENTRY_POINT, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)


@pytest.mark.integration
def test_an_ended_case_has_no_days_left(run_cli: Run, sandbox: Sandbox) -> None:
    timeline = Timeline(sandbox)
    failed_task(sandbox, "c-open", "ORDERS_NOT_CLOSED", email=EMAIL, orders_open_days=30)
    failed_task(sandbox, "c-ended", "DATA_SUBJECT_NOT_FOUND", email="gone@example.com")
    open_case(sandbox, timeline, "c-open")
    open_case(sandbox, timeline, "c-ended")

    # Wide enough for every column on one line: the days left are read by their heading.
    with during() as days:
        table = run_cli("cases", "list", "--all", env={"COLUMNS": "200"}).stdout
        listed = {
            c["caseId"]: c for c in run_cli("cases", "list", "--all", "--json").json()["cases"]
        }
    lines = [_cells(line) for line in table.splitlines()]
    header = next(cells for cells in lines if cells[:1] == ["case"])
    rows = {
        cells[0]: dict(zip(header, cells, strict=True))
        for cells in lines
        if cells[:1] in (["c-open"], ["c-ended"])
    }
    assert rows["c-ended"]["state"] == "NOTHING_TO_DELETE"
    assert rows["c-ended"]["standing"] == "", table
    # Calendar days, in words: 45 days from a submission 10 days ago.
    left = days.left(listed["c-open"]["legalDueAt"])
    assert left <= {35, 34}, left  # 35, or 34 had UTC midnight passed since the submission
    assert rows["c-open"]["standing"] in {f"{n} days left" for n in left}, table
    assert (listed["c-ended"]["daysLeft"], listed["c-ended"]["planDaysLeft"]) == (None, None)
    assert listed["c-open"]["daysLeft"] in left
    shown = run_cli("cases", "show", "c-ended")
    deadline = next(ln for ln in shown.stdout.splitlines() if ln.startswith("deadline "))
    assert "days left" not in deadline, shown.stdout
    # An ended case's deadline says whether the answer met it.
    assert ", met: answered " in deadline, shown.stdout
    assert run_cli("cases", "show", "c-ended", "--json").json()["daysLeft"] is None


def _cells(line: str) -> list[str]:
    """A table line's cells (whichever rules the table is drawn with)."""
    return [cell.strip() for cell in re.split("[│┃]", line.strip(" │┃"))]


def test_due_soon_days_are_whole_days_alike_on_cases_list_and_report(tmp_path: Path) -> None:
    report = ("report", "-o", str(tmp_path / "report.html"))
    for command in (("cases", "list"), report):
        given = _cli(*command, "--due-soon-days", "2.5")
        assert given.exit_code == 2, (command, given)
        assert "Invalid value for '--due-soon-days'" in given.stderr, given.stderr
        assert "'2.5' is not a valid integer" in given.stderr, given.stderr
        # One environment variable serves both: it must mean the same to both.
        from_env = _cli(*command, env={"BWP_DUE_SOON_DAYS": "2.5"})
        assert from_env.exit_code == 2, (command, from_env)
        assert "'2.5' is not a valid integer" in from_env.stderr, from_env.stderr

    def described(*command: str) -> str:
        helped = " ".join(_cli(*command, "--help").stdout.split())
        found = re.search(r"--due-soon-days (.*?)(?= --?[a-z])", helped)
        assert found, helped
        return found.group(1)

    assert described("cases", "list") == described("report")
    assert described("report").startswith("DAYS An open case with fewer than DAYS days left")


@pytest.mark.integration
def test_closing_a_case_that_has_ended_says_how_and_when_it_ended(
    run_cli: Run, sandbox: Sandbox
) -> None:
    timeline = Timeline(sandbox)
    failed_task(sandbox, "c-closed", "ORDERS_NOT_CLOSED", email=EMAIL, orders_open_days=30)
    failed_task(sandbox, "c-nothing", "DATA_SUBJECT_NOT_FOUND", email="gone@example.com")
    open_case(sandbox, timeline, "c-closed")
    open_case(sandbox, timeline, "c-nothing")
    closed = run_cli(
        "cases", "close", "c-closed", "--as", "cancelled", "--reason", "shopper withdrew"
    )
    assert closed.exit_code == 0, closed.stderr

    def ended_at(case_id: str) -> str:
        moment = run_cli("cases", "show", case_id, "--json").json()["case"]["endedAt"]
        return re.sub(r"(\.\d+)?(Z|\+00:00)$", "Z", moment)

    again = run_cli("cases", "close", "c-closed", "--as", "cancelled", "--reason", "twice")
    assert again.exit_code == 0, again.stderr
    assert again.stdout.splitlines()[-1] == (
        "close case c-closed: nothing to do: already ended: CLOSED as cancelled on"
        f" {ended_at('c-closed')} (shopper withdrew)"
    )
    nothing = run_cli(
        "cases",
        "close",
        "c-nothing",
        "--reason",
        "done with it",
        "--as",
        "denied",
        "--denied-because",
        "unverifiable",
    )
    assert nothing.exit_code == 0, nothing.stderr
    assert nothing.stdout.splitlines()[-1] == (
        "close case c-nothing: nothing to do: already ended: NOTHING_TO_DELETE on"
        f" {ended_at('c-nothing')}"
    )
    assert "already there" not in again.stdout + nothing.stdout
    # --json keeps its shape: the outcome and the state the case ended in.
    answered = run_cli(
        "cases", "close", "c-nothing", "--as", "completed", "--reason", "again", "--json"
    ).json()
    assert (answered["outcome"], answered["state"]) == ("unchanged", "NOTHING_TO_DELETE")


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (("failures", "list", "--since", "banana"), "--since"),
        (("failures", "list", "--since", "999999999d"), "--since"),  # past the first year
        (("cases", "export", "--since", "banana"), "--since"),
        (("archive", "replay", "--from", "banana"), "--from"),
        (("archive", "replay", "--from", "7d", "--to", "banana"), "--to"),
    ],
)
def test_every_time_option_names_itself_in_its_error(command: tuple[str, ...], option: str) -> None:
    given = _cli(*command)
    assert given.exit_code == 2, given
    assert f"Invalid value for '{option}': '{command[-1]}': use 7d, 12h, 30m or an ISO date" in (
        given.stderr
    ), given.stderr
