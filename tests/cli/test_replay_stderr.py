"""Issue 24: without -v, stderr carries only the CLI's own lines, even when the functions log
(each lookup that fails for good logs a warning) and run in worker processes; `make demo`'s
stderr stays empty too. With -v the functions' logs show."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.stack import PROJECT_ROOT
from tests.cli.conftest import ENTRY_POINT
from tests.conftest import load_event

pytestmark = pytest.mark.integration

WARNING = "Task lookup failed for good; recording it for a person to look at"


def failing_for_good(path: Path, count: int, tag: str) -> Path:
    """``count`` FAILED events for tasks the emulator does not know: each lookup fails for
    good (ResourceNotFound), and the recorder logs a warning about it."""
    lines = []
    for n in range(count):
        event = load_event()
        event["id"] = f"{tag}-{n}"
        bp = event["resources"][0].rsplit("/", 1)[0]
        event["resources"] = [f"{bp}/{tag}-unknown-task-{n}"]
        lines.append(json.dumps(event))
    path.write_text("\n".join(lines) + "\n")
    return path


def replay(target_file: Path, tmp_path: Path, *args: str) -> tuple[int, str]:
    """The console script with stderr a file, not a terminal; its exit code and stderr."""
    err = tmp_path / "stderr.txt"
    with err.open("w") as stderr:
        done = subprocess.run(  # noqa: S603
            [ENTRY_POINT, "replay", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**os.environ, "BWP_SANDBOX_FILE": str(target_file)},
            timeout=600,
            check=False,
        )
    return done.returncode, err.read_text()


@pytest.mark.parametrize("workers", [1, 2])
def test_function_logs_stay_off_stderr_without_v_in_workers_too(
    target_file: Path, sandbox: Sandbox, tmp_path: Path, workers: int
) -> None:
    events = failing_for_good(tmp_path / "many.jsonl", 6, f"quiet-{workers}")
    code, stderr = replay(target_file, tmp_path, str(events), "--workers", str(workers))
    assert code == 0
    assert stderr == ""


@pytest.mark.parametrize("workers", [1, 2])
def test_v_shows_the_function_logs_of_every_worker(
    target_file: Path, sandbox: Sandbox, tmp_path: Path, workers: int
) -> None:
    events = failing_for_good(tmp_path / "many.jsonl", 6, f"loud-{workers}")
    code, stderr = replay(target_file, tmp_path, str(events), "--workers", str(workers), "-v")
    assert code == 0
    assert stderr.count(WARNING) == 6, stderr


def test_the_demo_writes_nothing_on_stderr(tmp_path: Path) -> None:
    # The demo's rich-detail sample: a lookup that fails for good, whose warning the demo
    # shows on stdout ("lookup RESOURCE_NOT_FOUND") and used to print on stderr too.
    done = subprocess.run(
        [sys.executable, "-m", "bwp_sandbox.demo"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "BWP_DEMO_REPORT": str(tmp_path / "report.html")},
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "lookup RESOURCE_NOT_FOUND" in done.stdout
    assert done.stderr == ""
