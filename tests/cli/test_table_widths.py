"""Every table `bwp-privacy` prints fits a terminal of 80, 100 or 120 columns, or hides the
columns its command can spare and says which, and never breaks an id, an error code or a
time across lines: over the sandbox's real data (uuids, ORDERS_NOT_CLOSED, ISO times).

A new user once met `cases list` 170 columns wide under COLUMNS=100, a task id over five
lines, "ORDERS_N/OT_CLOSE/D" and timestamps over four (issue 24)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest

from bwp_privacy_cli.local import LocalFunction, LocalLambdaContext, on_failure_record
from bwp_sandbox.function_urls import operator_identity
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.timeline import Timeline
from tests.cli.conftest import Run
from tests.conftest import EVENTS, load_event
from tests.integration.reaction_helpers import failed_task, open_case

pytestmark = pytest.mark.integration

ORDERS_TASK = "4a1d2f3e-5b6c-4d7e-8f90-a1b2c3d4e5f6"
#: Cases opened as the reaction opens them, with uuids for ids as Buy with Prime's.
WAITING = "3f6a1c2e-8b7d-4e9f-a0b1-c2d3e4f5a6b7"
NOTHING = "9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e"
#: A case an operator closed: `cases list` says how ("CLOSED as cancelled").
CLOSED = "5e4d3c2b-1a09-4f8e-b7d6-c5b4a3928170"
WIDTHS = (80, 100, 120)
_HIDDEN = re.compile(r"^hidden at (\d+) columns: (.+); widen the terminal or use --json$")


def test_every_table_fits_the_terminal_or_says_what_it_hid_and_breaks_no_id(
    run_cli: Run, app: LocalFunction, sandbox: Sandbox
) -> None:
    atoms = _seed(run_cli, app, sandbox)
    commands: list[tuple[str, ...]] = [
        ("cases", "list", "--all"),
        ("cases", "show", WAITING),
        ("cases", "stats"),
        ("failures", "list"),
        ("failures", "show", ORDERS_TASK),
        ("task", "show", ORDERS_TASK),
        ("dlq", "list"),
    ]
    for width in WIDTHS:
        for command in commands:
            result = run_cli(*command, env={"COLUMNS": str(width)})
            assert result.exit_code == 0, result.stderr
            said = f"{' '.join(command)} at {width} columns:\n{result.stdout}"
            table = [line for line in result.stdout.splitlines() if "│" in line or "━" in line]
            assert table, said
            assert max(len(line) for line in table) <= width, said
            hidden = _hidden(result.stdout, width)
            for word in _words(table):
                broken = [a for a in atoms.whole if word in a and word not in atoms.whole]
                assert not broken, f"{word!r} is a piece of {broken}: {said}"
            for atom, column in atoms.expected[command[:2]]:
                shows = atom in result.stdout or (column is not None and column in hidden)
                assert shows, f"{atom} ({column}): {said}"

    # What a narrow terminal shows of `cases list`: which case, where it stands, how urgent.
    narrow = run_cli("cases", "list", "--all", env={"COLUMNS": "80"}).stdout
    header = next(line for line in narrow.splitlines() if line.startswith("case "))
    assert [h.strip() for h in header.split("│")] == ["case", "state", "bucket", "standing"]
    assert (
        "hidden at 80 columns: business product, deadline, attempts, kind, next;"
        " widen the terminal or use --json"
    ) in narrow.splitlines()
    assert f"{CLOSED} │ CLOSED as cancelled" in narrow, narrow

    # `cases show`'s audit trail keeps what each action was and how it ended: its actors are
    # named briefly (an operator's ARN took a line's room), each in full once under the tables.
    operator = operator_identity().arn
    short = operator.rsplit("/", 1)[1]
    for width, kept in ((120, ["at", "actor", "action", "input", "outcome"]), (80, None)):
        page = run_cli("cases", "show", WAITING, env={"COLUMNS": str(width)}).stdout
        columns = _header(page, "Audit trail")
        if kept is not None:
            assert columns == kept, page
        else:
            assert {"at", "actor", "action", "outcome"} <= set(columns), page
        assert f"│ {short} " in page, page
        assert page.count(operator) == 1, page
        assert f"Actors: {short} is {operator}" in page.splitlines(), page


class _Atoms:
    """The ids, codes and times the data holds (``whole``), and, per command, those its
    output must show whole unless their column is hidden (``expected``)."""

    def __init__(self) -> None:
        self.whole: set[str] = set()
        self.expected: dict[tuple[str, ...], list[tuple[str, str | None]]] = {}

    def add(self, command: tuple[str, ...], atom: str, column: str | None = None) -> None:
        self.whole.add(atom)
        self.expected.setdefault(command, []).append((atom, column))


def _seed(run_cli: Run, app: LocalFunction, sandbox: Sandbox) -> _Atoms:
    """Every sample event recorded, two more failed tasks announced (one waiting for its next
    attempt, one with nothing to delete: ended), a message parked on the OnFailure queue."""
    for path in sorted(EVENTS.glob("*.json")):
        app.handler(json.loads(Path(path).read_text()), LocalLambdaContext())
    timeline = Timeline(sandbox)
    failed_task(sandbox, WAITING, "ORDERS_NOT_CLOSED", email="w@example.com", orders_open_days=30)
    open_case(sandbox, timeline, WAITING)
    failed_task(sandbox, NOTHING, "DATA_SUBJECT_NOT_FOUND", email="n@example.com")
    open_case(sandbox, timeline, NOTHING)
    failed_task(sandbox, CLOSED, "SOMETHING_UNKNOWN", email="c@example.com")
    open_case(sandbox, timeline, CLOSED)
    for command in (
        ("cases", "close", CLOSED, "--as", "cancelled", "--reason", "a duplicate request"),
        # An operator's action on the case shown: its actor is an ARN, its extension taken.
        ("cases", "extend", WAITING, "--jurisdiction", "ccpa", "--reason", "the shopper was told"),
    ):
        done = run_cli(*command)
        assert done.exit_code == 0, done.stderr
    boto3.client("sqs").send_message(
        QueueUrl=sandbox.stack.on_failure_queue_url,
        MessageBody=json.dumps(on_failure_record(load_event(), RuntimeError("API down"), 3)),
    )

    atoms = _Atoms()
    listed = _json(run_cli, "cases", "list", "--all")
    assert {c["caseId"] for c in listed["cases"]} >= {ORDERS_TASK, WAITING, NOTHING}
    for row in listed["cases"]:
        atoms.add(("cases", "list"), row["caseId"])
        atoms.add(("cases", "list"), row["state"])
        atoms.add(("cases", "list"), row["legalDueAt"][:10], "deadline")
        atoms.add(("cases", "list"), row["businessProductId"], "business product")
        if row["nextAction"].startswith("attempt "):
            atoms.add(("cases", "list"), row["nextAction"].rsplit(" ", 1)[1], "next")

    shown = _json(run_cli, "cases", "show", WAITING)
    case = shown["case"]
    for atom in (case["caseId"], case["businessProductId"], case["playbookCode"]):
        atoms.add(("cases", "show"), atom)
    atoms.add(("cases", "show"), shown["nextAction"].rsplit(" ", 1)[1])
    for transition in case["transitions"]:
        atoms.add(("cases", "show"), transition["at"].replace("+00:00", "Z")[:19] + "Z")
        # An event's id or a schedule's name; an operator's command is words, not an id.
        if " " not in transition["cause"]["ref"]:
            atoms.add(("cases", "show"), transition["cause"]["ref"], "cause")
    for entry in shown["auditTrail"]:
        atoms.add(("cases", "show"), entry["at"])
    for deadline in case["deadlines"]:
        for key in ("due_at", "extended_due_at", "extended_at"):
            moment = deadline[key].replace("+00:00", "Z")[:19] + "Z"
            atoms.add(("cases", "show"), moment, "in force" if key == "extended_due_at" else None)

    failures = _json(run_cli, "failures", "list")["failures"]
    for failure in failures:
        atoms.add(("failures", "list"), failure["taskId"])
        atoms.add(("failures", "list"), failure["businessProductId"], "business product")
        atoms.add(("failures", "list"), re.sub(r"\.\d+", "", failure["receivedAt"]), "received")
        for code in failure["errorCodes"]:
            atoms.add(("failures", "list"), code)
    [latest] = _json(run_cli, "failures", "show", ORDERS_TASK)["failures"]
    for key in ("eventId", "eventTime", "receivedAt", "publishedAt", "submissionDate"):
        atoms.add(("failures", "show"), latest[key])
    task = _json(run_cli, "task", "show", ORDERS_TASK)
    for key in ("businessProductId", "submissionDate", "lastUpdatedDate"):
        atoms.add(("task", "show"), task[key])
    atoms.add(("task", "show"), task["errors"][0]["code"])
    [parked] = _json(run_cli, "dlq", "list")["messages"]
    atoms.add(("dlq", "list"), parked["taskId"])
    atoms.add(("dlq", "list"), parked["eventId"], "event")
    atoms.expected[("cases", "stats")] = []  # figures only: the widths are what is checked
    return atoms


def _header(stdout: str, title: str) -> list[str]:
    """The column names of the table titled ``title``."""
    lines = [line.rstrip() for line in stdout.splitlines()]
    return [cell.strip() for cell in lines[lines.index(title) + 1].split("│")]


def _json(run_cli: Run, *command: str) -> Any:
    result = run_cli(*command, "--json")
    assert result.exit_code == 0, result.stderr
    return result.json()


def _hidden(stdout: str, width: int) -> set[str]:
    """The columns the tables of ``stdout`` say they hid."""
    hidden: set[str] = set()
    for line in stdout.splitlines():
        if match := _HIDDEN.match(line):
            assert int(match.group(1)) == width
            hidden.update(match.group(2).split(", "))
    return hidden


def _words(table: list[str]) -> list[str]:
    """The words of the tables' cells, without the punctuation that follows an id in a
    sentence ("…ORDERS_NOT_CLOSED; attempt 1")."""
    return [
        word.strip(",;()")
        for line in table
        for cell in line.split("│")
        for word in cell.split()
        if len(word.strip(",;()")) >= 4 and "━" not in word
    ]
