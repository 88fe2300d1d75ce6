"""Lambda as the stack uses it: functions with reserved concurrency or the account's unreserved
pool, execution environments (cold, then warm and reused, each with its own cached API
token), asynchronous invocation (throttles retried by Lambda's queue until the event's maximum
age; function errors retried twice, about 1 and 2 minutes later; then the OnFailure
destination), and SQS event source mappings (batch size, batching window, maximum
concurrency)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from storm_model.world import Process, World

#: Assumed duration of a cold start's init (python3.13 arm64 with the layer; dev/bench measures
#: a few hundred ms): the first invocation of an environment waits this long first.
COLD_START_S = 0.8
#: Lambda's retries of throttled asynchronous events: backoff from 1 s to 5 min (AWS docs).
THROTTLE_BACKOFF_FIRST_S = 1.0
THROTTLE_BACKOFF_MAX_S = 300.0
#: Lambda's retries after a function error: about 1 minute, then about 2 (AWS docs).
ERROR_RETRY_DELAYS_S = (60.0, 120.0)


#: Assumed: Lambda reclaims an environment idle this long (undocumented; minutes in practice),
#: so a case's attempts a week apart each start cold and fetch a token.
IDLE_RECLAIM_S = 600.0


@dataclass
class Environment:
    cold: bool = True
    token_expires_at: float | None = None
    idle_since: float = 0.0
    #: What the environment's pacers last saw of each schedule (DynamoPacer's busy hint).
    busy_hints: dict[str, bool] = field(default_factory=dict)


#: A handler: (environment, payload, the invocation's deadline) -> a process that returns
#: True when the invocation succeeded (False: a function error, retried by its caller).
Handler = Callable[[Environment, Any, float], Process]


@dataclass
class Account:
    """The account's concurrency: reservations are carved out of it, the rest is shared."""

    limit: int
    reserved: int = 0
    unreserved_running: int = 0

    @property
    def unreserved_limit(self) -> int:
        return self.limit - self.reserved


@dataclass
class FunctionStats:
    invocations: int = 0
    cold_starts: int = 0
    gb_seconds: float = 0.0
    throttles: int = 0
    errors: int = 0
    peak_concurrency: int = 0
    #: Events parked in the OnFailure destination (after the retries, or too old).
    parked: int = 0
    parked_too_old: int = 0


@dataclass
class _Event:
    payload: Any
    handler: Handler
    queued_at: float
    retries: int = 0
    throttles: int = 0


class Function:
    def __init__(
        self,
        world: World,
        account: Account,
        name: str,
        *,
        timeout_s: int,
        memory_mb: int,
        reserved: int,
        max_retries: int,
        max_event_age_s: int,
    ) -> None:
        self._world = world
        self._account = account
        self.name = name
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.reserved = reserved
        self._max_retries = max_retries
        self._max_age = max_event_age_s
        self._idle: list[Environment] = []
        self.running = 0
        self.stats = FunctionStats()
        account.reserved += reserved
        #: Called with the payload of an event parked in OnFailure.
        self.on_parked: Callable[[Any], None] = lambda payload: None

    def has_room(self) -> bool:
        if self.reserved:
            return self.running < self.reserved
        return self._account.unreserved_running < self._account.unreserved_limit

    # ---- asynchronous invocation ---------------------------------------------------------

    def invoke_async(self, payload: Any, handler: Handler) -> None:
        """Lambda's queue accepts the event at once; it is run when the function has room."""
        self._deliver(_Event(payload, handler, self._world.now))

    def _deliver(self, event: _Event) -> None:
        world = self._world
        if world.now - event.queued_at > self._max_age:
            self.stats.parked_too_old += 1
            self._park(event)
            return
        if not self.has_room():
            self.stats.throttles += 1
            backoff = min(THROTTLE_BACKOFF_FIRST_S * 2**event.throttles, THROTTLE_BACKOFF_MAX_S)
            event.throttles += 1
            world.after(backoff * world.rng.uniform(0.5, 1.0), lambda: self._deliver(event))
            return
        self.run(event.payload, event.handler, lambda ok: self._after_async(event, ok))

    def _after_async(self, event: _Event, ok: bool) -> None:
        if ok:
            return
        if event.retries >= self._max_retries:
            self._park(event)
            return
        delay = ERROR_RETRY_DELAYS_S[min(event.retries, len(ERROR_RETRY_DELAYS_S) - 1)]
        event.retries += 1
        self._world.after(delay * self._world.rng.uniform(0.9, 1.2), lambda: self._deliver(event))

    def _park(self, event: _Event) -> None:
        self.stats.parked += 1
        self.on_parked(event.payload)

    def _warm_environment(self) -> Environment:
        """The most recently used idle environment Lambda has not reclaimed, else a new one."""
        reclaimed_before = self._world.now - IDLE_RECLAIM_S
        while self._idle:
            env = self._idle.pop()
            if env.idle_since >= reclaimed_before:
                return env
            # The rest idled longer still: all reclaimed.
            self._idle.clear()
        return Environment()

    # ---- one invocation ------------------------------------------------------------------

    def run(self, payload: Any, handler: Handler, done: Callable[[bool], None]) -> None:
        """Run one invocation now (the caller checked `has_room`)."""
        world = self._world
        env = self._warm_environment()
        self.running += 1
        if not self.reserved:
            self._account.unreserved_running += 1
        self.stats.invocations += 1
        self.stats.peak_concurrency = max(self.stats.peak_concurrency, self.running)
        started = world.now
        deadline = started + self.timeout_s

        def process() -> Process:
            if env.cold:
                self.stats.cold_starts += 1
                env.cold = False
                yield COLD_START_S
            ok: bool = yield from handler(env, payload, deadline)
            return ok

        def finished(ok: bool) -> None:
            # Billed for the whole invocation, init included, and for every second it waited
            # for a slot of the budget.
            duration = min(world.now - started, float(self.timeout_s))
            self.stats.gb_seconds += duration * self.memory_mb / 1024
            self.running -= 1
            if not self.reserved:
                self._account.unreserved_running -= 1
            env.idle_since = world.now
            self._idle.append(env)
            if not ok:
                self.stats.errors += 1
            done(ok)

        world.start(process(), finished)


