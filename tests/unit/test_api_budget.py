"""The API budget's arithmetic (GCRA without a burst), and what the client does with a spent
budget: pure, no I/O."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from typing import Any

import pytest

from bwp_privacy.api_budget import BudgetSpent, next_allowed, take_slot
from bwp_privacy.bwp_api import BwpClient, TokenProvider, TransientApiError
from bwp_privacy.bwp_api.token import AccessToken
from bwp_privacy.common import Backoff


def test_an_idle_budget_sends_at_once_and_a_busy_one_queues() -> None:
    assert take_slot(None, 100.0) == 100.0
    assert take_slot(99.5, 100.0) == 100.0  # the last slot is past: idle again
    assert take_slot(100.3, 100.0) == 100.3
    assert next_allowed(100.3, 0.1) == pytest.approx(100.4)


def test_a_slot_further_off_than_the_caller_can_wait_is_not_taken() -> None:
    assert take_slot(105.0, 100.0, latest=104.9) is None
    assert take_slot(105.0, 100.0, latest=105.0) == 105.0


@pytest.mark.parametrize("rate", [1, 3, 7, 10, 25])
def test_no_second_holds_more_than_the_rate(rate: int) -> None:
    """A thousand requests arriving at once (a storm's first second) and more arriving after:
    however the arrivals fall, each calendar second holds at most ``rate`` slots."""
    interval = math.ceil(1_000_000 / rate) / 1_000_000  # as DynamoPacer rounds it
    tat: float | None = None
    starts = []
    arrivals = [1000.0] * 1000 + [1000.0 + n * 0.013 for n in range(2000)]
    for now in arrivals:
        start = take_slot(tat, now)
        assert start is not None
        starts.append(start)
        tat = next_allowed(start, interval)
    per_second = Counter(math.floor(start) for start in starts)
    assert max(per_second.values()) == rate  # full, never over
    assert all(b - a >= interval - 1e-9 for a, b in itertools.pairwise(starts))


class _SpentPacer:
    def __init__(self) -> None:
        self.asked: list[float | None] = []

    def take(self, within: float | None) -> float | None:
        self.asked.append(within)
        raise BudgetSpent(42.0)


class _NoSession:
    """The request must not be sent when no slot was had."""

    def post(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a request was sent without a slot of the budget")


def test_a_spent_budget_is_a_transient_error_carrying_the_wait() -> None:
    pacer = _SpentPacer()
    now = [0.0]
    client = BwpClient(
        _NoSession(),  # type: ignore[arg-type]
        api_url="https://api.invalid/graphql",
        api_version="2024-11-01",
        tokens=TokenProvider(lambda _timeout: AccessToken("token", 1e9)),
        timeout_seconds=5.0,
        backoff=Backoff(max_attempts=3, base_seconds=0.01),
        pacer=pacer,
        clock=lambda: now[0],
        sleep=lambda seconds: None,
    )
    with pytest.raises(TransientApiError) as caught:
        client.get_deletion_task("bp", "t-1", deadline=30.0)
    assert caught.value.retry_after == 42.0
    assert "API budget spent" in caught.value.message
    # It waited no longer than the request could still start and be answered in time
    # (30 s, less the client's margin and a request's least time), and did not retry a wait
    # that does not fit.
    assert pacer.asked == [pytest.approx(30.0 - 1.0 - 0.25)]
