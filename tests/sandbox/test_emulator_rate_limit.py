"""The emulator's rate limit and its per-second counts, over real HTTP on 127.0.0.1: a token
bucket (rate = capacity = the limit) over GraphQL and token requests together, HTTP 429 with
Retry-After above it (and a ThrottlingError for GraphQL), read by the client as throttling.
The bucket's clock is injected: nothing here waits on the wall clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from pydantic import SecretStr

from bwp_privacy.bwp_api import ClientCredentials
from bwp_privacy.bwp_api.client import _read_response
from bwp_privacy.bwp_api.errors import ThrottlingApiError, TransientApiError
from bwp_sandbox.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, BwpEmulator

BP = "bp-30b55436-0000-4000-8000-000000000001"
TIMEOUT = 2.0
QUERY = "query Task($taskId: String!) { personalDataDeletionTask(taskId: $taskId) { taskId } }"


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def emulator() -> Iterator[BwpEmulator]:
    with BwpEmulator() as emu:
        yield emu


def token(emu: BwpEmulator) -> requests.Response:
    form = {
        "grant_type": "client_credentials",
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
    }
    return requests.post(emu.token_url, data=form, timeout=TIMEOUT)


def graphql(emu: BwpEmulator, bearer: str) -> requests.Response:
    return requests.post(
        emu.graphql_url,
        json={"query": QUERY, "variables": {"taskId": "t-1"}},
        headers={"Authorization": f"Bearer {bearer}", "x-api-target-id": BP},
        timeout=TIMEOUT,
    )


def test_no_limit_by_default_and_every_request_is_counted(emulator: BwpEmulator) -> None:
    clock = FakeClock(50.2)
    emulator.rate.set_limit(None, clock)
    bearer = token(emulator).json()["access_token"]
    statuses = [graphql(emulator, bearer).status_code for _ in range(30)]
    assert 429 not in statuses
    assert emulator.rate_limit is None
    assert emulator.rate_counts() == {
        50: {
            "graphql": {"served": 30, "throttled": 0},
            "token": {"served": 1, "throttled": 0},
        }
    }


def test_a_burst_of_the_limit_is_served_then_429_with_retry_after(emulator: BwpEmulator) -> None:
    bearer = token(emulator).json()["access_token"]
    clock = FakeClock(100.0)
    emulator.set_rate_limit(5, clock=clock)
    emulator.clear_rate_counts()
    served = [graphql(emulator, bearer) for _ in range(5)]
    assert [r.status_code for r in served] == [200] * 5
    throttled = graphql(emulator, bearer)
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "1"  # 0.2 s to the next slot: at least 1
    error = throttled.json()["errors"][0]
    assert error["extensions"]["classification"]["type"] == "ThrottlingError"
    # The client reads it as throttling, with the server's Retry-After.
    with pytest.raises(ThrottlingApiError) as caught:
        _read_response(throttled)
    assert caught.value.retry_after == 1
    # Token requests share the bucket.
    refused = token(emulator)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    # A slot frees at the rate: 0.2 s later, one more request.
    clock.now += 0.2
    assert graphql(emulator, bearer).status_code == 200
    assert graphql(emulator, bearer).status_code == 429
    assert emulator.rate_counts() == {
        100: {
            "graphql": {"served": 6, "throttled": 2},
            "token": {"served": 0, "throttled": 1},
        }
    }


def test_the_bucket_holds_no_more_than_the_limit_and_seconds_are_floored(
    emulator: BwpEmulator,
) -> None:
    bearer = token(emulator).json()["access_token"]
    clock = FakeClock(10.9)
    emulator.set_rate_limit(2, clock=clock)
    emulator.clear_rate_counts()
    assert [graphql(emulator, bearer).status_code for _ in range(3)] == [200, 200, 429]
    clock.now = 60.5  # long idle: the bucket refills to its capacity, not beyond
    assert [graphql(emulator, bearer).status_code for _ in range(3)] == [200, 200, 429]
    counts = emulator.rate_counts()
    assert list(counts) == [10, 60]
    assert counts[60]["graphql"] == {"served": 2, "throttled": 1}


def test_a_long_wait_is_said_in_whole_seconds(emulator: BwpEmulator) -> None:
    bearer = token(emulator).json()["access_token"]
    clock = FakeClock(0.0)
    emulator.set_rate_limit(0.25, clock=clock)  # one request per 4 s
    emulator.clear_rate_counts()
    answer = graphql(emulator, bearer)  # the bucket starts with 0.25: 3 s short of a slot
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "3"
    clock.now += 2.5  # 0.875 of a slot: half a second still to wait, said as 1
    assert graphql(emulator, bearer).headers["Retry-After"] == "1"
    clock.now += 0.5
    assert graphql(emulator, bearer).status_code == 200


def test_the_token_endpoint_answers_429_and_the_client_keeps_its_retry_after(
    emulator: BwpEmulator,
) -> None:
    from bwp_privacy.bwp_api.token import request_access_token

    clock = FakeClock(5.0)
    emulator.set_rate_limit(1, clock=clock)
    assert token(emulator).status_code == 200
    credentials = ClientCredentials(
        client_id=DEFAULT_CLIENT_ID, client_secret=SecretStr(DEFAULT_CLIENT_SECRET), target_id=BP
    )
    with pytest.raises(TransientApiError) as refused:
        request_access_token(requests.Session(), emulator.token_url, credentials, TIMEOUT)
    # The refusal's Retry-After travels with the error: the client waits that long.
    assert refused.value.retry_after == 1.0


def test_control_api_sets_the_limit_reads_and_clears_the_counts(emulator: BwpEmulator) -> None:
    def control(method: str, path: str, body: Any = None) -> Any:
        response = requests.request(
            method, f"{emulator.base_url}/_control/{path}", json=body, timeout=TIMEOUT
        )
        assert response.status_code == 200, response.text
        return response.json()

    assert control("POST", "rate-limit", {"perSecond": 3}) == {"perSecond": 3.0}
    bearer = token(emulator).json()["access_token"]
    graphql(emulator, bearer)
    counts = control("GET", "rate-counts")["counts"]
    assert sum(n["graphql"]["served"] + n["token"]["served"] for n in counts.values()) == 2
    control("DELETE", "rate-counts")
    assert control("GET", "rate-counts") == {"counts": {}}
    assert control("POST", "rate-limit", {"perSecond": None}) == {"perSecond": None}
    bad = requests.post(
        f"{emulator.base_url}/_control/rate-limit", json={"perSecond": -1}, timeout=TIMEOUT
    )
    assert bad.status_code == 400
    emulator.set_rate_limit(1)
    emulator.reset()
    assert emulator.rate_limit is None
    assert emulator.rate_counts() == {}
