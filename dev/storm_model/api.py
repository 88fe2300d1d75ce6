"""The Buy with Prime API as the functions meet it: the shared budget's pacers (the runtime's
own GCRA arithmetic, `take_slot` and `next_allowed`, on the one item `DynamoPacer` moves), the
request's latency, and a count of every request by the second it was sent."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from bwp_privacy.api_budget import (
    API_KEY,
    TOKEN_KEY,
    TOKEN_REQUESTS_PER_SECOND,
    next_allowed,
    take_slot,
)
from bwp_privacy.bwp_api.client import MARGIN_SECONDS
from bwp_privacy.bwp_api.settings import ApiSettings
from bwp_privacy.bwp_api.token import DEFAULT_LIFETIME_SECONDS, EXPIRY_MARGIN_SECONDS
from bwp_privacy.common import Backoff
from bwp_privacy.common.budget import MIN_REQUEST_SECONDS
from storm_model.world import PerSecond, Process, World

_API = ApiSettings.model_fields
#: The client's own numbers: `BwpClient.MARGIN_SECONDS` (kept back from the invocation's end),
#: and ApiSettings' defaults (the request timeout, attempts and backoff base).
CLIENT_MARGIN_SECONDS = MARGIN_SECONDS
MAX_ATTEMPTS: int = _API["max_attempts"].default
RETRY_BASE_SECONDS: float = _API["retry_base_seconds"].default
#: Token lifetime (Buy with Prime documents 15 minutes) and the refresh margin (token.py).
TOKEN_LIFETIME_S = DEFAULT_LIFETIME_SECONDS
TOKEN_REFRESH_MARGIN_S = EXPIRY_MARGIN_SECONDS
#: Assumed latency of one request (GraphQL or token): lognormal, median 150 ms.
LATENCY_MEDIAN_S = 0.150
LATENCY_SIGMA = 0.5


class Pacer:
    """One key of ApiBudgetTable, moved as `DynamoPacer` moves it, write for write: an
    environment that found the schedule idle at its last take tries the idle update first
    (one write); one that found it busy goes straight to the queued update (one write), and
    only when that finds the queue emptied tries the idle one too. A failed conditional write
    is charged like a successful one."""

    def __init__(self, key: str, rate: float) -> None:
        self.key = key
        # As DynamoPacer: rounded up to the microsecond, never closer than 1 / rate.
        self.interval = math.ceil(1_000_000 / rate) / 1_000_000
        self.tat: float | None = None
        self.writes = PerSecond()
        self.refused = 0

    def take(self, now: float, latest: float, busy_hints: dict[str, bool]) -> float | None:
        """The slot (sent then), or None when it would come after ``latest``; ``busy_hints``
        is the environment's own memory of the schedule (DynamoPacer's ``_busy``)."""
        idle = self.tat is None or self.tat <= now
        if not busy_hints.get(self.key, False):
            self.writes.add(now)
            if idle:
                return self._taken(now, now)
            busy_hints[self.key] = True
        elif idle:
            # The queued update finds the queue emptied; the idle one takes the slot.
            self.writes.add(now, 2)
            busy_hints[self.key] = False
            return self._taken(now, now)
        self.writes.add(now)
        start = take_slot(self.tat, now, latest)
        if start is None:
            self.refused += 1
            return None
        return self._taken(start, now)

    def _taken(self, start: float, now: float) -> float:
        # The item stores microseconds (a decimal number): so do we, or float sums would put
        # an eleventh request of ten a second into a second by a rounding error.
        self.tat = round(next_allowed(start, self.interval), 6)
        return start


@dataclass
class ApiCounts:
    graphql: PerSecond
    tokens: PerSecond
    waited_s: float = 0.0
    budget_spent: int = 0
    #: Client retries after a refused slot that fit in the invocation (the client slept).
    client_retries: int = 0


class HoldsToken(Protocol):
    """An execution environment: its cached token's expiry (None: none yet), and what its
    pacers last saw of each schedule (busy or not)."""

    token_expires_at: float | None
    busy_hints: dict[str, bool]


class Api:
    """Requests to Buy with Prime as `BwpClient.execute` makes them: a token when the cached one
    is missing or about to expire (a slot of the token key, then one of the budget), then the
    request (a slot), each slot within what is left of the invocation; a refused slot is a
    transient error the client retries after the queue's wait when that fits, with the real
    `Backoff`. Unpaced when ``rate`` is None (the design before)."""

    def __init__(self, world: World, rate: float | None) -> None:
        self._world = world
        self.paced = rate is not None
        self.requests = Pacer(API_KEY, rate) if rate is not None else None
        self.token_requests = (
            Pacer(TOKEN_KEY, min(TOKEN_REQUESTS_PER_SECOND, rate)) if rate is not None else None
        )
        self.counts = ApiCounts(PerSecond(), PerSecond())
        self._backoff = Backoff(
            max_attempts=MAX_ATTEMPTS, base_seconds=RETRY_BASE_SECONDS, rng=world.rng
        )

    def all_requests(self) -> PerSecond:
        both = PerSecond()
        for counter in (self.counts.graphql, self.counts.tokens):
            for second, count in counter.counts.items():
                both.add(second, count)
        return both

    def execute(self, env: HoldsToken, deadline: float) -> Process:
        """One GraphQL operation within an invocation ending at ``deadline``: True once it
        was answered, False when the invocation must fail (Lambda or SQS retries it)."""
        world = self._world
        work_deadline = deadline - CLIENT_MARGIN_SECONDS
        for attempt in range(1, MAX_ATTEMPTS + 1):
            wait: float | None = yield from self._attempt(env, deadline)
            if wait is None:
                return True
            delay = self._backoff.delay(attempt, wait if wait > 0 else None)
            if attempt >= MAX_ATTEMPTS or world.now + delay >= work_deadline:
                return False
            self.counts.client_retries += 1
            yield delay
        return False

    def _attempt(self, env: HoldsToken, deadline: float) -> Process:
        """None when answered; else the refusal's wait (0: no time left to start)."""
        world = self._world
        left = deadline - CLIENT_MARGIN_SECONDS - world.now
        if left < MIN_REQUEST_SECONDS:
            return 0.0
        expires = env.token_expires_at
        if expires is None or world.now >= expires - TOKEN_REFRESH_MARGIN_S:
            # As `TokenProvider.get(within=...)`: the token request waits for its turn as long
            # as the request could still start in time, not only the request's timeout.
            for pacer in (self.token_requests, self.requests):
                refused = yield from self._slot(env, pacer, left - MIN_REQUEST_SECONDS)
                if refused is not None:
                    return refused
            self.counts.tokens.add(world.now)
            yield self._latency()
            env.token_expires_at = world.now + TOKEN_LIFETIME_S
        left = deadline - CLIENT_MARGIN_SECONDS - world.now
        if left < MIN_REQUEST_SECONDS:
            return 0.0
        refused = yield from self._slot(env, self.requests, left - MIN_REQUEST_SECONDS)
        if refused is not None:
            return refused
        self.counts.graphql.add(world.now)
        yield self._latency()
        return None

    def _slot(self, env: HoldsToken, pacer: Pacer | None, within: float) -> Process:
        """Wait for ``pacer``'s slot; None once it came, else how far off it was."""
        world = self._world
        if pacer is None:
            return None
        slot = pacer.take(world.now, world.now + within, env.busy_hints)
        if slot is None:
            self.counts.budget_spent += 1
            return max((pacer.tat or world.now) - world.now, 0.0)
        if slot > world.now:
            self.counts.waited_s += slot - world.now
            yield slot - world.now
        return None

    def _latency(self) -> float:
        return self._world.rng.lognormvariate(math.log(LATENCY_MEDIAN_S), LATENCY_SIGMA)
