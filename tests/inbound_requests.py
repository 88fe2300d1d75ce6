"""Slack's and PagerDuty's requests as they send them, signed: for the inbound function's unit
tests (as function URL events) and its integration tests (as HTTP requests)."""

from __future__ import annotations

import base64
import json
from typing import Any

from bwp_privacy.contract.inbound import (
    CLOSE_MODAL_ANSWER_ACTION,
    CLOSE_MODAL_ANSWER_BLOCK,
    CLOSE_MODAL_GROUND_ACTION,
    CLOSE_MODAL_GROUND_BLOCK,
    CLOSE_MODAL_REASON_ACTION,
    CLOSE_MODAL_REASON_BLOCK,
    SLACK_CLOSE_MODAL,
)
from bwp_sandbox.inbound import (
    PAGERDUTY_SIGNING_SECRETS,
    SLACK_ALLOWED_USER,
    SLACK_SIGNING_SECRET,
    SLACK_TEAM_ID,
)
from bwp_sandbox.oncall import pagerduty_signature, slack_form
from bwp_sandbox.oncall import slack_headers as signed_slack_headers

TEAM = SLACK_TEAM_ID
USER = SLACK_ALLOWED_USER
OTHER_USER = "U0STRANGER"
PAGERDUTY_OLD_SECRET, PAGERDUTY_NEW_SECRET = PAGERDUTY_SIGNING_SECRETS
__all__ = ["SLACK_SIGNING_SECRET", "slack_form"]
RESPONSE_URL = "https://hooks.slack.com/actions/T0SANDBOX/1/abc"
NOW = 1_795_000_000


def block_actions(
    action_id: str,
    value: str,
    *,
    team: str = TEAM,
    user: str = USER,
    response_url: str = RESPONSE_URL,
    trigger_id: str = "1.2.trigger",
) -> dict[str, Any]:
    """A ``block_actions`` payload: one button pressed on a case's message (``trigger_id``:
    one the sink handed out, for a press that opens a modal)."""
    return {
        "type": "block_actions",
        "team": {"id": team, "domain": "sandbox"},
        "user": {"id": user, "username": "oncall", "team_id": team},
        "api_app_id": "A0SANDBOX",
        "trigger_id": trigger_id,
        "response_url": response_url,
        "container": {"type": "message", "message_ts": "1795000000.000001"},
        "actions": [{"type": "button", "action_id": action_id, "value": value, "block_id": "b"}],
    }


def close_submitted(
    case_id: str,
    closed_as: str | None,
    reason: str,
    denied_because: str | None = None,
    *,
    user: str = USER,
    response_url: str = RESPONSE_URL,
) -> dict[str, Any]:
    """A ``view_submission`` payload of the close modal."""

    def select(value: str | None) -> dict[str, Any]:
        option = None if value is None else {"text": {"type": "plain_text"}, "value": value}
        return {"type": "static_select", "selected_option": option}

    return {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": user},
        "view": {
            "id": "V0MODAL",
            "callback_id": SLACK_CLOSE_MODAL,
            "private_metadata": json.dumps({"caseId": case_id, "responseUrl": response_url}),
            "state": {
                "values": {
                    CLOSE_MODAL_ANSWER_BLOCK: {CLOSE_MODAL_ANSWER_ACTION: select(closed_as)},
                    CLOSE_MODAL_GROUND_BLOCK: {CLOSE_MODAL_GROUND_ACTION: select(denied_because)},
                    CLOSE_MODAL_REASON_BLOCK: {
                        CLOSE_MODAL_REASON_ACTION: {"type": "plain_text_input", "value": reason}
                    },
                }
            },
        },
    }


def slack_headers(
    body: bytes, *, timestamp: int = NOW, secret: str = SLACK_SIGNING_SECRET
) -> dict[str, str]:
    """The headers of ``body`` signed at ``timestamp`` (the sandbox's Slack's, by default now)."""
    return signed_slack_headers(secret, timestamp, body)


def pagerduty_event(
    event_type: str = "incident.acknowledged",
    *,
    incident_key: str | None = "case-1",
    event_id: str = "5ac64822-4adc-4fda-ade0-410becf0de4f",
) -> dict[str, Any]:
    """A webhook v3 delivery, as PagerDuty's documentation shows one."""
    incident: dict[str, Any] = {
        "id": "PGR0VU2",
        "type": "incident",
        "html_url": "https://acme.pagerduty.com/incidents/PGR0VU2",
        "number": 2,
        "status": "acknowledged",
        "title": "A little bump in the road",
        "assignees": [{"id": "PTUXL6G", "type": "user_reference", "summary": "User 123"}],
    }
    if incident_key is not None:
        incident["incident_key"] = incident_key
    data: dict[str, Any] = incident
    if event_type == "incident.annotated":
        data = {
            "incident": {**incident, "type": "incident_reference"},
            "id": "P2LA89X",
            "content": "checked with merchant support",
            "trimmed": False,
            "type": "incident_note",
        }
    return {
        "event": {
            "id": event_id,
            "event_type": event_type,
            "resource_type": "incident",
            "occurred_at": "2026-12-07T15:00:00.000Z",
            "agent": {"id": "PLH1HKV", "type": "user_reference", "summary": "Tenex Engineer"},
            "client": {"name": "PagerDuty"},
            "data": data,
        }
    }


def pagerduty_headers(body: bytes, *secrets: str) -> dict[str, str]:
    signatures = pagerduty_signature(secrets or (PAGERDUTY_NEW_SECRET,), body)
    return {"Content-Type": "application/json", "X-PagerDuty-Signature": signatures}


def url_event(
    path: str, body: bytes, headers: dict[str, str], *, method: str = "POST"
) -> dict[str, Any]:
    """The function URL's payload format 2.0 event for a request (AuthType NONE)."""
    try:
        text, encoded = body.decode(), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    return {
        "version": "2.0",
        "rawPath": path,
        "headers": {k.lower(): v for k, v in headers.items()},
        "requestContext": {"http": {"method": method, "path": path}},
        "body": text,
        "isBase64Encoded": encoded,
    }
