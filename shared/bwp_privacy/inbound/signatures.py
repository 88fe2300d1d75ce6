"""The signatures of Slack's and PagerDuty's requests, checked on the raw bytes before anything
reads them (a request whose signature does not hold is never parsed).

Slack (https://api.slack.com/authentication/verifying-requests-from-slack): ``X-Slack-Signature``
is ``v0=`` and the hex HMAC-SHA256, keyed with the app's signing secret, of
``v0:{X-Slack-Request-Timestamp}:{body}``; a timestamp more than five minutes from now, either
way, is refused (a replay, or a clock that cannot be trusted).

PagerDuty (webhooks v3, "Verifying Signatures"): ``X-PagerDuty-Signature`` holds one or more
``v1=`` hex HMAC-SHA256 of the body, comma-separated, one per signing secret while one
rotates; a request is taken when any of them is the HMAC under any secret the stack holds.

Every comparison is constant-time (`hmac.compare_digest`), and no refusal says more than
which check failed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

from bwp_privacy.inbound.refusals import Refused

#: How far Slack's timestamp may be from now, either way.
SLACK_WINDOW_SECONDS = 300
_SLACK_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_PAGERDUTY_SIGNATURE = re.compile(r"v1=[0-9a-f]{64}")
#: The most ``v1=`` values read from one header (PagerDuty sends one per secret: two while
#: rotating).
MAX_PAGERDUTY_SIGNATURES = 8
#: The longest signature header read at all.
MAX_SIGNATURE_HEADER = 1024


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Slack-Signature`` Slack sends for ``body`` at ``timestamp``."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify_slack(
    secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float
) -> None:
    """Return when Slack signed ``body`` at a time within five minutes of ``now`` (epoch
    seconds); raise `Refused` (401) otherwise."""
    if not timestamp or not signature:
        raise Refused("missing-signature", 401, "the request is not signed as Slack signs")
    if not _TIMESTAMP.fullmatch(timestamp) or not _SLACK_SIGNATURE.fullmatch(signature):
        raise Refused("bad-signature", 401, "the request's signature does not hold")
    if abs(now - int(timestamp)) > SLACK_WINDOW_SECONDS:
        raise Refused("stale", 401, "the request's timestamp is more than five minutes from now")
    expected = slack_signature(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise Refused("bad-signature", 401, "the request's signature does not hold")


def pagerduty_signature(secret: str, body: bytes) -> str:
    """One ``v1=`` value of ``X-PagerDuty-Signature`` for ``body``."""
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_pagerduty(secrets: Iterable[str], header: str | None, body: bytes) -> None:
    """Return when any ``v1=`` value of ``header`` is ``body``'s HMAC under any of
    ``secrets``; raise `Refused` (401) otherwise."""
    if not header:
        raise Refused("missing-signature", 401, "the request is not signed as PagerDuty signs")
    values = [part.strip() for part in header[: MAX_SIGNATURE_HEADER + 1].split(",")]
    if (
        len(header) > MAX_SIGNATURE_HEADER
        or len(values) > MAX_PAGERDUTY_SIGNATURES
        or not all(_PAGERDUTY_SIGNATURE.fullmatch(value) for value in values)
    ):
        raise Refused("bad-signature", 401, "the request's signature does not hold")
    expected = [pagerduty_signature(secret, body).encode() for secret in secrets]
    # Every pair compared, whatever matched first: the time taken says nothing of which.
    matched = False
    for value in values:
        for candidate in expected:
            matched |= hmac.compare_digest(candidate, value.encode())
    if not matched:
        raise Refused("bad-signature", 401, "the request's signature does not hold")
