from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from pydantic import SecretStr

from bwp_privacy.bwp_api import AccessToken, TokenProvider, TransientApiError
from bwp_privacy.bwp_api.credentials import ClientCredentials
from bwp_privacy.bwp_api.token import (
    DEFAULT_LIFETIME_SECONDS,
    EXPIRY_MARGIN_SECONDS,
    MAX_LIFETIME_SECONDS,
    request_access_token,
)


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_is_cached_until_shortly_before_expiry_and_invalidated_on_demand() -> None:
    clock = Clock()
    issued: list[str] = []

    def fetch(timeout: float | None) -> AccessToken:
        issued.append(f"t{len(issued) + 1}")
        return AccessToken(value=issued[-1], expires_at=clock.now + 900)

    tokens = TokenProvider(fetch, clock=clock)
    assert tokens.get() == "t1"
    clock.now += 900 - EXPIRY_MARGIN_SECONDS - 1
    assert tokens.get() == "t1"
    clock.now += 1
    assert tokens.get() == "t2"
    tokens.invalidate("t1")  # stale value: another caller already refreshed
    assert tokens.get() == "t2"
    tokens.invalidate("t2")
    assert tokens.get() == "t3"
    assert issued == ["t1", "t2", "t3"]


class _Answering(requests.Session):
    """A session whose token endpoint answers ``body`` (what a hostile or broken one might)."""

    def __init__(self, body: object) -> None:
        super().__init__()
        self._body = json.dumps(body).encode()

    def post(self, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        response = requests.Response()
        response.status_code = 200
        response._content = self._body
        return response


CREDENTIALS = ClientCredentials(client_id="client", client_secret=SecretStr("secret"))


@pytest.mark.parametrize(
    ("lifetime", "kept"),
    [(900, 900.0), (10**12, MAX_LIFETIME_SECONDS), (-5, DEFAULT_LIFETIME_SECONDS)],
)
def test_an_announced_lifetime_is_believed_within_bounds(lifetime: int, kept: float) -> None:
    session = _Answering({"access_token": "tok-1", "expires_in": lifetime})
    token = request_access_token(session, "https://t.test", CREDENTIALS, 5, clock=lambda: 0.0)
    assert token.expires_at == kept


@pytest.mark.parametrize(
    "value", ["tok\r\nX-Injected: 1", "tok en", "", "t" * 8193, 42, "jeton-\u00e9"]
)
def test_a_token_that_could_not_be_a_header_value_is_refused(value: object) -> None:
    session = _Answering({"access_token": value, "expires_in": 900})
    with pytest.raises(TransientApiError, match="not a token"):
        request_access_token(session, "https://t.test", CREDENTIALS, 5)


def test_only_a_token_request_waits_for_its_turn_of_the_budget() -> None:
    """Environments that start together would ask for tokens together: each token request
    first waits for its turn (the budget's pacer), as long as the caller can; a cached token
    waits for nothing."""
    clock = Clock()
    turns: list[float | None] = []
    provider = TokenProvider(
        lambda timeout: AccessToken(f"t{len(turns)}", clock.now + 900),
        clock,
        pace=turns.append,
    )
    assert provider.get(timeout=5.0, within=42.0) == "t1"
    assert provider.get(timeout=5.0, within=41.0) == "t1"  # cached: no turn taken
    assert turns == [42.0]
    clock.now += 900 - EXPIRY_MARGIN_SECONDS
    assert provider.get(timeout=5.0, within=7.0) == "t2"
    assert turns == [42.0, 7.0]


def test_a_token_request_whose_turn_is_too_far_off_is_not_sent() -> None:
    def spent(within: float | None) -> None:
        raise TransientApiError("API budget spent: the next free slot is 60.0 s away")

    def fetch(timeout: float | None) -> AccessToken:
        raise AssertionError("the token request was sent without its turn")

    provider = TokenProvider(fetch, Clock(), pace=spent)
    with pytest.raises(TransientApiError, match="budget spent"):
        provider.get(timeout=5.0, within=10.0)
