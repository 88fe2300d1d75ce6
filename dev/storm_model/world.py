"""Simulated time: a heap of timed actions, and processes written as generators that yield the
seconds they wait (a request's latency, a wait for a slot). Nothing sleeps; time jumps from
one action to the next. One seeded RNG makes every run of a seed the same run.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable, Generator
from datetime import UTC, datetime, timedelta
from typing import Any

#: The storm's first second (simulated time 0): a Monday, as the lead's sandbox storm.
EPOCH = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

#: A process: yields seconds to wait, returns its outcome.
Process = Generator[float, None, Any]


class World:
    def __init__(self, seed: int) -> None:
        self.now = 0.0
        self.rng = random.Random(seed)
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self.actions = 0

    def at(self, when: float, action: Callable[[], None]) -> None:
        # The sequence number keeps actions of one instant in the order they were planned.
        heapq.heappush(self._heap, (max(when, self.now), next(self._order), action))

    def after(self, delay: float, action: Callable[[], None]) -> None:
        self.at(self.now + delay, action)

    def start(self, process: Process, done: Callable[[Any], None] | None = None) -> None:
        """Run ``process`` from now: to its first wait, then on after each."""
        self._step(process, done)

    def _step(self, process: Process, done: Callable[[Any], None] | None) -> None:
        try:
            wait = next(process)
        except StopIteration as stop:
            if done is not None:
                done(stop.value)
            return
        self.after(wait, lambda: self._step(process, done))

    def run(self) -> None:
        while self._heap:
            when, _, action = heapq.heappop(self._heap)
            self.now = when
            self.actions += 1
            action()

    def moment(self, seconds: float | None = None) -> datetime:
        """Simulated seconds as the datetime the real decisions are given."""
        return EPOCH + timedelta(seconds=self.now if seconds is None else seconds)

    def seconds(self, moment: datetime) -> float:
        return (moment - EPOCH).total_seconds()


class PerSecond:
    """Counts by the simulated second they fall in (peaks and percentiles of rates)."""

    def __init__(self) -> None:
        self.counts: dict[int, float] = {}
        self.total = 0.0

    def add(self, at: float, amount: float = 1.0) -> None:
        second = int(at // 1)
        self.counts[second] = self.counts.get(second, 0.0) + amount
        self.total += amount

    def peak(self) -> float:
        return max(self.counts.values(), default=0.0)

    def peak_second(self) -> int | None:
        if not self.counts:
            return None
        return max(self.counts, key=lambda s: (self.counts[s], -s))

    def percentile(self, q: float) -> float:
        """The ``q`` percentile of the per-second counts over the seconds that had any."""
        values = sorted(self.counts.values())
        if not values:
            return 0.0
        index = min(len(values) - 1, max(0, round(q / 100 * len(values)) - 1))
        return values[index]

    def busy_seconds(self) -> int:
        return len(self.counts)
