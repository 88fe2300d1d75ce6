"""HTTP receivers: POST JSON to an endpoint, retrying what the endpoint says is transient.

Every webhook-style receiver is one `HttpReceiver`: its module gives only the request (URL,
body, headers) for a group of alerts and the statuses that mean success."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from bwp_privacy.alerting.alert import Alert
from bwp_privacy.alerting.delivery.base import DeliveryError, Group, Threads
from bwp_privacy.common import (
    Backoff,
    Budget,
    OutOfTime,
    RetryableError,
    call_with_retries,
    clean_text,
    retry_after_seconds,
)

#: What of a refusal's body is kept as its reason (it goes to logs and the dead-letter queue).
ANSWER_LIMIT = 200
#: 408 Request Timeout and 429 Too Many Requests are worth another try; other 4xx are not.
RETRYABLE_STATUSES = frozenset({408, 429})


class _Retryable(RetryableError):
    def __init__(self, reason: str, retry_after: float | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


#: Statuses that say the request was not acted on (the others of a failure may have been).
_NOT_ACTED_ON = frozenset({408, 429})


class JsonPoster:
    """Shared by the HTTP receivers: keep-alive sessions, timeouts within the budget, backoff.

    Receivers are delivered side by side, one thread each: every receiver gets its own
    session, so no session is ever used by two threads at once.
    """

    def __init__(
        self,
        *,
        timeout_seconds: float = 5.0,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        session_factory: Callable[[], requests.Session] = requests.Session,
    ) -> None:
        self._timeout = timeout_seconds
        self._backoff = backoff or Backoff(max_attempts=3, base_seconds=0.5, cap_seconds=4.0)
        self._clock = clock
        self._sleep = sleep
        self._session_factory = session_factory
        self._sessions: dict[str, requests.Session] = {}
        self._lock = threading.Lock()

    def post(
        self,
        receiver: str,
        url: str,
        body: bytes,
        *,
        budget: Budget,
        headers: Mapping[str, str] | None = None,
        success: Collection[int] = (200, 201, 202, 204),
    ) -> requests.Response:
        """POST ``body`` as JSON within ``budget``; 408/429/5xx and network errors are retried
        (honouring Retry-After when it fits), other statuses are permanent refusals.

        Raises DeliveryError: its reason names the status and the receiver's answer, never the
        URL (webhook URLs are secrets); a retryable one carries the receiver's Retry-After.
        """
        session = self._session(receiver)
        uncertain = False  # some attempt's answer was lost: the receiver may have acted on it

        def attempt() -> requests.Response:
            nonlocal uncertain
            try:
                timeout = budget.request_timeout(self._timeout)
            except OutOfTime as error:
                raise DeliveryError(
                    receiver, f"not sent: {error}", retryable=True, maybe_sent=uncertain
                ) from None
            try:
                response = session.post(
                    url,
                    data=body,
                    headers={"Content-Type": "application/json", **(headers or {})},
                    timeout=timeout,
                )
            except requests.RequestException as error:
                # Only a connection that timed out being made is sure not to have reached the
                # receiver (a reset or a refusal looks the same to requests: assume it did).
                uncertain = uncertain or not isinstance(error, requests.ConnectTimeout)
                raise _Retryable(f"request failed: {type(error).__name__}", None) from None
            status = response.status_code
            if status in success:
                return response
            if status in RETRYABLE_STATUSES or status >= 500:
                uncertain = uncertain or status not in _NOT_ACTED_ON
                raise _Retryable(f"HTTP {status}", retry_after_seconds(response.headers))
            raise DeliveryError(
                receiver,
                f"HTTP {status}: {_answer(response)}",
                retryable=False,
                maybe_sent=uncertain,
            )

        try:
            return call_with_retries(
                attempt,
                self._backoff,
                deadline=budget.work_deadline,
                clock=self._clock,
                sleep=self._sleep,
            )
        except _Retryable as error:
            raise DeliveryError(
                receiver,
                error.reason,
                retryable=True,
                retry_after=error.retry_after,
                maybe_sent=uncertain,
            ) from None

    def _session(self, receiver: str) -> requests.Session:
        with self._lock:
            if receiver not in self._sessions:
                self._sessions[receiver] = self._session_factory()
            return self._sessions[receiver]


def _answer(response: requests.Response) -> str:
    """The receiver's answer on one short line, emails masked (it may quote our payload)."""
    return clean_text(response.text, ANSWER_LIMIT) or "(empty answer)"


@dataclass(frozen=True)
class HttpRequest:
    """One POST: where, what, and any headers beyond ``Content-Type: application/json``."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def json_body(document: Any) -> bytes:
    """Compact JSON, as every receiver sends it."""
    return json.dumps(document, separators=(",", ":")).encode()


#: Builds the request for a group of alerts (one alert when the receiver is not grouped).
RequestBuilder = Callable[[Sequence[Alert], Group], HttpRequest]


class HttpReceiver:
    """A webhook-style receiver: renders a request per call and POSTs it with `JsonPoster`."""

    def __init__(
        self,
        name: str,
        *,
        grouped: bool,
        poster: JsonPoster,
        request: RequestBuilder,
        success: Collection[int],
        send_resolved: bool = True,
    ) -> None:
        self.name = name
        self.grouped = grouped
        self.send_resolved = send_resolved
        self._poster = poster
        self._request = request
        self._success = success

    def deliver(
        self,
        alerts: Sequence[Alert],
        group: Group,
        *,
        budget: Budget,
        threads: Threads | None = None,
    ) -> Threads | None:
        """POST the group (grouped) or each alert (not grouped); raise DeliveryError. A
        webhook keeps no message to edit: ``threads`` is not used."""
        batches = [alerts] if self.grouped else [[alert] for alert in alerts]
        for batch in batches:
            request = self._request(batch, group)
            self._poster.post(
                self.name,
                request.url,
                request.body,
                headers=request.headers,
                success=self._success,
                budget=budget,
            )
        return None
