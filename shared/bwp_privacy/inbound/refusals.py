"""A request the inbound function does not take: why (a metric dimension), the HTTP status it
is answered with, and a fixed message that never quotes the request or a secret."""

from __future__ import annotations

from typing import Literal

from bwp_privacy.common import BwpPrivacyError

#: The metric each refusal is counted in, dimension ``reason``.
REFUSED_METRIC = "InboundRefused"
#: The metric each request queued for the reaction is counted in, dimension ``source``
#: (slack, pagerduty).
QUEUED_METRIC = "InboundQueued"
#: The metric each verified request that is not acted on is counted in (PagerDuty event types
#: the stack does not record), dimension ``reason``.
IGNORED_METRIC = "InboundIgnored"

Reason = Literal[
    "method",
    "not-found",
    "not-configured",
    "too-large",
    "content-type",
    "missing-signature",
    "bad-signature",
    "stale",
    "malformed",
    "unknown-team",
    "unknown-action",
    "invalid-input",
    "foreign-incident",
]


class Refused(BwpPrivacyError):
    """Raised where a request is refused; the endpoint answers it and counts ``reason``."""

    def __init__(self, reason: Reason, status: int, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason
        self.status = status
        self.message = message
