"""POST JSON to a receiver's HTTPS endpoint, retrying what the endpoint says is transient."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping

import requests

from bwp_privacy.alerting.receivers.base import DeliveryError
from bwp_privacy.retry import Backoff, RetryableError, call_with_retries, retry_after_seconds


class _Retryable(RetryableError):
    def __init__(self, reason: str, retry_after: float | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class JsonPoster:
    """Shared by the HTTP receivers: one keep-alive session, timeouts, backoff."""

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        timeout_seconds: float = 5.0,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._session = session or requests.Session()
        self._timeout = timeout_seconds
        self._backoff = backoff or Backoff(max_attempts=3, base_seconds=0.5, cap_seconds=4.0)
        self._clock = clock
        self._sleep = sleep

    def post(
        self,
        receiver: str,
        url: str,
        body: bytes,
        *,
        headers: Mapping[str, str] | None = None,
        success: Collection[int] = (200, 201, 202, 204),
        deadline: float | None = None,
    ) -> requests.Response:
        """POST ``body`` as JSON; 429/5xx/network errors are retried, other statuses are not.

        Raises DeliveryError. Its reason names the status, never the URL (URLs of webhooks
        are secrets).
        """

        def attempt() -> requests.Response:
            timeout = self._timeout
            if deadline is not None:
                timeout = max(0.1, min(timeout, deadline - self._clock()))
            try:
                response = self._session.post(
                    url,
                    data=body,
                    headers={"Content-Type": "application/json", **(headers or {})},
                    timeout=timeout,
                )
            except requests.RequestException as error:
                raise _Retryable(f"request failed: {type(error).__name__}", None) from None
            if response.status_code in success:
                return response
            if response.status_code == 429 or response.status_code >= 500:
                raise _Retryable(
                    f"HTTP {response.status_code}", retry_after_seconds(response.headers)
                )
            raise DeliveryError(receiver, f"HTTP {response.status_code}", retryable=False)

        try:
            return call_with_retries(
                attempt, self._backoff, deadline=deadline, clock=self._clock, sleep=self._sleep
            )
        except _Retryable as error:
            raise DeliveryError(receiver, error.reason, retryable=True) from None
