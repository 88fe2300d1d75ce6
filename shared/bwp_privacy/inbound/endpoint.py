"""InboundFunction's function URL (AuthType NONE): a request from Slack or PagerDuty in; one
message on the inbound queue, or a refusal, out, within Slack's three seconds.

Anyone can reach the URL, so nothing is read before it is bounded, and nothing is parsed before
its signature holds over the raw bytes. In order: the method (POST), the path (which sender),
the size (64 KB), the content type (Slack's form, PagerDuty's JSON), the signature, then the
payload (pydantic), then who (Slack's workspace and users; PagerDuty's incident key). Each
refusal is counted (`REFUSED_METRIC`, dimension ``reason``) and answered with a status and a
fixed message: never the request's text, never a secret.

Paths: ``POST /slack/actions`` (the Slack app's interactivity URL) and
``POST /pagerduty/webhooks`` (the webhook subscription's URL), both under the function URL.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from bwp_privacy.common import MetricsSink, iso_z
from bwp_privacy.contract.inbound import PagerDutyAction, SlackAction
from bwp_privacy.inbound.pagerduty_payloads import IgnoredEvent, parse_pagerduty_body
from bwp_privacy.inbound.refusals import IGNORED_METRIC, QUEUED_METRIC, REFUSED_METRIC, Refused
from bwp_privacy.inbound.secrets import PagerDutyWebhookSecret, SlackInboundSecret
from bwp_privacy.inbound.settings import InboundSettings
from bwp_privacy.inbound.signatures import verify_pagerduty, verify_slack
from bwp_privacy.inbound.slack_actions import (
    ModalErrors,
    button_request,
    close_modal,
    close_submission,
)
from bwp_privacy.inbound.slack_api import SlackApiError, ViewOpener
from bwp_privacy.inbound.slack_payloads import BlockActions, ViewSubmission, parse_slack_body

logger = Logger(child=True)

SLACK_PATH = "/slack/actions"
PAGERDUTY_PATH = "/pagerduty/webhooks"
#: The largest body taken, in bytes (Slack's and PagerDuty's are a few kilobytes).
MAX_BODY = 65_536
SLACK_CONTENT_TYPE = "application/x-www-form-urlencoded"
PAGERDUTY_CONTENT_TYPE = "application/json"
NOT_ALLOWED = "You are not allowed to act on privacy cases from Slack."


class Queue(Protocol):
    """Where a verified request goes (the inbound queue; a test passes a list)."""

    def send(self, body: str) -> None: ...


@dataclass(frozen=True)
class Inbound:
    """Everything a request needs, built once per execution environment (`build_inbound`)."""

    settings: InboundSettings
    queue: Queue
    metrics: MetricsSink
    slack_secret: Callable[[], SlackInboundSecret]
    pagerduty_secret: Callable[[], PagerDutyWebhookSecret]
    #: The modal opener for the Slack secret's bot token (None: no bot token).
    views: Callable[[SlackInboundSecret], ViewOpener | None]
    #: Now, in epoch seconds (Slack's window, the message's ``receivedAt``).
    clock: Callable[[], float]

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        """One function URL request (payload format 2.0); the answer."""
        try:
            return self._handle(event)
        except Refused as refused:
            self.metrics.count(REFUSED_METRIC, reason=refused.reason)
            logger.info("Inbound request refused", extra={"reason": refused.reason})
            if refused.reason == "unknown-team":
                return _json(200, {"response_type": "ephemeral", "text": refused.message})
            return _json(refused.status, {"error": refused.message})

    def _handle(self, event: dict[str, Any]) -> dict[str, Any]:
        http = (event.get("requestContext") or {}).get("http") or {}
        if http.get("method") != "POST":
            raise Refused("method", 405, "POST a Slack action or a PagerDuty webhook")
        path = event.get("rawPath")
        if path not in (SLACK_PATH, PAGERDUTY_PATH):
            raise Refused("not-found", 404, f"POST to {SLACK_PATH} or {PAGERDUTY_PATH}")
        slack = path == SLACK_PATH
        if not (self.settings.takes_slack if slack else self.settings.takes_pagerduty):
            raise Refused("not-configured", 404, "this stack takes no such request")
        body = _body(event)
        headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
        expected = SLACK_CONTENT_TYPE if slack else PAGERDUTY_CONTENT_TYPE
        if _media_type(headers.get("content-type")) != expected:
            raise Refused("content-type", 415, f"send {expected}")
        return self._slack(headers, body) if slack else self._pagerduty(headers, body)

    # -- Slack ------------------------------------------------------------------------------

    def _slack(self, headers: dict[str, Any], body: bytes) -> dict[str, Any]:
        secret = self.slack_secret()
        signature = _header(headers, "x-slack-signature")
        verify_slack(
            secret.signing_secret.get_secret_value(),
            _header(headers, "x-slack-request-timestamp"),
            signature,
            body,
            self.clock(),
        )
        assert signature is not None  # verified
        payload = parse_slack_body(body)
        if payload.team.id != self.settings.slack_team_id:
            raise Refused("unknown-team", 200, NOT_ALLOWED)
        allowed = payload.user.id in self.settings.slack_allowed_users
        request_id = hashlib.sha256(signature.encode()).hexdigest()
        if isinstance(payload, ViewSubmission):
            return self._close_submitted(payload, request_id, allowed)
        return self._button(payload, request_id, allowed, secret)

    def _button(
        self, payload: BlockActions, request_id: str, allowed: bool, secret: SlackInboundSecret
    ) -> dict[str, Any]:
        press = button_request(payload.actions[0])
        response_url = self._response_url(payload.response_url)
        if press.request is None and allowed:
            # The close button: the modal asks how and why; its submission is the request.
            views = self.views(secret)
            if views is None or not payload.trigger_id:
                raise Refused("not-configured", 400, "closing from Slack needs the bot token")
            try:
                views.open_view(payload.trigger_id, close_modal(press.case_id, response_url))
            except SlackApiError as error:
                logger.warning("Close modal not opened", extra={"error": str(error)})
                return _json(502, {"error": "Slack did not open the close modal"})
            return _empty()
        request = press.request or {"action": "close", "caseId": press.case_id}
        self._queue_slack(payload, request_id, allowed, press.case_id, request, response_url)
        return _empty()

    def _close_submitted(
        self, payload: ViewSubmission, request_id: str, allowed: bool
    ) -> dict[str, Any]:
        try:
            submission = close_submission(payload)
        except ModalErrors as invalid:
            self.metrics.count(REFUSED_METRIC, reason="invalid-input")
            return _json(200, {"response_action": "errors", "errors": invalid.errors})
        response_url = self._response_url(submission.response_url)
        self._queue_slack(
            payload, request_id, allowed, submission.case_id, submission.request, response_url
        )
        return _empty()

    def _queue_slack(
        self,
        payload: BlockActions | ViewSubmission,
        request_id: str,
        allowed: bool,
        case_id: str,
        request: dict[str, Any],
        response_url: str | None,
    ) -> None:
        action = SlackAction(
            received_at=self._now(),
            request_id=request_id,
            team_id=payload.team.id,
            user_id=payload.user.id,
            allowed=allowed,
            case_id=case_id,
            request=request,
            response_url=response_url,
        )
        self.queue.send(action.model_dump_json(by_alias=True))
        self.metrics.count(QUEUED_METRIC, source="slack")
        logger.info(
            "Slack action queued",
            extra={"action": request.get("action"), "case_id": case_id, "allowed": allowed},
        )

    def _response_url(self, url: str | None) -> str | None:
        """Only a URL under Slack's own prefix is kept: the reaction posts there."""
        prefix = self.settings.slack_response_url_prefix
        return url if url and url.startswith(prefix) else None

    # -- PagerDuty --------------------------------------------------------------------------

    def _pagerduty(self, headers: dict[str, Any], body: bytes) -> dict[str, Any]:
        secrets = self.pagerduty_secret().values()
        verify_pagerduty(secrets, _header(headers, "x-pagerduty-signature"), body)
        try:
            event = parse_pagerduty_body(body)
        except IgnoredEvent:
            self.metrics.count(IGNORED_METRIC, reason="event-type")
            return _json(200, {"ignored": "an event type this stack does not record"})
        action = PagerDutyAction(
            received_at=self._now(),
            event_id=event.event_id,
            event_type=event.event_type,
            incident_id=event.incident_id,
            case_id=event.case_id,
            agent_id=event.agent_id,
            occurred_at=event.occurred_at,
            note=event.note,
            assignees=event.assignees,
        )
        self.queue.send(action.model_dump_json(by_alias=True))
        self.metrics.count(QUEUED_METRIC, source="pagerduty")
        logger.info(
            "PagerDuty event queued",
            extra={"event_type": event.event_type, "case_id": event.case_id},
        )
        return _json(200, {"queued": True})

    def _now(self) -> str:
        return iso_z(datetime.fromtimestamp(self.clock(), UTC), "seconds")


