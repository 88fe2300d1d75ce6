"""Run events through the real handlers in-process, the way Lambda would, one by one or in
worker processes; or, for a dry run, only look the tasks up.

Each event goes to the function the template's rules route it to: a COMPLETED event (deletion
or retrieval) to ReactionFunction, everything else to RecorderFunction, which records a FAILED
event of either kind and rejects what is none (with the reason).

A run can be interrupted (Ctrl-C, SIGTERM): it stops at once, says how far it got, and frees
the claims of the events it cut short (each invocation's request id is its claim's token, so
only this run's claims are freed), so that running it again is safe at once.
"""

from __future__ import annotations

import contextlib
import io
import logging
import multiprocessing
import signal
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from bwp_privacy.bwp_api import ApiSettings, BwpClient, build_client
from bwp_privacy.common import NoMetrics
from bwp_privacy.contract import DeletionFailure
from bwp_privacy.partner_events import COMPLETED_DETAIL_TYPES, TaskCompletedEvent
from bwp_privacy.recorder import (
    EventHeldError,
    FailureStore,
    InvalidEventError,
    RecorderSettings,
    describe_failure,
    parse_event,
)
from bwp_privacy_cli.event_input import SourcedEvent
from bwp_privacy_cli.json_output import CaseEffectOut, ReplayResultOut, RunEffect
from bwp_privacy_cli.local import LocalFunction, LocalLambdaContext

NOTHING = RunEffect(stored=False, published=False, message_id=None)


def for_reaction(event: Any) -> bool:
    """Whether the template routes ``event`` to ReactionFunction (its COMPLETED rule) rather
    than to RecorderFunction (its FAILED rule)."""
    return isinstance(event, dict) and event.get("detail-type") in COMPLETED_DETAIL_TYPES


@dataclass(frozen=True)
class ReplayResult:
    """What happened to one event."""

    origin: str
    outcome: str  # published, stored, duplicate, reacted, looked-up, rejected, failed, held
    detail: str
    task_id: str | None = None
    event_id: str | None = None
    this_run: RunEffect | None = None
    earlier: RunEffect | None = None
    failure: DeletionFailure | None = None
    held_until: str | None = None
    case: CaseEffectOut | None = None

    @property
    def ok(self) -> bool:
        return self.outcome not in ("rejected", "failed", "held")

    def out(self) -> ReplayResultOut:
        """The documented --json form."""
        return ReplayResultOut(
            origin=self.origin,
            outcome=self.outcome,  # type: ignore[arg-type]
            detail=self.detail,
            task_id=self.task_id,
            event_id=self.event_id,
            this_run=self.this_run,
            earlier=self.earlier,
            failure=self.failure,
            held_until=self.held_until,
            case=self.case,
        )


@dataclass
class ReplayRun:
    """The results in input order; for an interrupted run, the events it cut short."""

    results: list[ReplayResult] = field(default_factory=list)
    total: int = 0
    interrupted: bool = False
    cut_short: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)


