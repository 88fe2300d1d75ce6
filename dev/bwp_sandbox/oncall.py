"""The on-call engineer, played: Slack's and PagerDuty's signed requests, as those services
send them, to the stack's inbound function URL.

Slack (`SlackOnCall`): it finds a case's message among those the sink holds (the router's bot
posted it), "clicks" one of its buttons (Slack's ``block_actions`` payload, with a trigger id
and a response URL the sink plays), or submits the close modal the inbound function opened
with ``views.open`` (``view_submission``, with the view the sink recorded); each payload is
form-encoded as ``payload=<JSON>`` and signed as Slack signs it: ``X-Slack-Signature`` =
``v0=`` + hex HMAC-SHA256 of ``v0:<timestamp>:<raw body>`` with the app's signing secret, and
``X-Slack-Request-Timestamp``.

PagerDuty (`PagerDutyOnCall`): a webhook v3 event about the incident the router triggered for
a case (the incident's ``incident_key`` is the Events API's ``dedup_key``: the case id), signed
as PagerDuty signs it: ``X-PagerDuty-Signature`` = ``v1=<hex HMAC-SHA256 of the raw body>``,
one per signing secret, comma-separated while a secret rotates. Shapes follow PagerDuty's v3
documentation: an ``incident.annotated`` event's data is an ``incident_note`` that names its
incident by reference (id) and carries no ``incident_key``.

Every builder is pure (a payload, a body, a signature); ``click``, ``submit_close`` and
``send`` POST over HTTP and answer what came back with what was sent. Nothing here is a
secret of a real service: the sandbox's secrets are the sandbox's.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import requests

from bwp_privacy.contract.inbound import (
    CLOSE_MODAL_ANSWER_ACTION,
    CLOSE_MODAL_ANSWER_BLOCK,
    CLOSE_MODAL_GROUND_ACTION,
    CLOSE_MODAL_GROUND_BLOCK,
    CLOSE_MODAL_REASON_ACTION,
    CLOSE_MODAL_REASON_BLOCK,
    SLACK_CLOSE_MODAL,
    PagerDutyEventType,
    slack_button_parts,
)

# Signed with the inbound function's own HMAC (Slack's documented example is its unit test);
# tests/sandbox/test_oncall.py checks each signature with an HMAC of its own.
from bwp_privacy.inbound import pagerduty_signature as signature_of
from bwp_privacy.inbound import slack_signature
from bwp_sandbox.inbound import SLACK_ALLOWED_USER, SLACK_TEAM_ID
from bwp_sandbox.sink import ReceiverSink

#: The sandbox's Slack workspace, on-call engineer and app (ids of Slack's grammar).
#: The sandbox's workspace and the one user allowed to act there (the stack's parameters).
SANDBOX_TEAM = SLACK_TEAM_ID
SANDBOX_TEAM_DOMAIN = "bwp-sandbox"
ONCALL_USER = SLACK_ALLOWED_USER
ONCALL_USERNAME = "oncall"
SANDBOX_APP = "A0BWPPRIV1"
SLACK_SIGNATURE_HEADER = "X-Slack-Signature"
SLACK_TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
FORM = "application/x-www-form-urlencoded"

PAGERDUTY_SIGNATURE_HEADER = "X-PagerDuty-Signature"
#: The sandbox's PagerDuty user who acts, and the service the router's incidents are on.
PAGERDUTY_AGENT = "PONCALL"
PAGERDUTY_AGENT_NAME = "Sandbox On-Call"
PAGERDUTY_SERVICE = "PBWPPRV"
PAGERDUTY_SUBSCRIPTION = "PSANDBX"
PAGERDUTY_WEB = "https://bwp-sandbox.pagerduty.com"
PAGERDUTY_API = "https://api.pagerduty.com"

#: The event types the stack subscribes to.
PagerDutyEvent = PagerDutyEventType
#: The incident's status after each event (annotated and reassigned leave it triggered).
_STATUS_AFTER = {
    "incident.triggered": "triggered",
    "incident.acknowledged": "acknowledged",
    "incident.resolved": "resolved",
    "incident.annotated": "triggered",
    "incident.reassigned": "triggered",
}


@dataclass(frozen=True)
class Sent:
    """One request sent and its answer: what the inbound function said, and exactly what it
    was given (the payload, the raw body, the headers) to check it against."""

    status: int
    answer: bytes
    payload: dict[str, Any]
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        """The answer as JSON (None when empty or not JSON)."""
        try:
            return json.loads(self.answer) if self.answer else None
        except ValueError:
            return None


@dataclass(frozen=True)
class Button:
    """A button of a message the sink holds: where it is and what it says."""

    block_id: str
    action_id: str
    value: str
    text: str


@dataclass(frozen=True)
class CaseMessage:
    """The bot's message of a case as Slack keeps it (the sink's copy)."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]

    @property
    def buttons(self) -> list[Button]:
        """Its buttons, in order (none once the case ended)."""
        return [
            Button(
                block_id=str(block.get("block_id", "")),
                action_id=str(element.get("action_id", "")),
                value=str(element.get("value", "")),
                text=str(element.get("text", {}).get("text", "")),
            )
            for block in self.blocks
            if block.get("type") == "actions"
            for element in block.get("elements", [])
            if element.get("type") == "button"
        ]

    def button(self, action_id: str, value: str | None = None) -> Button:
        """The button with ``action_id`` (and ``value``, when several share the id)."""
        found = [
            b
            for b in self.buttons
            if b.action_id == action_id and (value is None or b.value == value)
        ]
        if len(found) != 1:
            shown = ", ".join(f"{b.action_id}={b.value}" for b in self.buttons) or "none"
            raise LookupError(
                f"{len(found)} buttons {action_id}"
                + (f" with value {value}" if value is not None else "")
                + f" on the message (its buttons: {shown})"
            )
        return found[0]


