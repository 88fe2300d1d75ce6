import random

import pytest

from bwp_privacy.common import Backoff, RetryableError, call_with_retries


class Flaky:
    def __init__(self, failures: int, retry_after: float | None = None) -> None:
        self.failures = failures
        self.calls = 0
        self.retry_after = retry_after

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            error = RetryableError(f"failure {self.calls}")
            error.retry_after = self.retry_after
            raise error
        return "ok"


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_retries_until_success_with_full_jitter_under_the_exponential_ceiling() -> None:
    clock = FakeTime()
    flaky = Flaky(failures=4)
    backoff = Backoff(max_attempts=5, base_seconds=0.2, cap_seconds=1.0, rng=random.Random(7))
    assert call_with_retries(flaky, backoff, clock=lambda: clock.now, sleep=clock.sleep) == "ok"
    assert flaky.calls == 5
    ceilings = [0.2, 0.4, 0.8, 1.0]
    assert all(0 <= s <= c for s, c in zip(clock.sleeps, ceilings, strict=True))


def test_gives_up_after_max_attempts_with_the_last_error() -> None:
    clock = FakeTime()
    flaky = Flaky(failures=10)
    with pytest.raises(RetryableError, match="failure 3"):
        call_with_retries(
            flaky, Backoff(max_attempts=3), clock=lambda: clock.now, sleep=clock.sleep
        )
    assert flaky.calls == 3


def test_no_retry_starts_past_the_deadline() -> None:
    clock = FakeTime()
    flaky = Flaky(failures=10, retry_after=2.0)
    backoff = Backoff(max_attempts=10, cap_seconds=5.0, rng=random.Random(1))
    with pytest.raises(RetryableError):
        call_with_retries(flaky, backoff, deadline=5.0, clock=lambda: clock.now, sleep=clock.sleep)
    assert clock.now < 5.0
    assert flaky.calls == 3  # two 2-second waits fit, a third would cross the deadline
    assert clock.sleeps == [2.0, 2.0]


def test_a_retry_after_longer_than_the_backoff_cap_is_honoured_in_full() -> None:
    clock = FakeTime()
    flaky = Flaky(failures=1, retry_after=30.0)
    backoff = Backoff(max_attempts=3, cap_seconds=4.0, rng=random.Random(1))
    call_with_retries(flaky, backoff, deadline=60.0, clock=lambda: clock.now, sleep=clock.sleep)
    assert clock.sleeps == [30.0]
    # It does not fit before the deadline: no wait, the error (and its hint) goes up.
    clock, flaky = FakeTime(), Flaky(failures=1, retry_after=30.0)
    with pytest.raises(RetryableError) as caught:
        call_with_retries(flaky, backoff, deadline=10.0, clock=lambda: clock.now, sleep=clock.sleep)
    assert clock.sleeps == []
    assert caught.value.retry_after == 30.0


def test_other_errors_are_not_retried() -> None:
    calls = []

    def broken() -> None:
        calls.append(1)
        raise ValueError("bad")

    with pytest.raises(ValueError, match="bad"):
        call_with_retries(broken, Backoff(), sleep=lambda _: None)
    assert calls == [1]
