"""Issue 24: Ctrl-C (SIGINT to the process group, as a terminal sends it) ends a bulk replay
within its bound whatever its workers were doing: far into a long run, or stuck writing their
logs to a pipe that nobody reads. Each event's lookup fails for good, so each logs a warning.

The hang detectors below are generous upper bounds; what the tests wait for is a condition
(a count of lookups, workers waiting to write), never a length of time."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bwp_sandbox.sandbox import Sandbox
from tests.cli.conftest import ENTRY_POINT, Run
from tests.cli.test_replay_stderr import failing_for_good
from tests.integration.helpers import published

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("ctrl_c_as_a_terminal_sends")]

#: Past this many events, the old workers stood still for good: each wrote its event's index
#: and request id to a pipe that the parent read only once the run was over, and 1,092 of
#: them (60 bytes each) fill a pipe's 64 KiB.
OLD_STALL = 1092
#: Hang detectors, far above what a run needs on a busy machine.
GETTING_THERE_SECONDS = 300
ENDING_SECONDS = 60


@contextlib.contextmanager
def replay_in_its_own_group(
    args: list[str], target_file: Path, *, stdout: Any, stderr: Any
) -> Iterator[subprocess.Popen[bytes]]:
    """The console script as a terminal runs it: a process group of its own (its workers
    join it), so that a signal to the group reaches every process of the run. Whatever the
    test does, nothing of the run is left behind."""
    process = subprocess.Popen(  # noqa: S603
        [ENTRY_POINT, "replay", *args],
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        env={**os.environ, "BWP_SANDBOX_FILE": str(target_file)},
        start_new_session=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # any worker left behind


def await_condition(condition: Callable[[], bool], process: subprocess.Popen[bytes]) -> None:
    """Wait until ``condition`` holds; fail if the run ends first or the hang detector
    trips (the run stands still)."""
    give_up = time.monotonic() + GETTING_THERE_SECONDS
    while not condition():
        assert process.poll() is None, "the replay ended before the test could interrupt it"
        assert time.monotonic() < give_up, "the replay stands still"
        time.sleep(0.2)


def lookups(sandbox: Sandbox) -> int:
    return sum(1 for r in sandbox.emulator.requests_log if r["path"] == "/graphql")


def test_ctrl_c_far_into_a_noisy_replay_ends_it_and_says_how_far(
    target_file: Path, sandbox: Sandbox, tmp_path: Path
) -> None:
    # A dry run (lookups only), so that the run gets past the old stall in seconds; -v: the
    # workers log each lookup that fails for good.
    events = failing_for_good(tmp_path / "many.jsonl", 3000, "far")
    out, err = tmp_path / "stdout.json", tmp_path / "stderr.txt"
    args = [str(events), "--workers", "2", "--dry-run", "--json", "-v"]
    with (
        out.open("wb") as stdout,
        err.open("wb") as stderr,
        replay_in_its_own_group(args, target_file, stdout=stdout, stderr=stderr) as process,
    ):
        await_condition(lambda: lookups(sandbox) > OLD_STALL + 100, process)
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=ENDING_SECONDS) == 130
    payload = json.loads(out.read_text())
    assert payload["interrupted"] is True
    assert payload["total"] == 3000
    assert OLD_STALL < payload["done"] < 3000
    log = err.read_text()
    assert f"Interrupted: {payload['done']} of 3000 done" in log
    assert "Traceback" not in log
    assert log.count("Task lookup failed for good") >= payload["done"]  # they were noisy


def test_ctrl_c_ends_a_replay_whose_workers_are_stuck_writing_their_logs(
    run_cli: Run, target_file: Path, sandbox: Sandbox, tmp_path: Path
) -> None:
    if not Path("/proc/self/wchan").exists():
        pytest.skip("needs /proc to see where a process waits (Linux)")
    events = failing_for_good(tmp_path / "stuck.jsonl", 400, "stuck")
    # stderr: a pipe that nobody reads until the interrupt. With -v the workers log each
    # event there, so they soon wait to write, as in issue 24 (and the parent would too, for
    # its last lines, until the pipe is read).
    reader, writer = os.pipe()
    out = tmp_path / "stdout.json"
    args = [str(events), "--workers", "2", "--json", "-v"]
    with out.open("wb") as stdout, os.fdopen(reader, "rb") as unread:
        with replay_in_its_own_group(args, target_file, stdout=stdout, stderr=writer) as process:
            os.close(writer)
            await_condition(lambda: _workers_wait_to_write(process.pid), process)
            os.killpg(process.pid, signal.SIGINT)
            # Read now, so that the parent can say how far it got.
            log = bytearray()
            drain = threading.Thread(target=lambda: log.extend(unread.read()), daemon=True)
            drain.start()
            assert process.wait(timeout=ENDING_SECONDS) == 130
        drain.join(timeout=ENDING_SECONDS)
        assert not drain.is_alive(), "a process of the run still holds stderr open"
    stderr = log.decode()
    payload = json.loads(out.read_text())
    assert payload["interrupted"] is True
    done = payload["done"]
    assert 0 < done < 400
    assert f"Interrupted: {done} of 400 done" in stderr
    assert "Traceback" not in stderr
    # Running again at once: nothing is held by the interrupted run, nothing done twice.
    again = tmp_path / "again.jsonl"
    again.write_text("".join(events.read_text().splitlines(keepends=True)[: done + 3]))
    rerun = run_cli("replay", str(again), "--json")
    assert rerun.exit_code == 0, rerun.stdout
    assert "held" not in {r["outcome"] for r in rerun.json()["results"]}
    ids = [message["body"]["eventId"] for message in published(sandbox.stack)]
    assert {f"stuck-{n}" for n in range(done + 3)} <= set(ids)
    # What the interrupted run published, it never publishes again. An event a worker was cut
    # short on between the topic and the record of it looks unpublished, so it goes out again:
    # at least once, as after a crashed Lambda (consumers key by event and task). Two
    # `make test` side by side caught that once; it can only be an event of the interrupted
    # run that it did not report published, one a worker at most.
    first = {r["eventId"] for r in payload["results"] if r["outcome"] == "published"}
    twice = {event for event in ids if ids.count(event) > 1}
    assert not twice & first, f"published again though the first run had: {twice & first}"
    assert len(twice) <= 2, twice  # --workers 2
    assert all(ids.count(event) == 2 for event in twice), twice


def _workers_wait_to_write(parent: int) -> bool:
    """Whether both worker processes of the run ``parent`` wait in a write to a pipe (the
    kernel names the function a process sleeps in: ``anon_pipe_write``, ``pipe_write``)."""
    waits = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            if ppid != parent or b"spawn_main" not in (stat.parent / "cmdline").read_bytes():
                continue
            waits.append((stat.parent / "wchan").read_text())
        except (OSError, ValueError, IndexError):
            continue  # a process that ended meanwhile
    return len(waits) == 2 and all("pipe_write" in wait for wait in waits)