class EventRunner:
    """Runs FAILED events through RecorderFunction and COMPLETED events through
    ReactionFunction (or, for dry runs, only looks the failed tasks up)."""

    def __init__(
        self,
        function: LocalFunction,
        *,
        log_stream: Any,
        dry_run: bool = False,
        reaction: LocalFunction | None = None,
    ) -> None:
        self._function = function
        self._reaction = reaction
        self._reaction_ready = False
        self._dry_run = dry_run
        self._log_stream = log_stream
        self._client: BwpClient | None = None
        if dry_run:
            # The library logs through the function's logger: give it one, on our stream.
            Logger(logger_handler=logging.StreamHandler(log_stream))
            self._client = build_client(ApiSettings.from_env(function.settings()))
        else:
            # Logger binds its stream at import: keep function logs off our stdout.
            with contextlib.redirect_stdout(log_stream):
                function.cold_start()

    def run_event(self, origin: str, event: Any) -> ReplayResult:
        """Handle one event (a parsed JSON value) and classify the outcome."""
        return self.run(SourcedEvent(origin, event=event))

    def run(self, item: SourcedEvent, request_id: str | None = None) -> ReplayResult:
        """Handle one event and classify the outcome. ``request_id``: the invocation's, which
        the recorder's claim on the event carries (so that an interrupted run can free it)."""
        if item.event is None:
            return ReplayResult(item.origin, "failed", item.error or "unreadable")
        event_id = item.event.get("id") if isinstance(item.event.get("id"), str) else None
        try:
            if for_reaction(item.event):
                return self._react(item, event_id)
            if self._dry_run:
                return self._look_up(item, event_id)
            with contextlib.redirect_stdout(self._log_stream):
                context = LocalLambdaContext(
                    function_name=self._function.logical_id,
                    timeout_seconds=self._function.timeout_seconds,
                    aws_request_id=request_id or str(uuid.uuid4()),
                )
                answer = self._function.handler(item.event, context)
        except InvalidEventError as error:
            return ReplayResult(item.origin, "rejected", str(error), event_id=event_id)
        except EventHeldError as held:
            return _held(item.origin, event_id, held.held_until)
        except Exception as error:
            return ReplayResult(
                item.origin, "failed", f"{type(error).__name__}: {error}", event_id=event_id
            )
        return _classify(item.origin, answer)

    def _react(self, item: SourcedEvent, event_id: str | None) -> ReplayResult:
        """A COMPLETED event through ReactionFunction, as its rule delivers it (a dry run only
        checks it: no case moves)."""
        if self._reaction is None:
            return ReplayResult(
                item.origin,
                "failed",
                "a COMPLETED event goes to ReactionFunction, and this target has none",
                event_id=event_id,
            )
        if self._dry_run:
            ref = parse_event(item.event, model=TaskCompletedEvent)
            return ReplayResult(
                item.origin,
                "looked-up",
                f"{ref.task_kind} task {ref.task_id} completed: goes to ReactionFunction"
                " (dry run: no case moved)",
                task_id=ref.task_id,
                event_id=event_id,
                this_run=NOTHING,
            )
        with contextlib.redirect_stdout(self._log_stream):
            if not self._reaction_ready:
                self._reaction.cold_start()
                self._reaction_ready = True
            context = LocalLambdaContext(
                function_name=self._reaction.logical_id,
                timeout_seconds=self._reaction.timeout_seconds,
            )
            answer = self._reaction.handler(item.event, context)
        ref = parse_event(item.event, model=TaskCompletedEvent)  # the handler took it
        effect = CaseEffectOut(
            outcome=str(answer.get("outcome")),
            case_id=answer.get("caseId"),
            state=answer.get("state"),
        )
        return ReplayResult(
            item.origin,
            "reacted",
            f"ReactionFunction: {_case_detail(ref.task_kind, effect)}",
            task_id=ref.task_id,
            event_id=event_id,
            this_run=NOTHING,
            case=effect,
        )

    def _look_up(self, item: SourcedEvent, event_id: str | None) -> ReplayResult:
        assert self._client is not None
        ref = parse_event(item.event)
        failure = describe_failure(ref, self._client, NoMetrics(), datetime.now(UTC))
        codes = ", ".join(failure.error_codes)
        return ReplayResult(
            item.origin,
            "looked-up",
            f"lookup {failure.lookup.status.value}, status {failure.status}, errors {codes}"
            " (dry run: nothing stored or published)",
            task_id=ref.task_id,
            event_id=event_id,
            this_run=NOTHING,
            failure=failure,
        )


def _case_detail(kind: str, effect: CaseEffectOut) -> str:
    """What the reaction did with a completion, in a few words."""
    if effect.outcome == "kept":
        return f"no case holds this {kind} task yet: the completion is kept until a case links it"
    if effect.outcome == "moved":
        return f"case {effect.case_id} is now {effect.state}"
    if effect.case_id:
        return f"nothing to do: case {effect.case_id} is {effect.state}"
    return "nothing to do: the completion was already known"


