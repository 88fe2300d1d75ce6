"""Bulk replay: N events through `run_events` (what `bwp-privacy replay` calls) and through
the baseline's runner of the same shape, with 1, 2, ... workers, against a sandbox."""

from __future__ import annotations

import io
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from bench.baseline.runner import run_baseline
from bench.functions import EVENT
from bench.harness import bench_sandbox, function_env, refresh
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


def steady_rate(stamps: list[float]) -> float:
    """Events/s from the first quarter of the results to the last: without the workers'
    start (spawn and handler import) and the first chunks."""
    if len(stamps) < 8:
        return 0.0
    start = len(stamps) // 4
    elapsed = stamps[-1] - stamps[start]
    return (len(stamps) - 1 - start) / elapsed if elapsed > 0 else 0.0


def _stamper(stamps: list[float]) -> Callable[[], None]:
    """Stamps the time of each result in ``stamps``."""
    return lambda: stamps.append(time.perf_counter())


RUNNERS: dict[str, Runner] = {
    "real": _real,
    "baseline": _baseline,
}


def bulk_replay(
    count: int, worker_counts: list[int], log: Callable[[str], None]
) -> list[dict[str, Any]]:
    """Events/s for each handler and worker count, moto in a process of its own (one moto
    process serves every worker, as one AWS region would; in a thread of the bench it would
    share the one-worker handler's interpreter).

    Each run starts from an empty stack (reset and redeployed), so runs do not slow each
    other down through moto's growing state; the failures topic has no queue subscribed
    (harness.stop_fanout). The environment is the one `bwp-privacy replay` gives the handler
    for a sandbox (tracing off, as the CLI runs it).
    """
    rows: list[dict[str, Any]] = []
    with bench_sandbox("process") as sandbox:
        env = {**sandbox.aws.env, **function_env(sandbox)}
        for workers in worker_counts:
            for name, runner in RUNNERS.items():
                refresh(sandbox)
                events = make_events(count, f"bulk-{name}-{workers}")
                log(f"bulk replay: {name}, {workers} worker(s), {count} events")
                stamps: list[float] = []
                with patched_environ(env, unset=FUNCTION_SETTINGS):
                    started = time.perf_counter()
                    outcomes = runner(events, env, workers, _stamper(stamps))
                    elapsed = time.perf_counter() - started
                rows.append(
                    {
                        "handler": name,
                        "workers": workers,
                        "events": count,
                        "seconds": elapsed,
                        "steady_events_per_second": steady_rate(stamps),
                        "outcomes": dict(outcomes),
                    }
                )
                log(f"  {elapsed:.1f} s, {steady_rate(stamps):.1f}/s once started {dict(outcomes)}")
    return rows
