"""Exponential backoff with full jitter, bounded by attempts and by a deadline."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


class RetryableError(Exception):
    """An error worth another attempt; `retry_after` is the server's hint in seconds."""

    retry_after: float | None = None


@dataclass
class Backoff:
    """Full-jitter backoff (AWS Architecture Blog): sleep U(0, min(cap, base * 2**n))."""

    max_attempts: int = 5
    base_seconds: float = 0.2
    cap_seconds: float = 5.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        A server's ``Retry-After`` is honoured in full, never capped: retrying sooner only
        earns another refusal. When it does not fit in the time left, the caller gives up
        and hands the hint on (`call_with_retries` re-raises the error that carries it).
        """
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 1))
        jittered = self.rng.uniform(0, ceiling)
        return max(jittered, retry_after) if retry_after else jittered


def call_with_retries(
    operation: Callable[[], T],
    backoff: Backoff,
    *,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``operation``, retrying RetryableError until attempts or the deadline run out.

    The deadline is a ``clock()`` value; no retry starts if its wait would cross it. The last
    error is re-raised unchanged when the budget is spent.
    """
    attempt = 1
    while True:
        try:
            return operation()
        except RetryableError as error:
            if attempt >= backoff.max_attempts:
                raise
            wait = backoff.delay(attempt, error.retry_after)
            if deadline is not None and clock() + wait >= deadline:
                raise
            sleep(wait)
            attempt += 1


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """An HTTP answer's ``Retry-After`` in seconds, or None if absent or not a number."""
    value = headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