def _held(origin: str, event_id: str | None, until: datetime) -> ReplayResult:
    """Another invocation's claim holds the event (its answer said until when)."""
    when = until.isoformat(timespec="seconds").replace("+00:00", "Z")
    detail = (
        f"another run of the handler holds this event until {when} (a run cut short, or"
        " one still going): re-running after that is safe"
    )
    return ReplayResult(origin, "held", detail, event_id=event_id, held_until=when)


def release_claims(function: LocalFunction, cut_short: list[tuple[Any, str]]) -> list[str]:
    """Free the claims these invocations (event, request id) left on their events, with the
    caller's own credentials: only claims still carrying that request id and never published
    are deleted. Returns the event ids freed."""
    import boto3

    settings = RecorderSettings.from_env(function.settings())
    store = FailureStore(
        boto3.client("dynamodb"), settings.failures_table_name, settings.retention_days
    )
    released = []
    for event, request_id in cut_short:
        if for_reaction(event):
            continue  # ReactionFunction claims nothing here
        try:
            ref = parse_event(event)
        except InvalidEventError:
            continue  # rejected before any claim
        if store.release(ref.task_id, ref.event.id, request_id):
            released.append(ref.event.id)
    return released


def _classify(origin: str, answer: dict[str, Any]) -> ReplayResult:
    codes = ", ".join(answer.get("errorCodes", []))
    base = f"lookup {answer.get('lookupStatus')}, errors {codes}"
    effect = RunEffect(
        stored=bool(answer.get("stored")),
        published=bool(answer.get("published")),
        message_id=answer.get("messageId"),
    )
    task_id, event_id = answer.get("taskId"), answer.get("eventId")
    if answer.get("duplicate"):
        # The claim found the event stored and published: its message id is the earlier run's.
        earlier = RunEffect(stored=True, published=True, message_id=effect.message_id)
        return ReplayResult(
            origin,
            "duplicate",
            f"{base}; nothing done: stored and published by an earlier run",
            task_id=task_id,
            event_id=event_id,
            this_run=NOTHING,
            earlier=earlier,
        )
    if effect.published:
        detail = f"{base}; stored, published {effect.message_id}"
        if not effect.stored:  # this run's lease ran out before its mark
            detail = f"{base}; published {effect.message_id}, then taken over by another run"
        return ReplayResult(origin, "published", detail, task_id, event_id, this_run=effect)
    return ReplayResult(origin, "stored", base, task_id, event_id, this_run=effect)


# -- worker processes ----------------------------------------------------------------------

_worker: EventRunner | None = None
_started: Any = None


def _init_worker(
    function: LocalFunction, dry_run: bool, started: Any, reaction: LocalFunction | None
) -> None:
    """Each worker: its own cold start (spawned workers inherit the parent's environment,
    the target's AWS included)."""
    global _worker, _started
    # The parent handles Ctrl-C for everyone (it reaches the whole process group).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _started = started
    _worker = EventRunner(function, log_stream=io.StringIO(), dry_run=dry_run, reaction=reaction)


