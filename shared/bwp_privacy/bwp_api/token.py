"""Access tokens for the Buy with Prime API, cached across warm invocations."""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

from bwp_privacy.bwp_api.credentials import ClientCredentials
from bwp_privacy.bwp_api.errors import AuthenticationError, TransientApiError
from bwp_privacy.common import retry_after_seconds

# Refresh this long before the announced expiry, so a token never expires mid-request.
EXPIRY_MARGIN_SECONDS = 60.0
#: Tokens last 15 minutes (documented); an announced lifetime is believed up to an hour, so an
#: answer of years (or of infinity) never keeps one token past its life.
DEFAULT_LIFETIME_SECONDS = 900.0
MAX_LIFETIME_SECONDS = 3600.0
#: A bearer token as it may go in a header: printable ASCII, no space (a line break in one
#: would end the header and start another).
_TOKEN = re.compile(r"[\x21-\x7e]{1,8192}")


@dataclass(frozen=True, slots=True)
class AccessToken:
    value: str
    expires_at: float  # time.monotonic() value


def request_access_token(
    session: requests.Session,
    token_url: str,
    credentials: ClientCredentials,
    timeout: float,
    clock: Callable[[], float] = time.monotonic,
) -> AccessToken:
    """Ask the token endpoint for a new access token.

    ASSUMPTION (undocumented by Buy with Prime): standard OAuth 2.0 client credentials, a
    form-encoded ``grant_type=client_credentials&client_id=…&client_secret=…`` answered by
    JSON ``{"access_token": …, "expires_in": seconds}``. Documented: tokens last 15 minutes.
    """
    started = clock()
    try:
        response = session.post(
            token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": credentials.client_id,
                "client_secret": credentials.client_secret.get_secret_value(),
            },
            headers={"Accept": "application/json"},
            timeout=timeout,
        )
    except requests.RequestException as error:
        raise TransientApiError(f"token request failed: {type(error).__name__}") from None
    if response.status_code in (400, 401, 403):
        raise AuthenticationError(
            f"token endpoint refused the client credentials (HTTP {response.status_code})"
        )
    if response.status_code == 429 or response.status_code >= 500:
        # Its Retry-After is honoured as the API's is: asking sooner earns another refusal.
        raise TransientApiError(
            f"token endpoint answered HTTP {response.status_code}",
            retry_after=retry_after_seconds(response.headers),
        )
    try:
        body = response.json()
        value = body["access_token"]
        lifetime = float(body.get("expires_in", DEFAULT_LIFETIME_SECONDS))
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError):
        # RecursionError: an answer nested too deeply for the parser ("[" * 5000).
        raise TransientApiError(
            f"token endpoint answered HTTP {response.status_code} without a token"
        ) from None
    if not isinstance(value, str) or not _TOKEN.fullmatch(value):
        raise TransientApiError("token endpoint answered an access_token that is not a token")
    if not math.isfinite(lifetime) or lifetime <= 0:
        lifetime = DEFAULT_LIFETIME_SECONDS
    return AccessToken(value=value, expires_at=started + min(lifetime, MAX_LIFETIME_SECONDS))


class TokenProvider:
    """Hands out a cached token until shortly before it expires; thread-safe."""

    def __init__(
        self,
        fetch: Callable[[float | None], AccessToken],
        clock: Callable[[], float] = time.monotonic,
        *,
        pace: Callable[[float | None], None] | None = None,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        # Waits for the token request's turn (the API budget); raises when it is further off
        # than the caller can wait.
        self._pace = pace
        self._token: AccessToken | None = None
        self._lock = threading.Lock()

    def get(self, *, timeout: float | None = None, within: float | None = None) -> str:
        """Return a valid token, fetching a new one when needed: after waiting at most
        ``within`` seconds for the request's turn, with a request ``timeout``."""
        with self._lock:
            token = self._token
            if token is None or self._clock() >= token.expires_at - EXPIRY_MARGIN_SECONDS:
                if self._pace is not None:
                    self._pace(within)
                token = self._token = self._fetch(timeout)
            return token.value

    def invalidate(self, value: str) -> None:
        """Forget ``value`` (answered 401) unless another thread already replaced it."""
        with self._lock:
            if self._token is not None and self._token.value == value:
                self._token = None