@dataclass
class _Message:
    body: Any
    sent_at: float
    receives: int = 0


@dataclass
class QueueStats:
    sent: int = 0
    batches: int = 0
    oldest_wait_s: float = 0.0
    returned: int = 0


class EventSourceMapping:
    """An SQS queue polled for ``function``: a batch goes when it is full or its oldest message
    has waited the batching window; at most ``max_concurrency`` batches at once. The handler
    returns the bodies that failed (they come back after the visibility timeout)."""

    def __init__(
        self,
        world: World,
        function: Function,
        *,
        batch_size: int,
        window_s: float,
        max_concurrency: int,
        visibility_timeout_s: float,
        handler: Callable[[Environment, list[Any], float], Process],
    ) -> None:
        self.world = world
        self.function = function
        self.batch_size = batch_size
        self.window_s = window_s
        self.max_concurrency = max_concurrency
        self.visibility_timeout_s = visibility_timeout_s
        self.handler = handler
        self.stats = QueueStats()
        self._queue: deque[_Message] = deque()
        self._active = 0
        self._woken_at: float | None = None

    def send(self, body: Any) -> None:
        self.stats.sent += 1
        self._queue.append(_Message(body, self.world.now))
        self._kick()

    def _kick(self) -> None:
        world = self.world
        while self._queue and self._active < self.max_concurrency:
            oldest = self._queue[0].sent_at
            if len(self._queue) < self.batch_size and world.now < oldest + self.window_s:
                self._wake(oldest + self.window_s)
                return
            if not self.function.has_room():
                self._wake(world.now + 1.0)
                return
            batch = [self._queue.popleft() for _ in range(min(self.batch_size, len(self._queue)))]
            self.stats.batches += 1
            self.stats.oldest_wait_s = max(self.stats.oldest_wait_s, world.now - oldest)
            self._active += 1
            self._start(batch)

    def _start(self, batch: list[_Message]) -> None:
        failed: list[Any] = []

        def handle(env: Environment, messages: list[_Message], deadline: float) -> Process:
            failed.extend((yield from self.handler(env, [m.body for m in messages], deadline)))
            return True

        self.function.run(batch, handle, lambda ok: self._finished(batch, failed))

    def _finished(self, batch: list[_Message], failed: list[Any]) -> None:
        self._active -= 1
        for message in batch:
            if any(message.body is body for body in failed):
                message.receives += 1
                self.stats.returned += 1
                self.world.after(self.visibility_timeout_s, partial(self._back, message))
        self._kick()

    def _back(self, message: _Message) -> None:
        self._queue.append(message)
        self._kick()

    def _wake(self, when: float) -> None:
        pending = self._woken_at
        if pending is not None and self.world.now < pending <= when:
            return
        self._woken_at = when
        self.world.at(when, self._kick)
