"""Generic signed webhook: a group's alerts as JSON, HMAC-SHA256 signed with a shared secret.

Receivers check ``X-Signature: sha256=<hex>`` over ``f"{X-Timestamp}." + body`` with
``verify_signature`` (copy it: it needs only the standard library).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Sequence

from bwp_privacy.alerting.alert import Alert
from bwp_privacy.alerting.receivers.base import Group
from bwp_privacy.alerting.receivers.http import JsonPoster
from bwp_privacy.budget import Budget

VERSION = "1"
TIMESTAMP_HEADER = "X-Timestamp"
SIGNATURE_HEADER = "X-Signature"
SIGNATURE_PREFIX = "sha256="


class WebhookReceiver:
    """POSTs a group's alerts, signed, to any HTTPS endpoint."""

    name: str = "webhook"
    grouped: bool = True

    def __init__(
        self,
        poster: JsonPoster,
        url: str,
        signing_secret: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._poster = poster
        self._url = url
        self._secret = signing_secret
        self._clock = clock

    def deliver(self, alerts: Sequence[Alert], group: Group, *, budget: Budget) -> None:
        """POST the signed body; any 2xx is success."""
        body = webhook_body(alerts, group)
        timestamp = str(int(self._clock()))
        headers = {
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
        }
        self._poster.post(
            self.name, self._url, body, headers=headers, success=range(200, 300), budget=budget
        )


def webhook_body(alerts: Sequence[Alert], group: Group) -> bytes:
    """The exact bytes that are signed and sent: compact JSON with sorted keys."""
    document = {
        "version": VERSION,
        "receiver": "webhook",
        "route": group.route,
        "groupLabels": group.labels,
        "alerts": [alert.model_dump(mode="json") for alert in alerts],
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Signature value: ``sha256=`` and the hex HMAC of ``f"{timestamp}."`` + body."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return SIGNATURE_PREFIX + digest.hexdigest()


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    now: float,
    tolerance_seconds: int = 300,
) -> bool:
    """True when ``signature`` is ours for this body and ``timestamp`` is within tolerance.

    The timestamp check stops replays of a captured request; the compare is constant-time.
    """
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance_seconds:
        return False
    expected = sign(secret, timestamp, body).encode()
    return hmac.compare_digest(expected, signature.encode("utf-8", "replace"))
