"""Run events through the real handler in-process, the way Lambda would, one by one or in
worker processes; or, for a dry run, only look the tasks up."""

from __future__ import annotations

import contextlib
import importlib
import io
import logging
import multiprocessing
import os
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from aws_lambda_powertools import Logger

from bwp_privacy.bootstrap import build_client
from bwp_privacy.bwp_api.client import BwpClient
from bwp_privacy.events import InvalidEventError, parse_event
from bwp_privacy.recorder import describe_failure
from bwp_privacy.settings import Settings
from bwp_privacy_cli.event_input import SourcedEvent
from bwp_sandbox.environ import patched_environ
from bwp_sandbox.lambda_context import LocalLambdaContext

HANDLER_MODULE = "functions.deletion_task_failed.app"
#: The template's function timeout; also how long an interrupted invocation holds its event
#: (Powertools idempotency in-progress lease).
FUNCTION_TIMEOUT_SECONDS = float(os.environ.get("BWP_FUNCTION_TIMEOUT_SECONDS", "60"))


@dataclass(frozen=True)
class ReplayResult:
    """What happened to one event."""

    origin: str
    outcome: str  # published, stored, duplicate, looked-up, rejected, failed
    detail: str
    task_id: str | None = None
    event_id: str | None = None
    data: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.outcome not in ("rejected", "failed")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _NoMetrics:
    def count(self, name: str, value: int = 1, **dimensions: str) -> None:
        """Dry runs count nothing."""


class EventRunner:
    """Holds the handler module (or, for dry runs, an API client) for many events."""

    def __init__(
        self, *, dry_run: bool, log_stream: Any, credentials: Mapping[str, str] | None = None
    ) -> None:
        self._dry_run = dry_run
        self._log_stream = log_stream
        # The function's own credentials, as Lambda would give them (the sandbox's roles);
        # none on a deployed stack, where the handler runs with the operator's.
        self._credentials = dict(credentials or {})
        self._handler: ModuleType | None = None
        self._client: BwpClient | None = None
        if dry_run:
            # The library logs through the function's logger: give it one, on our stream.
            Logger(logger_handler=logging.StreamHandler(log_stream))
            self._client = build_client(Settings.from_env())
        else:
            # Logger binds its stream at import: keep function logs off our stdout.
            with contextlib.redirect_stdout(log_stream), patched_environ(self._credentials):
                module = sys.modules.get(HANDLER_MODULE)
                self._handler = (
                    importlib.reload(module) if module else importlib.import_module(HANDLER_MODULE)
                )

    def run(self, item: SourcedEvent) -> ReplayResult:
        """Handle one event and classify the outcome."""
        if item.event is None:
            return ReplayResult(item.origin, "failed", item.error or "unreadable")
        event_id = item.event.get("id") if isinstance(item.event.get("id"), str) else None
        try:
            if self._dry_run:
                return self._look_up(item, event_id)
            assert self._handler is not None
            with contextlib.redirect_stdout(self._log_stream), patched_environ(self._credentials):
                context = LocalLambdaContext(timeout_seconds=FUNCTION_TIMEOUT_SECONDS)
                answer = self._handler.handler(item.event, context)
        except InvalidEventError as error:
            return ReplayResult(item.origin, "rejected", str(error), event_id=event_id)
        except Exception as error:
            return ReplayResult(
                item.origin, "failed", f"{type(error).__name__}: {error}", event_id=event_id
            )
        return _classify(item.origin, answer)

    def _look_up(self, item: SourcedEvent, event_id: str | None) -> ReplayResult:
        assert self._client is not None
        ref = parse_event(item.event)
        failure = describe_failure(ref, self._client, _NoMetrics(), datetime.now(UTC))
        codes = ", ".join(failure.error_codes)
        return ReplayResult(
            item.origin,
            "looked-up",
            f"lookup {failure.lookup.status.value}, status {failure.status}, errors {codes}"
            " (dry run: nothing stored or published)",
            task_id=ref.task_id,
            event_id=event_id,
            data=failure.to_json_dict(),
        )


def _classify(origin: str, answer: dict[str, Any]) -> ReplayResult:
    codes = ", ".join(answer.get("errorCodes", []))
    base = f"lookup {answer.get('lookupStatus')}, errors {codes}"
    if answer.get("duplicate"):
        outcome, detail = "duplicate", f"{base}; already handled, nothing new"
    elif answer.get("published"):
        stored = "stored" if answer.get("stored") else "already stored"
        outcome, detail = "published", f"{base}; {stored}, published {answer.get('messageId')}"
    else:
        outcome, detail = "stored", base
    return ReplayResult(
        origin,
        outcome,
        detail,
        task_id=answer.get("taskId"),
        event_id=answer.get("eventId"),
        data=answer,
    )


# -- worker processes ----------------------------------------------------------------------

_worker: EventRunner | None = None


def _init_worker(env: dict[str, str], dry_run: bool, credentials: dict[str, str]) -> None:
    global _worker
    os.environ.update(env)
    _worker = EventRunner(dry_run=dry_run, log_stream=io.StringIO(), credentials=credentials)


def _run_in_worker(item: SourcedEvent) -> ReplayResult:
    assert _worker is not None
    result = _worker.run(item)
    if isinstance(_worker._log_stream, io.StringIO):
        _worker._log_stream.seek(0)
        _worker._log_stream.truncate()
    return result


def run_events(
    items: list[SourcedEvent],
    *,
    env: dict[str, str],
    dry_run: bool,
    workers: int,
    log_stream: Any,
    on_result: Callable[[ReplayResult], None],
    credentials: Mapping[str, str] | None = None,
) -> list[ReplayResult]:
    """Run ``items`` with ``workers`` processes (1 = in this process); results in input order."""
    if workers <= 1:
        runner = EventRunner(dry_run=dry_run, log_stream=log_stream, credentials=credentials)
        results = []
        for item in items:
            results.append(runner.run(item))
            on_result(results[-1])
        return results
    # Spawned, not forked: the sandbox's server threads must not be copied into workers.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(env, dry_run, dict(credentials or {})),
    ) as pool:
        results = []
        for result in pool.map(
            _run_in_worker, items, chunksize=max(1, len(items) // (workers * 8))
        ):
            results.append(result)
            on_result(result)
        return results
