"""Bulk replay: N events through `run_events` (what `bwp-privacy replay` calls) and through
the baseline, with 1, 2 and 4 workers, against a sandbox."""

from __future__ import annotations

import io
import json
import os
import resource
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from bench.baseline.runner import run_baseline
from bench.harness import EVENT, bench_sandbox, function_env, publish_ms, refresh
from bwp_privacy_cli.event_input import SourcedEvent
from bwp_privacy_cli.event_runner import run_events
from bwp_privacy_cli.local import LocalFunction, patched_environ
from bwp_privacy_cli.targets import FUNCTION_SETTINGS, RECORDER, RECORDER_HANDLER
from bwp_sandbox.seed import SAMPLE_BUSINESS_PRODUCT_ID, SAMPLE_TASKS


def make_events(count: int, tag: str) -> list[dict[str, Any]]:
    """``count`` copies of the sample event, each with its own id, over the seeded tasks."""
    base = json.loads(EVENT.read_text())
    task_ids = [str(task["taskId"]) for task in SAMPLE_TASKS]
    return [
        {
            **base,
            "id": f"{tag}-{number}-{uuid.uuid4()}",
            "resources": [
                f"businessProduct/{SAMPLE_BUSINESS_PRODUCT_ID}/personalDataDeletionTask/"
                f"{task_ids[number % len(task_ids)]}"
            ],
        }
        for number in range(count)
    ]


Runner = Callable[[list[dict[str, Any]], dict[str, str], int, Callable[[], None]], Counter[str]]


def _real(
    events: list[dict[str, Any]], env: dict[str, str], workers: int, tick: Callable[[], None]
) -> Counter[str]:
    items = [SourcedEvent(f"bench[{n}]", event=event) for n, event in enumerate(events)]
    function = LocalFunction(RECORDER, RECORDER_HANDLER, env)
    run = run_events(
        items,
        function=function,
        dry_run=False,
        workers=workers,
        log_stream=io.StringIO(),
        on_result=lambda _: tick(),
    )
    return Counter(result.outcome for result in run.results)


def _baseline(
    events: list[dict[str, Any]], env: dict[str, str], workers: int, tick: Callable[[], None]
) -> Counter[str]:
    return Counter(
        outcome.split(":", 1)[0]
        for outcome in run_baseline(events, env=env, workers=workers, on_result=tick)
    )


_TICK = os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process, from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _cpu_snapshot(moto_pid: int | None) -> dict[str, Any]:
    """CPU seconds so far of this process (the emulator, the sink and, for one worker, the
    handler; moto too when it is a thread here), of moto's own process, and of each worker."""
    me = os.getpid()
    workers: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in (me, moto_pid):
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            workers[int(entry)] = (int(fields[11]) + int(fields[12])) / _TICK
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "bench": usage.ru_utime + usage.ru_stime,
        "moto": _process_cpu(moto_pid) if moto_pid else 0.0,
        "workers": workers,
    }


def _ticker(
    stamps: list[float], snapshots: list[dict[str, Any]], total: int, moto_pid: int | None
) -> Callable[[], None]:
    """Stamps each result; takes the CPU snapshots of the steady part (from the first
    quarter's result to the last, as steady_rate counts)."""

    def tick() -> None:
        stamps.append(time.perf_counter())
        if len(stamps) in (total // 4 + 1, total):
            snapshots.append(_cpu_snapshot(moto_pid))

    return tick


def _cpu_per_event(first: dict[str, Any], last: dict[str, Any], events: int) -> dict[str, float]:
    """CPU ms per event between two snapshots, by where it was spent."""
    workers = sum(value - first["workers"].get(pid, 0.0) for pid, value in last["workers"].items())
    return {
        "bench_process": (last["bench"] - first["bench"]) * 1000 / events,
        "moto_process": (last["moto"] - first["moto"]) * 1000 / events,
        "workers": workers * 1000 / events,
    }


def steady_rate(stamps: list[float]) -> float:
    """Events/s from the first quarter of the results to the last: without the workers'
    start (spawn and handler import) and the first chunks."""
    if len(stamps) < 8:
        return 0.0
    start = len(stamps) // 4
    elapsed = stamps[-1] - stamps[start]
    return (len(stamps) - 1 - start) / elapsed if elapsed > 0 else 0.0


RUNNERS: dict[str, Runner] = {
    "real": _real,
    "baseline": _baseline,
}


def bulk_replay(
    moto: str,
    count: int,
    worker_counts: list[int],
    log: Callable[[str], None],
    *,
    fanout: bool = False,
) -> list[dict[str, Any]]:
    """Events/s for each handler and worker count, moto in a thread or in its own process.

    Each run starts from an empty stack (reset and redeployed), so runs do not slow each
    other down through moto's growing state. The environment is the one `bwp-privacy
    replay` gives the handler for a sandbox (tracing off, as the CLI runs it). Without
    ``fanout`` the failures topic has no queue subscribed (harness.stop_fanout); with it,
    the stack is as `bwp-privacy` deploys it, and Publish is timed before and after.
    """
    rows: list[dict[str, Any]] = []
    label = ", topic fan-out to the queues on" if fanout else ""
    with bench_sandbox(moto, fanout=fanout) as sandbox:
        env = {**sandbox.aws.env, **function_env(sandbox)}
        for workers in worker_counts:
            for name, runner in RUNNERS.items():
                refresh(sandbox, fanout=fanout)
                publish_before = publish_ms(sandbox) if fanout else None
                events = make_events(count, f"bulk-{name}-{workers}")
                log(
                    f"bulk replay: moto in a {moto}, {name}, {workers} worker(s), "
                    f"{count} events{label}"
                )
                stamps: list[float] = []
                snapshots: list[dict[str, Any]] = []
                tick = _ticker(stamps, snapshots, len(events), getattr(sandbox.aws, "pid", None))
                with patched_environ(env, unset=FUNCTION_SETTINGS):
                    started = time.perf_counter()
                    outcomes = runner(events, env, workers, tick)
                    elapsed = time.perf_counter() - started
                steady_events = len(events) - len(events) // 4 - 1
                rows.append(
                    {
                        "moto": moto,
                        "fanout": fanout,
                        "publish_ms_before": publish_before,
                        "publish_ms_after": publish_ms(sandbox) if fanout else None,
                        "handler": name,
                        "workers": workers,
                        "events": count,
                        "seconds": elapsed,
                        "events_per_second": count / elapsed,
                        "first_result_seconds": stamps[0] - started if stamps else None,
                        "steady_events_per_second": steady_rate(stamps),
                        "steady_cpu_ms_per_event": _cpu_per_event(
                            snapshots[0], snapshots[1], steady_events
                        )
                        if len(snapshots) == 2 and steady_events > 0
                        else None,
                        "outcomes": dict(outcomes),
                    }
                )
                log(
                    f"  {count / elapsed:.1f} events/s ({elapsed:.1f} s; "
                    f"{steady_rate(stamps):.1f}/s once started) {dict(outcomes)}"
                )
    return rows
