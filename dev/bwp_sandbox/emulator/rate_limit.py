"""The API's request rate: an optional limit over GraphQL and token requests together (a token
bucket on a real clock), and a count of every request per second of that clock, by kind and
by outcome. No limit by default: every request is served, and counted."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Literal

RequestKind = Literal["graphql", "token"]
Outcome = Literal["served", "throttled"]
KINDS: tuple[RequestKind, ...] = ("graphql", "token")
OUTCOMES: tuple[Outcome, ...] = ("served", "throttled")


class RateLimiter:
    """A token bucket (rate = capacity = the limit, requests per second; a capacity of at
    least one) over every API
    request, and the requests counted per whole second of the clock (``floor(clock())``)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._limit: float | None = None
        self._tokens = 0.0
        self._last = 0.0
        self._counts: dict[int, Counter[tuple[RequestKind, Outcome]]] = {}

    @property
    def limit(self) -> float | None:
        """Requests per second the API serves (None: no limit)."""
        with self._lock:
            return self._limit

    def set_limit(self, per_second: float | None, clock: Callable[[], float] | None = None) -> None:
        """Serve at most ``per_second`` requests per second from now on, bursts of that many
        (the bucket starts full); None lifts the limit. ``clock`` replaces the clock (tests)."""
        if per_second is not None and not (math.isfinite(per_second) and per_second > 0):
            raise ValueError(f"a rate limit must be a positive number, not {per_second!r}")
        with self._lock:
            if clock is not None:
                self._clock = clock
            self._limit = per_second
            self._tokens = per_second or 0.0
            self._last = self._clock()

    def admit(self, kind: RequestKind) -> float | None:
        """Take a slot for a request of ``kind``: None when it is served, else the seconds
        until a slot frees (the request is throttled). Either way it is counted."""
        with self._lock:
            now = self._clock()
            wait: float | None = None
            if self._limit is not None:
                elapsed = max(0.0, now - self._last)
                capacity = max(1.0, self._limit)  # a limit below 1/s still serves one
                self._tokens = min(capacity, self._tokens + elapsed * self._limit)
                self._last = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                else:
                    wait = (1.0 - self._tokens) / self._limit
            outcome: Outcome = "served" if wait is None else "throttled"
            self._counts.setdefault(math.floor(now), Counter())[kind, outcome] += 1
            return wait

    def counts(self) -> dict[int, dict[str, dict[str, int]]]:
        """Requests per second of the clock: {second: {kind: {outcome: n}}}, every kind and
        outcome present, seconds in order (a second without requests is absent)."""
        with self._lock:
            return {
                second: {
                    kind: {outcome: counter[kind, outcome] for outcome in OUTCOMES}
                    for kind in KINDS
                }
                for second, counter in sorted(self._counts.items())
            }

    def clear_counts(self) -> None:
        """Forget the counts (not the limit)."""
        with self._lock:
            self._counts.clear()

    def reset(self) -> None:
        """No limit, no counts."""
        with self._lock:
            self._limit = None
            self._tokens = 0.0
            self._counts.clear()


def retry_after_header(wait: float) -> str:
    """``Retry-After`` in whole seconds, at least 1."""
    return str(max(1, math.ceil(wait)))
