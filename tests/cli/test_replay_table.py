"""`bwp-privacy replay`'s table breaks no id across lines: a published message's id is an id
as a task's is (it was once folded inside the detail at 120 columns)."""

from __future__ import annotations

import re

import pytest

from tests.cli.conftest import Run
from tests.conftest import EVENTS

pytestmark = pytest.mark.integration

#: A uuid, and any piece of one at least as long as its first group and a dash.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PIECE = re.compile(r"[0-9a-f]{8}-[0-9a-f-]*")


def test_replay_breaks_no_message_id_and_shows_it_where_there_is_room(run_cli: Run) -> None:
    files = [str(path) for path in sorted(EVENTS.glob("*.json"))]
    first = run_cli("replay", *files, env={"COLUMNS": "120"})
    assert first.exit_code == 0, first.stderr
    pieces = [piece for piece in _PIECE.findall(first.stdout) if not _UUID.fullmatch(piece)]
    assert not pieces, first.stdout
    assert "published" in first.stdout, first.stdout

    # Again: duplicates now, each naming the message the first run published.
    again = run_cli("replay", *files, "--json")
    published = {r["earlier"]["messageId"] for r in again.json()["results"]}
    assert len(published) == len(files), again.stdout
    assert all(published), again.stdout
    wide = run_cli("replay", *files, env={"COLUMNS": "240"})
    assert wide.exit_code == 0, wide.stderr
    header = next(line for line in wide.stdout.splitlines() if line.startswith("event "))
    assert [cell.strip() for cell in header.split("│")] == [
        "event", "outcome", "task", "message", "detail"
    ]  # fmt: skip
    assert all(message in wide.stdout for message in published), wide.stdout


def test_replay_at_100_columns_hides_what_it_can_spare_rather_than_break_an_error_code(
    run_cli: Run,
) -> None:
    """At 100 columns the event's origin and the task id left the detail too narrow for
    ORDERS_NOT_CLOSED, folded as "ORDERS_NOT_CLO" / "SED" (found trying replay by hand)."""
    result = run_cli("replay", str(EVENTS / "deletion-task-failed.json"), env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.stderr
    table = [line for line in result.stdout.splitlines() if "│" in line or "━" in line]
    assert max(len(line) for line in table) <= 100, result.stdout
    assert "ORDERS_NOT_CLOSED" in result.stdout, result.stdout
    assert (
        "hidden at 100 columns: message, event; widen the terminal or use --json"
        in result.stdout.splitlines()
    ), result.stdout
