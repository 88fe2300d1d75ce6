"""Generic signed webhook: a group's alerts as JSON, HMAC-SHA256 signed with a shared secret.

Document version 2 (as Alertmanager's webhook): the group's ``status`` and, per alert, its
``status`` (``firing`` or ``resolved``), ``fingerprint`` (stable per case) and ``case_id``.
Version 1 used ``status`` for the task's Buy with Prime status; version 2 calls that
``task_status``, which is why the version changed.

Receivers check ``X-Signature: sha256=<hex>`` over ``f"{X-Timestamp}." + body`` with
``verify_signature`` (copy it: it needs only the standard library).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bwp_privacy.alerting.alert import Alert
from bwp_privacy.alerting.delivery import Group, HttpRequest, ReceiverContext, http_spec

VERSION = "2"
TIMESTAMP_HEADER = "X-Timestamp"
SIGNATURE_HEADER = "X-Signature"
SIGNATURE_PREFIX = "sha256="


#: The example's signing secret (the sandbox's set-up): a value to replace.
EXAMPLE_SIGNING_SECRET = "change-me-to-a-long-random-value"  # noqa: S105 (refused below)
#: Words that mark a value as a placeholder, in any case and with or without separators.
_PLACEHOLDER_WORDS = ("changeme", "replaceme", "placeholder", "yoursecret", "secrethere")


class WebhookSecret(BaseModel):
    """The secret's JSON: ``{"url": "https://…", "signingSecret": "…"}`` (16 characters or
    more, random: share it with the receiving end). A placeholder (the example's value, one
    that says "change me", one or two characters repeated) is refused: anyone could sign
    with it."""

    # A refusal names the field, never the value (it may be the real secret, mistyped).
    model_config = ConfigDict(populate_by_name=True, hide_input_in_errors=True)
    url: str = Field(pattern=r"^https?://")
    signing_secret: str = Field(alias="signingSecret", min_length=16)

    @field_validator("signing_secret")
    @classmethod
    def _not_a_placeholder(cls, value: str) -> str:
        letters = "".join(c for c in value.lower() if c.isalnum())
        if (
            value == EXAMPLE_SIGNING_SECRET
            or any(word in letters for word in _PLACEHOLDER_WORDS)
            or len(set(letters)) <= 2
        ):
            raise ValueError(
                "signingSecret is a placeholder, not a secret: set a long random value"
                " (for example `openssl rand -hex 32`) and share it with the receiving end"
            )
        return value


def build_request(
    alerts: Sequence[Alert], group: Group, secret: WebhookSecret, context: ReceiverContext
) -> HttpRequest:
    body = webhook_body(alerts, group)
    timestamp = str(int(context.clock()))
    headers = {
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret.signing_secret, timestamp, body),
    }
    return HttpRequest(secret.url, body, headers)


#: Any 2xx is success.
SPEC = http_spec(
    name="webhook",
    grouped=True,
    parameter="WebhookSecretName",
    secret=WebhookSecret,
    request=build_request,
    success=tuple(range(200, 300)),
    example_secret=lambda url: {"url": url, "signingSecret": EXAMPLE_SIGNING_SECRET},
)


def webhook_body(alerts: Sequence[Alert], group: Group) -> bytes:
    """The exact bytes that are signed and sent: compact JSON with sorted keys."""
    firing = any(not alert.resolved for alert in alerts)
    document = {
        "version": VERSION,
        "status": "firing" if firing else "resolved",
        "receiver": "webhook",
        "route": group.route,
        "groupLabels": group.labels,
        "alerts": [
            {**alert.model_dump(mode="json"), "fingerprint": alert.fingerprint} for alert in alerts
        ],
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
