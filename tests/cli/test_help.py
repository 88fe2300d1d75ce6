"""`bwp-privacy --help` as a new user reads it: every command there, and each command about
privacy tasks saying it is for both kinds (deletion and retrieval), not deletions only."""

from __future__ import annotations

import functools
import re
import subprocess
from pathlib import Path

import pytest

from bwp_privacy_cli.command_registry import load_all
from tests.cli.conftest import ENTRY_POINT

COMMANDS_DIR = Path(__file__).resolve().parents[2] / "cli" / "bwp_privacy_cli" / "commands"
#: The commands as the registry orders them (each module registers itself with its place).
COMMANDS = [entry.name for entry in load_all()]
#: The commands about privacy tasks and their events, failures and cases: each is for
#: deletions and retrievals alike, and its help must not read as deletions only.
FOR_BOTH_KINDS = ("replay", "events", "task", "failures", "archive", "cases")


@functools.cache  # the same text every time: each command's help is read once
def help_text(*args: str) -> str:
    done = subprocess.run(  # noqa: S603
        [ENTRY_POINT, *args, "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def description(text: str) -> str:
    """What the help says the command does (between its usage line and its options), on one
    line: the terminal's wrapping aside."""
    before_options = text.split("\nOptions:", 1)[0]
    return " ".join(before_options.split("\n", 1)[1].split())


def summaries(text: str) -> dict[str, str]:
    """The Commands section: each command's one-line summary (wrapped lines joined)."""
    found: dict[str, str] = {}
    name = None
    for line in text.split("\nCommands:\n", 1)[1].splitlines():
        head = re.match(r"^  (\S+)\s+(.*)$", line)
        if head:
            name = head.group(1)
            found[name] = head.group(2)
        elif name and line.strip():
            found[name] += " " + line.strip()
    return found


def test_top_level_help_names_every_registered_command() -> None:
    # Every command module (or package) is registered: one that forgot would fail to load.
    modules = {p.stem for p in COMMANDS_DIR.glob("*.py")} - {"__init__"}
    packages = {p.parent.name for p in COMMANDS_DIR.glob("*/__init__.py")}
    assert modules | packages == set(COMMANDS)
    text = help_text()
    listed = summaries(text)
    assert list(listed) == list(COMMANDS)
    said = description(text)
    missing = [name for name in COMMANDS if not re.search(rf"\b{re.escape(name)}\b", said)]
    assert missing == [], f"the description names no {missing}: {said}"


@pytest.mark.parametrize("command", FOR_BOTH_KINDS)
def test_each_command_about_tasks_says_it_is_for_both_kinds(command: str) -> None:
    summary = summaries(help_text())[command].lower()
    assert "deletion" in summary, summary
    assert "retrieval" in summary, summary
    own = description(help_text(command)).lower()
    assert "deletion" in own, own
    assert "retrieval" in own, own
