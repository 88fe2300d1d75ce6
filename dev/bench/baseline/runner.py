"""Bulk runs of the baseline handler, shaped like bwp_privacy_cli.replay_runner.run_events:
in this process for one worker, else in spawned worker processes fed one event at a time."""

from __future__ import annotations

import importlib
import multiprocessing
import os
from collections.abc import Callable
from types import ModuleType
from typing import Any

from bwp_privacy_cli.local import LocalLambdaContext

MODULE = "bench.baseline.recorder.app"

_handler: ModuleType | None = None


def _load() -> ModuleType:
    """Import the handler module afresh (its module-level init reads the environment)."""
    module = importlib.import_module(MODULE)
    return importlib.reload(module)


def _init_worker(env: dict[str, str]) -> None:
    global _handler
    os.environ.update(env)
    _handler = _load()


def _run(handler: ModuleType, event: dict[str, Any]) -> str:
    try:
        answer = handler.handler(event, LocalLambdaContext())
    except Exception as error:
        return f"failed: {type(error).__name__}: {error}"
    return "published" if answer.get("published") else "stored"


def _run_in_worker(event: dict[str, Any]) -> str:
    assert _handler is not None
    return _run(_handler, event)


def run_baseline(
    events: list[dict[str, Any]],
    *,
    env: dict[str, str],
    workers: int,
    on_result: Callable[[], None] = lambda: None,
) -> list[str]:
    """Outcome of each event ("published" or "failed: …"), in input order. The caller sets
    ``env`` in os.environ for one worker; worker processes get it from here."""
    outcomes: list[str] = []
    if workers <= 1:
        handler = _load()
        for event in events:
            outcomes.append(_run(handler, event))
            on_result()
        return outcomes
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=_init_worker, initargs=(env,)) as pool:
        by_index: dict[int, str] = {}
        for index, outcome in pool.imap_unordered(_run_indexed, list(enumerate(events))):
            by_index[index] = outcome
            on_result()
        return [by_index[index] for index in sorted(by_index)]


def _run_indexed(indexed: tuple[int, dict[str, Any]]) -> tuple[int, str]:
    return indexed[0], _run_in_worker(indexed[1])
