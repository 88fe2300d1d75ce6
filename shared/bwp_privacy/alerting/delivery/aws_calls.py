"""Turn a failed AWS call of a receiver (SNS, EventBridge) into a DeliveryError."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    HTTPClientError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from bwp_privacy.alerting.delivery.base import DeliveryError
from bwp_privacy.common import MIN_REQUEST_SECONDS, Budget, OutOfTime

_RETRYABLE_CODES = frozenset(
    {
        "Throttled",
        "Throttling",
        "ThrottlingException",
        "KMSThrottling",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "InternalError",
        "InternalException",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)


def aws_error_retryable(code: str, status: int | None) -> bool:
    """Whether an AWS error code (or its HTTP status) says a later attempt may succeed."""
    return code in _RETRYABLE_CODES or status == 429 or (status is not None and status >= 500)


@contextmanager
def delivery_errors(receiver: str, operation: str, budget: Budget) -> Iterator[None]:
    """Raise DeliveryError for a failed call, naming the code and status, never the payload;
    no call starts when the budget has too little left (the client's own timeouts bound it)."""
    try:
        budget.request_timeout(MIN_REQUEST_SECONDS)
    except OutOfTime as error:
        raise DeliveryError(receiver, f"not sent: {error}", retryable=True) from None
    try:
        yield
    except ClientError as error:
        code, status = _code_and_status(error)
        raise DeliveryError(
            receiver,
            f"{operation} failed: {code} (HTTP {status})",
            retryable=aws_error_retryable(code, status),
            maybe_sent=status is not None and status >= 500,
        ) from None
    except (BotoConnectionError, HTTPClientError) as error:
        reason = f"{operation} failed: {type(error).__name__}"
        # Only a connection never made is sure not to have reached the service.
        unsure = not isinstance(error, EndpointConnectionError)
        raise DeliveryError(receiver, reason, retryable=True, maybe_sent=unsure) from None
    except BotoCoreError as error:
        reason = f"{operation} failed: {type(error).__name__}"
        raise DeliveryError(receiver, reason, retryable=False) from None


def _code_and_status(error: Any) -> tuple[str, int | None]:
    response = getattr(error, "response", None) or {}
    code = str(response.get("Error", {}).get("Code") or "Unknown")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code, status if isinstance(status, int) else None