# Slack: signing


def slack_form(payload: dict[str, Any]) -> bytes:
    """The body Slack sends an interaction as: one form field, ``payload``, the JSON."""
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode()


def slack_headers(signing_secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of a signed interaction request."""
    stamp = str(timestamp)
    return {
        "Content-Type": FORM,
        SLACK_TIMESTAMP_HEADER: stamp,
        SLACK_SIGNATURE_HEADER: slack_signature(signing_secret, stamp, body),
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }


# Slack: the on-call engineer


class SlackOnCall:
    """Clicks the buttons of the sink's Slack messages and fills in the close modal, as a
    Slack user of a workspace; each request signed with ``signing_secret`` and POSTed to the
    URL given (the inbound function's)."""

    def __init__(
        self,
        sink: ReceiverSink,
        signing_secret: str,
        *,
        team_id: str = SANDBOX_TEAM,
        user_id: str = ONCALL_USER,
        clock: Callable[[], float] = time.time,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._sink = sink
        self._secret = signing_secret
        self.team_id = team_id
        self.user_id = user_id
        self._clock = clock
        self._timeout = timeout_seconds
        #: The response URL of the latest interaction, by name in the sink.
        self.last_response_url: str | None = None

    def message_of(self, case_id: str) -> CaseMessage:
        """The case's message among those the bot posted: the one whose buttons name the
        case, or (an ended case's, without buttons) whose text names it."""
        # The id as a whole word of the text (``t-1`` is not in ``t-10``).
        whole = re.compile(rf"(?<![\w.:-]){re.escape(case_id)}(?![\w.:-])")
        found = []
        for (channel, ts), held in self._sink.slack_messages().items():
            message = CaseMessage(channel, ts, held["text"], held["blocks"])
            named = any(slack_button_parts(b.value)[0] == case_id for b in message.buttons)
            if named or whole.search(message.text):
                found.append(message)
        if len(found) != 1:
            raise LookupError(f"{len(found)} Slack messages of case {case_id} in the sink")
        return found[0]

    def block_actions(
        self,
        case_id: str,
        action_id: str,
        *,
        value: str | None = None,
        user_id: str | None = None,
        team_id: str | None = None,
    ) -> dict[str, Any]:
        """Slack's ``block_actions`` payload for a click of the case message's button
        ``action_id`` (``value`` picks one of several: ``case|ccpa``): a fresh trigger id and
        response URL from the sink, the message as the user saw it."""
        message = self.message_of(case_id)
        button = message.button(action_id, value)
        trigger = self._sink.new_trigger_id()
        name = f"{(team_id or self.team_id)}-{uuid.uuid4().hex[:12]}"
        response_url = self._sink.slack_response_url(name, (message.channel, message.ts))
        self.last_response_url = response_url
        user = user_id or self.user_id
        team = team_id or self.team_id
        now = self._clock()
        return {
            "type": "block_actions",
            "user": {
                "id": user,
                "username": ONCALL_USERNAME,
                "name": ONCALL_USERNAME,
                "team_id": team,
            },
            "api_app_id": SANDBOX_APP,
            "token": "deprecated-verification-token",
            "container": {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": message.channel,
                "is_ephemeral": False,
            },
            "trigger_id": trigger,
            "team": {"id": team, "domain": SANDBOX_TEAM_DOMAIN},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": message.channel, "name": "privacy-oncall"},
            "message": {
                "type": "message",
                "subtype": "bot_message",
                "text": message.text,
                "ts": message.ts,
                "bot_id": "B0BWPPRIV1",
                "blocks": message.blocks,
            },
            "state": {"values": {}},
            "response_url": response_url,
            "actions": [
                {
                    "action_id": button.action_id,
                    "block_id": button.block_id,
                    "text": {"type": "plain_text", "text": button.text, "emoji": True},
                    "value": button.value,
                    "type": "button",
                    "action_ts": f"{now:.6f}",
                }
            ],
        }

    def view_submission(
        self,
        *,
        closed_as: str,
        reason: str,
        denied_because: str | None = None,
        view_id: str | None = None,
        user_id: str | None = None,
        team_id: str | None = None,
    ) -> dict[str, Any]:
        """Slack's ``view_submission`` payload of the close modal the inbound function opened
        (the latest views.open the sink recorded, or ``view_id``): its callback id and
        ``private_metadata`` as the inbound function set them, and the three inputs filled
        in (``closed_as``, ``denied_because`` or none, ``reason``)."""
        opened = [v for v in self._sink.slack_views() if view_id in (None, v["id"])]
        if not opened:
            raise LookupError(
                "the sink recorded no views.open" + (f" {view_id}" if view_id else "")
            )
        recorded = opened[-1]
        view = recorded["view"]
        if view.get("callback_id") != SLACK_CLOSE_MODAL:
            raise LookupError(f"view {recorded['id']} is not the close modal")
        user = user_id or self.user_id
        team = team_id or self.team_id
        ground = (
            {"type": "static_select", "selected_option": _option(denied_because)}
            if denied_because is not None
            else {"type": "static_select", "selected_option": None}
        )
        values = {
            CLOSE_MODAL_ANSWER_BLOCK: {
                CLOSE_MODAL_ANSWER_ACTION: {
                    "type": "static_select",
                    "selected_option": _option(closed_as),
                }
            },
            CLOSE_MODAL_GROUND_BLOCK: {CLOSE_MODAL_GROUND_ACTION: ground},
            CLOSE_MODAL_REASON_BLOCK: {
                CLOSE_MODAL_REASON_ACTION: {"type": "plain_text_input", "value": reason}
            },
        }
        return {
            "type": "view_submission",
            "team": {"id": team, "domain": SANDBOX_TEAM_DOMAIN},
            "user": {
                "id": user,
                "username": ONCALL_USERNAME,
                "name": ONCALL_USERNAME,
                "team_id": team,
            },
            "api_app_id": SANDBOX_APP,
            "token": "deprecated-verification-token",
            "trigger_id": self._sink.new_trigger_id(),
            "view": {
                "id": recorded["id"],
                "team_id": team,
                "type": "modal",
                "blocks": view.get("blocks", []),
                "private_metadata": view.get("private_metadata", ""),
                "callback_id": view.get("callback_id"),
                "state": {"values": values},
                "hash": f"{recorded['id']}.hash",
                "title": view.get("title"),
                "clear_on_close": bool(view.get("clear_on_close", False)),
                "notify_on_close": bool(view.get("notify_on_close", False)),
                "close": view.get("close"),
                "submit": view.get("submit"),
                "previous_view_id": None,
                "root_view_id": recorded["id"],
                "app_id": SANDBOX_APP,
                "external_id": view.get("external_id", ""),
                "app_installed_team_id": team,
                "bot_id": "B0BWPPRIV1",
            },
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }

    def click(
        self,
        url: str,
        case_id: str,
        action_id: str,
        *,
        value: str | None = None,
        user_id: str | None = None,
        team_id: str | None = None,
    ) -> Sent:
        """Click the case message's button ``action_id`` (``value``: which one) and POST the
        signed interaction to ``url``."""
        payload = self.block_actions(
            case_id, action_id, value=value, user_id=user_id, team_id=team_id
        )
        return self.post(url, payload)

    def submit_close(
        self,
        url: str,
        *,
        closed_as: str,
        reason: str,
        denied_because: str | None = None,
        view_id: str | None = None,
        user_id: str | None = None,
        team_id: str | None = None,
    ) -> Sent:
        """Fill in and submit the close modal (`view_submission`), signed, to ``url``."""
        payload = self.view_submission(
            closed_as=closed_as,
            reason=reason,
            denied_because=denied_because,
            view_id=view_id,
            user_id=user_id,
            team_id=team_id,
        )
        return self.post(url, payload)

    def post(
        self,
        url: str,
        payload: dict[str, Any],
        *,
        timestamp: int | None = None,
        signing_secret: str | None = None,
    ) -> Sent:
        """POST ``payload`` as Slack does, signed now (or at ``timestamp``: a stale request)
        with the player's secret (or ``signing_secret``: a wrong one)."""
        body = slack_form(payload)
        stamp = int(self._clock()) if timestamp is None else timestamp
        headers = slack_headers(signing_secret or self._secret, stamp, body)
        return _post(url, body, headers, payload, self._timeout)


def _option(value: str) -> dict[str, Any]:
    """A static select's chosen option, as a view submission carries it."""
    return {"text": {"type": "plain_text", "text": value, "emoji": True}, "value": value}


# PagerDuty


def pagerduty_signature(signing_secrets: str | Sequence[str], body: bytes) -> str:
    """PagerDuty's ``X-PagerDuty-Signature``: ``v1=<hex HMAC-SHA256 of the raw body>`` per
    secret, comma-separated (several while a secret rotates)."""
    secrets = [signing_secrets] if isinstance(signing_secrets, str) else list(signing_secrets)
    return ",".join(signature_of(secret, body) for secret in secrets)


def incident_id_of(case_id: str) -> str:
    """The id PagerDuty gave the incident the router triggered for ``case_id`` (an id of
    PagerDuty's grammar, the same for every event of the case)."""
    return "Q" + hashlib.sha256(case_id.encode()).hexdigest()[:13].upper()


def _reference(kind: str, ref_id: str, summary: str, path: str) -> dict[str, Any]:
    return {
        "html_url": f"{PAGERDUTY_WEB}/{path}/{ref_id}",
        "id": ref_id,
        "self": f"{PAGERDUTY_API}/{path}/{ref_id}",
        "summary": summary,
        "type": f"{kind}_reference",
    }


class PagerDutyOnCall:
    """Sends PagerDuty webhook v3 events about the router's incidents, signed with each of
    ``signing_secrets``, to the URL given (the inbound function's)."""

    def __init__(
        self,
        signing_secrets: str | Sequence[str],
        *,
        agent_id: str = PAGERDUTY_AGENT,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        timeout_seconds: float = 10.0,
    ) -> None:
        self._secrets = signing_secrets
        self.agent_id = agent_id
        self._clock = clock
        self._timeout = timeout_seconds

    def event(
        self,
        event_type: PagerDutyEvent,
        case_id: str,
        *,
        incident_id: str | None = None,
        event_id: str | None = None,
        agent_id: str | None = None,
        note: str = "Looking into it.",
        assignees: Sequence[str] = (),
        title: str | None = None,
    ) -> dict[str, Any]:
        """A webhook v3 payload: ``{"event": {id, event_type, resource_type, occurred_at,
        agent, client, data}}``. ``data`` is the incident (``incident_key`` = the case id, its
        status after the event, its assignees) or, for ``incident.annotated``, the
        ``incident_note`` (``content`` = ``note``) naming the incident by reference."""
        if event_type not in _STATUS_AFTER:
            raise ValueError(f"an event type the stack subscribes to, not {event_type!r}")
        incident = incident_id or incident_id_of(case_id)
        summary = title or f"Privacy case {case_id}"
        agent = agent_id or self.agent_id
        data: dict[str, Any]
        if event_type == "incident.annotated":
            data = {
                "incident": _reference("incident", incident, summary, "incidents")
                | {"type": "incident_reference"},
                "id": "N" + uuid.uuid4().hex[:13].upper(),
                "content": note,
                "trimmed": False,
                "type": "incident_note",
            }
        else:
            users = list(assignees) or [agent]
            data = {
                "id": incident,
                "type": "incident",
                "self": f"{PAGERDUTY_API}/incidents/{incident}",
                "html_url": f"{PAGERDUTY_WEB}/incidents/{incident}",
                "number": int(hashlib.sha256(incident.encode()).hexdigest()[:6], 16) % 100000,
                "status": _STATUS_AFTER[event_type],
                "incident_key": case_id,
                "created_at": _iso(self._clock()),
                "title": summary,
                "service": _reference("service", PAGERDUTY_SERVICE, "bwp-privacy", "services"),
                "assignees": [_reference("user", user, user, "users") for user in users],
                "escalation_policy": _reference(
                    "escalation_policy", "PESCPOL", "Privacy on-call", "escalation_policies"
                ),
                "teams": [],
                "priority": None,
                "urgency": "high",
                "conference_bridge": None,
                "resolve_reason": None,
            }
        return {
            "event": {
                # PagerDuty's event ids are UUIDs (or ULIDs): a redelivery has the same one.
                "id": event_id or str(uuid.uuid4()),
                "event_type": event_type,
                "resource_type": "incident",
                "occurred_at": _iso(self._clock()),
                "agent": _reference("user", agent, PAGERDUTY_AGENT_NAME, "users"),
                "client": None,
                "data": data,
            }
        }

    def send(
        self,
        url: str,
        event_type: PagerDutyEvent,
        case_id: str,
        **fields: Any,
    ) -> Sent:
        """Build the event (`event`'s keywords) and POST it, signed, to ``url``."""
        return self.post(url, self.event(event_type, case_id, **fields))

    def post(
        self,
        url: str,
        payload: dict[str, Any],
        *,
        signing_secrets: str | Sequence[str] | None = None,
    ) -> Sent:
        """POST ``payload`` as PagerDuty does, signed with the player's secrets (or
        ``signing_secrets``: a wrong one, a rotation)."""
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "PagerDuty-Webhook/V3.0",
            "X-Webhook-Id": str(uuid.uuid4()),
            "X-Webhook-Subscription": PAGERDUTY_SUBSCRIPTION,
            PAGERDUTY_SIGNATURE_HEADER: pagerduty_signature(
                self._secrets if signing_secrets is None else signing_secrets, body
            ),
        }
        return _post(url, body, headers, payload, self._timeout)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _post(
    url: str, body: bytes, headers: dict[str, str], payload: dict[str, Any], timeout: float
) -> Sent:
    response = requests.post(url, data=body, headers=headers, timeout=timeout)
    return Sent(response.status_code, response.content, payload, body, headers)
