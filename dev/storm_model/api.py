"""The Buy with Prime API as the functions meet it: the shared budget's pacers (the runtime's
own GCRA arithmetic, `take_slot` and `next_allowed`, on the one item `DynamoPacer` moves), the
request's latency, and a count of every request by the second it was sent."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bwp_privacy.api_budget import TOKEN_REQUESTS_PER_SECOND, next_allowed, take_slot
from bwp_privacy.common.budget import MIN_REQUEST_SECONDS
from storm_model.world import PerSecond, Process, World

#: `BwpClient.MARGIN_SECONDS`: kept back from the invocation's end for the work after a request.
CLIENT_MARGIN_SECONDS = 1.0
#: Assumed latency of one request (GraphQL or token): lognormal, median 150 ms.
LATENCY_MEDIAN_S = 0.150
LATENCY_SIGMA = 0.5


class Pacer:
    """One key of ApiBudgetTable, moved as `DynamoPacer` moves it: idle, one conditional
    update; queued, a failed idle update and a successful queued one (two write units: a
    failed conditional write is charged too)."""

    def __init__(self, rate: float) -> None:
        # As DynamoPacer: rounded up to the microsecond, never closer than 1 / rate.
        self.interval = math.ceil(1_000_000 / rate) / 1_000_000
        self.tat: float | None = None
        self.writes = PerSecond()
        self.refused = 0

    def take(self, now: float, latest: float) -> float | None:
        idle = self.tat is None or self.tat <= now
        self.writes.add(now, 1 if idle else 2)
        start = take_slot(self.tat, now, latest)
        if start is None:
            self.refused += 1
            return None
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


class Api:
    """Requests to Buy with Prime; paced when ``rate`` is given (None: the design before)."""

    def __init__(self, world: World, rate: float | None) -> None:
        self._world = world
        self.paced = rate is not None
        self.requests = Pacer(rate) if rate is not None else None
        self.token_requests = Pacer(TOKEN_REQUESTS_PER_SECOND) if rate is not None else None
        self.counts = ApiCounts(PerSecond(), PerSecond())

    def all_requests(self) -> PerSecond:
        both = PerSecond()
        for counter in (self.counts.graphql, self.counts.tokens):
            for second, count in counter.counts.items():
                both.add(second, count)
        return both

    def request(self, deadline: float, *, token: bool = False) -> Process:
        """One request, sent at its slot; False (`BudgetSpent`) when the slot would come later
        than the invocation can wait (its end less the client's margins)."""
        world = self._world
        if self.requests is not None and self.token_requests is not None:
            latest = deadline - CLIENT_MARGIN_SECONDS - MIN_REQUEST_SECONDS
            pacers = (self.token_requests, self.requests) if token else (self.requests,)
            for pacer in pacers:
                slot = pacer.take(world.now, latest)
                if slot is None:
                    self.counts.budget_spent += 1
                    return False
                if slot > world.now:
                    self.counts.waited_s += slot - world.now
                    yield slot - world.now
        (self.counts.tokens if token else self.counts.graphql).add(world.now)
        yield world.rng.lognormvariate(math.log(LATENCY_MEDIAN_S), LATENCY_SIGMA)
        return True