def _run_indexed(indexed: tuple[int, SourcedEvent]) -> tuple[int, ReplayResult]:
    index, item = indexed
    assert _worker is not None
    request_id = str(uuid.uuid4())
    _started.put((index, request_id))  # before the claim: a kill may come at any point
    result = _worker.run(item, request_id)
    if isinstance(_worker._log_stream, io.StringIO):
        _worker._log_stream.seek(0)
        _worker._log_stream.truncate()
    return index, result


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """SIGTERM stops a run as Ctrl-C does (KeyboardInterrupt), then the old handler returns."""

    def stop(*_: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_events(
    items: list[SourcedEvent],
    *,
    function: LocalFunction,
    dry_run: bool,
    workers: int,
    log_stream: Any,
    on_result: Callable[[ReplayResult], None],
    reaction: LocalFunction | None = None,
) -> ReplayRun:
    """Run ``items`` with ``workers`` processes (1 = in this process); results in input order.
    COMPLETED events go to ``reaction`` (ReactionFunction), the others to ``function``.

    Interrupted (KeyboardInterrupt, or SIGTERM inside `interruptible`), it stops at once:
    worker processes are ended, and the events cut short get their claims freed.
    """
    run = ReplayRun(total=len(items))
    started: dict[int, str] = {}  # index of each event handed to the handler -> request id
    with _function_logs_to(log_stream):
        _run(items, function, reaction, dry_run, workers, log_stream, on_result, run, started)
    if run.interrupted and not dry_run:
        finished = {r.event_id for r in run.results}
        cut_short = [
            (event, started[index])
            for index in sorted(started)
            if (event := items[index].event) is not None
            and isinstance(event.get("id"), str)
            and event["id"] not in finished
        ]
        run.cut_short = [event["id"] for event, _ in cut_short]
        if cut_short:
            run.released = release_claims(function, cut_short)
    return run


class _FunctionLogs(logging.StreamHandler):  # type: ignore[type-arg]
    """A root handler that keeps the library's records.

    Each time a function's Powertools Logger is made, Powertools puts a SuppressFilter on
    every root handler: it drops records whose logger name contains the service name, so
    that the service's own records are not printed twice. Here that drops the library's own
    records too ("recorder" is in "bwp_privacy.recorder.recorder"), and it is never needed:
    the function's logger does not propagate to the root, it writes to our stdout.
    """

    def addFilter(self, filter: Any) -> None:
        if type(filter).__name__ != "SuppressFilter":
            super().addFilter(filter)


@contextlib.contextmanager
def _function_logs_to(stream: Any) -> Iterator[None]:
    """The function's log records (whatever logger they reach) go to ``stream``: stderr with
    -v, nowhere otherwise. Without a handler, Python would print warnings on stderr."""
    handler = _FunctionLogs(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


def _run(
    items: list[SourcedEvent],
    function: LocalFunction,
    reaction: LocalFunction | None,
    dry_run: bool,
    workers: int,
    log_stream: Any,
    on_result: Callable[[ReplayResult], None],
    run: ReplayRun,
    started: dict[int, str],
) -> None:
    try:
        if workers <= 1:
            runner = EventRunner(
                function, log_stream=log_stream, dry_run=dry_run, reaction=reaction
            )
            for index, item in enumerate(items):
                started[index] = request_id = str(uuid.uuid4())
                run.results.append(runner.run(item, request_id))
                on_result(run.results[-1])
        else:
            _run_pool(items, function, reaction, dry_run, workers, run, started, on_result)
    except KeyboardInterrupt:
        run.interrupted = True


def _run_pool(
    items: list[SourcedEvent],
    function: LocalFunction,
    reaction: LocalFunction | None,
    dry_run: bool,
    workers: int,
    run: ReplayRun,
    started: dict[int, str],
    on_result: Callable[[ReplayResult], None],
) -> None:
    # Spawned, not forked: the sandbox's server threads must not be copied into workers.
    context = multiprocessing.get_context("spawn")
    queue = context.SimpleQueue()
    pool = context.Pool(
        workers,
        initializer=_init_worker,
        initargs=(function, dry_run, queue, reaction),
    )
    try:
        # One event at a time to whichever worker is free; results sorted back into input
        # order at the end. Each result is counted as soon as it is back, so an interrupted
        # run knows exactly what was done.
        indexed = list(enumerate(items))
        by_index: dict[int, ReplayResult] = {}
        try:
            for index, result in pool.imap_unordered(_run_indexed, indexed):
                by_index[index] = result
                on_result(result)
        finally:
            run.results.extend(by_index[index] for index in sorted(by_index))
        pool.close()
    except KeyboardInterrupt:
        pool.terminate()  # at once: events in flight are cut short, their claims freed below
        raise
    finally:
        pool.join()
        while not queue.empty():
            index, request_id = queue.get()
            started[index] = request_id
