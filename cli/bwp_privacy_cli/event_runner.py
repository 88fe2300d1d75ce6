"""Run events through the real handlers in-process, the way Lambda would, one by one or in
worker processes; or, for a dry run, only look the tasks up.

Each event goes to the function the template's rules route it to: a COMPLETED event (deletion
or retrieval) to ReactionFunction, everything else to RecorderFunction, which records a FAILED
event of either kind and rejects what is none (with the reason).

A run can be interrupted (Ctrl-C, SIGTERM): it stops at once, says how far it got, and frees
the claims of the events it cut short (each invocation's request id is its claim's token, so
only this run's claims are freed), so that running it again is safe at once.

The functions' log records go to the caller's log stream (stderr with -v), never elsewhere.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import sys
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection, wait
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import Any

from aws_lambda_powertools import Logger

from bwp_privacy.bwp_api import ApiSettings, BwpClient, build_client
from bwp_privacy.common import NoMetrics
from bwp_privacy.contract import TaskFailure
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
from bwp_privacy_cli.local import NOWHERE, LocalFunction, LocalLambdaContext, function_logs_to

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
    failure: TaskFailure | None = None
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
            with contextlib.redirect_stdout(log_stream), function_logs_to(log_stream):
                function.cold_start()

    def run_event(self, origin: str, event: Any) -> ReplayResult:
        """Handle one event (a parsed JSON value) and classify the outcome."""
        return self.run(SourcedEvent(origin, event=event))

    def run(self, item: SourcedEvent, request_id: str | None = None) -> ReplayResult:
        """Handle one event and classify the outcome. ``request_id``: the invocation's, which
        the recorder's claim on the event carries (so that an interrupted run can free it)."""
        # Every runner's caller (replay, its workers, a sandbox redrive) keeps the records the
        # library logs on our log stream, not only those of the function's own logger.
        with function_logs_to(self._log_stream):
            return self._run(item, request_id)

    def _run(self, item: SourcedEvent, request_id: str | None) -> ReplayResult:
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
    The functions' logs go to ``log_stream``; a worker process writes its own to stderr if
    ``log_stream`` is stderr, nowhere otherwise.

    Interrupted (KeyboardInterrupt, or SIGTERM inside `interruptible`), it stops at once:
    worker processes are ended, and the events cut short get their claims freed.
    """
    run = ReplayRun(total=len(items))
    started: dict[int, str] = {}  # index of each event handed to the handler -> request id
    with function_logs_to(log_stream):
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
                crew = _Crew(function, reaction, dry_run, _is_stderr(log_stream))
                crew.run(items, workers, run, started, on_result)
        except KeyboardInterrupt:
            run.interrupted = True
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


#: The file descriptor a process writes its stderr to (sys.stderr), in workers too.
STDERR_FILENO = 2


def _is_stderr(stream: Any) -> bool:
    """Whether ``stream`` writes to this process's stderr: the one stream a worker process
    shares with this one (it inherits the file descriptor)."""
    try:
        return bool(stream.fileno() == STDERR_FILENO)
    except (AttributeError, OSError, ValueError):  # StringIO, NOWHERE: no file descriptor
        return False


# -- worker processes ----------------------------------------------------------------------
#
# Each worker is a process of its own with a pipe of its own to this one: it takes one event
# at a time and sends its result back. This process reads every pipe for as long as the
# workers run, so no worker ever waits to write to it (issue 24: a queue of started events,
# read only once the run was over, was full after 1,092 events and the run stood still for
# good). Nothing is shared between processes but those pipes, no lock or queue, so a worker
# ended at any point (an interrupt ends them all, whatever they were writing) leaves nothing
# behind that this process would wait on.

#: How long a worker may take to end, once asked to (at the end of a run) or told to (SIGTERM,
#: on an interrupt), before it is killed (SIGKILL); and how long a killed one is waited for.
WORKER_EXIT_SECONDS = 5.0


def _work(
    conn: Connection,
    function: LocalFunction,
    reaction: LocalFunction | None,
    dry_run: bool,
    logs_to_stderr: bool,
) -> None:
    """A worker: its own cold start (a spawned worker inherits the parent's environment, the
    target's AWS included), then one event at a time from ``conn`` until the parent says
    there are no more (or is gone)."""
    # The parent handles Ctrl-C for everyone (it reaches the whole process group). It held
    # Ctrl-C back while it started this process (`_ctrl_c_held`), so none can come before.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    log_stream = sys.stderr if logs_to_stderr else NOWHERE
    runner = EventRunner(function, log_stream=log_stream, dry_run=dry_run, reaction=reaction)
    while True:
        try:
            task = conn.recv()
            if task is None:
                return
            item, request_id = task
            conn.send(runner.run(item, request_id))
        except (EOFError, OSError):
            return  # the parent is gone (a second Ctrl-C, a kill): nobody wants the rest


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Ctrl-C held back (blocked) for a while: one that comes meanwhile is raised at the end
    of the block. A process started meanwhile inherits the blocked signal: a Ctrl-C that
    comes while it starts up (before it ignores Ctrl-C) cannot end it with a traceback."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@dataclass
class _Worker:
    process: SpawnProcess
    conn: Connection
    doing: tuple[int, SourcedEvent] | None = None  # the event it is handling (index, event)


class _Crew:
    """Worker processes running events one at a time, whichever worker is free next."""

    def __init__(
        self,
        function: LocalFunction,
        reaction: LocalFunction | None,
        dry_run: bool,
        logs_to_stderr: bool,
    ) -> None:
        # Spawned, not forked: the sandbox's server threads must not be copied into workers.
        self._context: SpawnContext = multiprocessing.get_context("spawn")
        self._args = (function, reaction, dry_run, logs_to_stderr)
        self._workers: list[_Worker] = []
        self._results: dict[int, ReplayResult] = {}
        self._on_result: Callable[[ReplayResult], None] = lambda _: None

    def run(
        self,
        items: list[SourcedEvent],
        workers: int,
        run: ReplayRun,
        started: dict[int, str],
        on_result: Callable[[ReplayResult], None],
    ) -> None:
        """Run ``items``; each result is counted as soon as it is back, so an interrupted run
        knows exactly what was done. ``started``: each event handed to a worker, with the
        request id its claim carries. Results go into ``run`` in input order."""
        self._on_result = on_result
        try:
            with _ctrl_c_held():
                for _ in range(min(workers, len(items))):
                    self._start()
            self._dispatch(deque(enumerate(items)), started)
            self._end(at_once=False)
        except KeyboardInterrupt:
            self._end(at_once=True)
            self._collect_leftovers()
            raise
        finally:
            for worker in self._workers:
                worker.conn.close()
            run.results.extend(self._results[index] for index in sorted(self._results))

    def _done(self, index: int, result: ReplayResult) -> None:
        self._results[index] = result
        self._on_result(result)

    def _start(self) -> None:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=_work, args=(theirs, *self._args), daemon=True)
        try:
            process.start()
        finally:
            # Only the worker holds its end: once it has ended, reading ours finds the end of
            # the pipe at once instead of waiting for more.
            theirs.close()
        self._workers.append(_Worker(process, ours))

    def _dispatch(self, todo: deque[tuple[int, SourcedEvent]], started: dict[int, str]) -> None:
        """Hand out events until all are done, reading every answer as soon as it comes."""
        ready = list(self._workers)
        while True:
            while ready and todo:
                worker = ready.pop()
                index, item = todo.popleft()
                started[index] = request_id = str(uuid.uuid4())  # before any claim is made
                try:
                    worker.conn.send((item, request_id))
                except OSError:  # it has ended: the next free worker takes the event
                    del started[index]
                    todo.appendleft((index, item))
                    continue
                worker.doing = (index, item)
            busy = {worker.conn: worker for worker in self._workers if worker.doing is not None}
            if not busy:
                break
            answered = set(wait(list(busy)))
            for conn, worker in busy.items():
                if conn not in answered:
                    continue
                assert worker.doing is not None
                index, item = worker.doing
                # Not its event any more, even if this read is interrupted: a pipe read halfway
                # is never read again (the event counts as cut short).
                worker.doing = None
                try:
                    result = worker.conn.recv()
                except (EOFError, OSError):
                    self._done(index, self._lost(worker, item))
                    continue
                ready.append(worker)
                self._done(index, result)
        for index, item in todo:  # every worker had ended before these were handed out
            self._done(index, ReplayResult(item.origin, "failed", "not run: no worker left"))

    def _lost(self, worker: _Worker, item: SourcedEvent) -> ReplayResult:
        """A worker that ended while handling ``item`` (its cold start failed, or it was
        killed): the event failed; a claim it made holds the event until its lease ends."""
        worker.process.join(WORKER_EXIT_SECONDS)
        event_id = item.event.get("id") if item.event is not None else None
        code = worker.process.exitcode
        detail = f"its worker process ended (exit code {code}) before it was done"
        return ReplayResult(
            item.origin, "failed", detail, event_id=event_id if isinstance(event_id, str) else None
        )

    def _end(self, *, at_once: bool) -> None:
        """End every worker: asked to (no more events), or at once (SIGTERM); one that has not
        ended within the bound is killed. Bounded whatever the workers were doing: this waits
        on no pipe, lock or queue of theirs."""
        if not at_once:
            for worker in self._workers:
                with contextlib.suppress(OSError):
                    worker.conn.send(None)
            for worker in self._workers:
                worker.process.join(WORKER_EXIT_SECONDS)
        for worker in self._workers:
            if worker.process.exitcode is None:
                worker.process.terminate()
        for worker in self._workers:
            worker.process.join(WORKER_EXIT_SECONDS)
            if worker.process.exitcode is None:
                worker.process.kill()
                worker.process.join(WORKER_EXIT_SECONDS)

    def _collect_leftovers(self) -> None:
        """The results the ended workers had sent but this process had not read yet: those
        events are done. Only ended workers' pipes are read, so a read never waits: a result
        cut off halfway reads as the end of the pipe."""
        for worker in self._workers:
            if worker.doing is None or worker.process.exitcode is None:
                continue
            try:
                if not worker.conn.poll():
                    continue
                result = worker.conn.recv()
            except (EOFError, OSError):
                continue
            self._done(worker.doing[0], result)
            worker.doing = None