def _body(event: dict[str, Any]) -> bytes:
    """The raw body, exactly as sent (base64 when Lambda encoded it), bounded first."""
    raw = event.get("body") or ""
    if not isinstance(raw, str):
        raise Refused("malformed", 400, "the request has no readable body")
    # Bounded before anything is decoded: base64 is a third longer than what it holds.
    if len(raw) > MAX_BODY * 4 // 3 + 4:
        raise Refused("too-large", 413, f"a body of at most {MAX_BODY} bytes")
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise Refused("malformed", 400, "the body's encoding is not base64") from None
    else:
        try:
            body = raw.encode()
        except UnicodeError:  # a lone surrogate: no sender's text
            raise Refused("malformed", 400, "the body is not text") from None
    if len(body) > MAX_BODY:
        raise Refused("too-large", 413, f"a body of at most {MAX_BODY} bytes")
    return body


def _media_type(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return value.split(";", 1)[0].strip().lower()


def _header(headers: dict[str, Any], name: str) -> str | None:
    value = headers.get(name)
    return value if isinstance(value, str) else None


def _json(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }


def _empty() -> dict[str, Any]:
    """Slack's "received": 200 with an empty body (the answer comes through response_url)."""
    return {"statusCode": 200, "headers": {}, "body": ""}
