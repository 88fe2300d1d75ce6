"""The sandbox playing Slack and PagerDuty, over HTTP: the sink's ``views.open`` and response
URLs, and the on-call players' signed requests, checked as the inbound function will check
them (each signature recomputed here, independently of the players' code)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from bwp_privacy.alerting import Alert, Runbook, Severity, build_alert
from bwp_privacy.alerting.alert import CaseStanding
from bwp_privacy.alerting.delivery import Group
from bwp_privacy.alerting.receivers.slack import slack_message
from bwp_privacy.contract import LookupOutcome, LookupStatus, TaskError, TaskFailure
from bwp_privacy.contract.inbound import (
    CLOSE_MODAL_ANSWER_ACTION,
    CLOSE_MODAL_ANSWER_BLOCK,
    CLOSE_MODAL_GROUND_ACTION,
    CLOSE_MODAL_GROUND_BLOCK,
    CLOSE_MODAL_REASON_ACTION,
    CLOSE_MODAL_REASON_BLOCK,
    SLACK_CLOSE,
    SLACK_CLOSE_MODAL,
    SLACK_EXTEND,
    SLACK_RESUBMIT,
    SLACK_SILENCE,
)
from bwp_sandbox.http_server import BackgroundServer, header_values
from bwp_sandbox.oncall import (
    ONCALL_USER,
    SANDBOX_APP,
    SANDBOX_TEAM,
    PagerDutyOnCall,
    SlackOnCall,
    incident_id_of,
)
from bwp_sandbox.sink import SLACK_BOT_TOKEN, ReceiverSink

SIGNING_SECRET = "sandbox-slack-signing-secret"
PD_SECRETS = ["sandbox-pagerduty-secret-old", "sandbox-pagerduty-secret-new"]
NOW = 1_795_000_000.0
GROUP = Group(route="privacy-oncall", labels={"businessProductId": "bp-1"})
AUTH = {"Authorization": f"Bearer {SLACK_BOT_TOKEN}"}


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Inbound(BackgroundServer):
    """Stands in for the inbound function URL: records each request's raw bytes."""

    def __init__(self) -> None:
        super().__init__(
            "inbound", "127.0.0.1", 0, Map([Rule("/", endpoint=self._take, methods=["POST"])])
        )
        self.requests: list[tuple[dict[str, str], bytes]] = []

    def _take(self, request: Request) -> Response:
        self.requests.append((header_values(request), request.get_data()))
        return Response(b"", status=200)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sink(clock: Clock) -> Iterator[ReceiverSink]:
    with ReceiverSink(clock=clock) as running:
        yield running


@pytest.fixture
def inbound() -> Iterator[Inbound]:
    with Inbound() as running:
        yield running


def api(sink: ReceiverSink, method: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = requests.post(f"{sink.slack_api_url}/{method}", json=body, headers=AUTH, timeout=5)
    assert answer.status_code == 200
    found: dict[str, Any] = answer.json()
    return found


def modal(private_metadata: str = "case-1") -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": SLACK_CLOSE_MODAL,
        "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": "Close case"},
        "submit": {"type": "plain_text", "text": "Close"},
        "blocks": [
            {"type": "input", "block_id": CLOSE_MODAL_REASON_BLOCK, "element": {}},
        ],
    }


def escalated_alert(case_id: str = "case-1") -> Alert:
    failure = TaskFailure(
        event_id="event-1",
        event_time="2026-11-20T12:34:56Z",
        detail_type="PERSONAL_DATA_DELETION_TASK_FAILED",
        business_product_id="bp-1",
        task_id=case_id,
        status="FAILED",
        submission_date="2026-11-01T09:00:00Z",
        errors=[TaskError(code="ORDERS_NOT_CLOSED", message="orders open")],
        lookup=LookupOutcome(status=LookupStatus.OK),
        received_at="2026-11-20T12:35:00Z",
    )
    alert = build_alert(
        failure,
        Severity.CRITICAL,
        [Runbook(code="ORDERS_NOT_CLOSED", text="Close them.")],
        datetime(2026, 11, 20, 13, tzinfo=UTC),
    )
    standing = CaseStanding(
        state="ESCALATED",
        ended=False,
        due_at="2026-12-16T09:00:00Z",
        extendable=("ccpa", "gdpr"),
        may_resubmit=True,
    )
    return alert.model_copy(update={"case": standing})


def post_case_message(sink: ReceiverSink, case_id: str = "case-1") -> tuple[str, str]:
    message = slack_message([escalated_alert(case_id)], GROUP, actions=True)
    answer = api(sink, "chat.postMessage", {"channel": "C0PRIVACY", **message})
    assert answer["ok"] is True
    return answer["channel"], answer["ts"]


def slack_verifies(headers: dict[str, str], body: bytes, secret: str = SIGNING_SECRET) -> bool:
    """Slack's rule, written out here on its own: v0=hex(HMAC-SHA256(secret, v0:ts:body))."""
    timestamp = headers["x-slack-request-timestamp"]
    base = f"v0:{timestamp}:".encode() + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-slack-signature"])


def form_payload(body: bytes) -> dict[str, Any]:
    fields = parse_qs(body.decode(), strict_parsing=True)
    assert list(fields) == ["payload"]
    [raw] = fields["payload"]
    found: dict[str, Any] = json.loads(raw)
    return found


# views.open


def test_views_open_opens_a_modal_once_for_a_trigger_the_sink_handed_out(
    sink: ReceiverSink,
) -> None:
    trigger = sink.new_trigger_id()
    opened = api(sink, "views.open", {"trigger_id": trigger, "view": modal()})
    assert opened["ok"] is True
    assert opened["view"]["id"].startswith("V")
    assert opened["view"]["callback_id"] == SLACK_CLOSE_MODAL
    [recorded] = sink.slack_views()
    assert recorded == {"id": opened["view"]["id"], "trigger_id": trigger, "view": modal()}
    again = api(sink, "views.open", {"trigger_id": trigger, "view": modal()})
    assert again == {"ok": False, "error": "exchanged_trigger_id"}


def test_views_open_takes_the_view_as_a_json_string_too(sink: ReceiverSink) -> None:
    trigger = sink.new_trigger_id()
    opened = api(sink, "views.open", {"trigger_id": trigger, "view": json.dumps(modal())})
    assert opened["ok"] is True


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"trigger_id": "1.2.unknown", "view": modal()}, "invalid_trigger_id"),
        ({"view": modal()}, "invalid_arguments"),
        ({"trigger_id": "x", "view": {**modal(), "type": "home"}}, "invalid_arguments"),
        ({"trigger_id": "x", "view": {"type": "modal"}}, "invalid_arguments"),
    ],
)
def test_views_open_refuses_what_slack_refuses(
    sink: ReceiverSink, body: dict[str, Any], error: str
) -> None:
    assert api(sink, "views.open", body) == {"ok": False, "error": error}
    assert sink.slack_views() == []


def test_a_trigger_id_opens_nothing_after_three_seconds(sink: ReceiverSink, clock: Clock) -> None:
    trigger = sink.new_trigger_id()
    clock.now += 3.5
    answer = api(sink, "views.open", {"trigger_id": trigger, "view": modal()})
    assert answer == {"ok": False, "error": "expired_trigger_id"}


def test_views_open_needs_the_bot_token(sink: ReceiverSink) -> None:
    answer = requests.post(
        f"{sink.slack_api_url}/views.open",
        json={"trigger_id": sink.new_trigger_id(), "view": modal()},
        headers={"Authorization": "Bearer xoxb-wrong"},
        timeout=5,
    )
    assert answer.json() == {"ok": False, "error": "invalid_auth"}


# response_url


def test_a_response_url_records_each_answer_and_replaces_the_message_when_asked(
    sink: ReceiverSink,
) -> None:
    message = post_case_message(sink)
    url = sink.slack_response_url("r1", message)
    assert url.startswith(sink.slack_response_url_prefix)
    ephemeral = {"response_type": "ephemeral", "text": "not allowed"}
    assert requests.post(url, json=ephemeral, timeout=5).status_code == 200
    replaced = {"replace_original": True, "text": "<@U1> closed case case-1", "blocks": []}
    assert requests.post(url, json=replaced, timeout=5).json() == {"ok": True}
    assert sink.slack_responses("r1") == [ephemeral, replaced]
    held = sink.slack_messages()[message]
    assert (held["text"], held["blocks"], held["edits"]) == ("<@U1> closed case case-1", [], 1)


def test_a_response_url_takes_five_answers_for_thirty_minutes(
    sink: ReceiverSink, clock: Clock
) -> None:
    url = sink.slack_response_url("r2")
    for _ in range(5):
        assert requests.post(url, json={"text": "ok"}, timeout=5).status_code == 200
    sixth = requests.post(url, json={"text": "again"}, timeout=5)
    assert (sixth.status_code, sixth.json()["error"]) == (404, "used_url")
    late = sink.slack_response_url("r3")
    clock.now += 30 * 60 + 1
    answer = requests.post(late, json={"text": "late"}, timeout=5)
    assert (answer.status_code, answer.json()["error"]) == (404, "expired_url")
    unknown = requests.post(
        sink.slack_response_url_prefix + "nobody", json={"text": "x"}, timeout=5
    )
    assert unknown.status_code == 404
    assert sink.slack_responses("r3") == []


# The Slack player


def test_a_click_is_slacks_block_actions_form_encoded_and_signed(
    sink: ReceiverSink, inbound: Inbound
) -> None:
    channel, ts = post_case_message(sink)
    player = SlackOnCall(sink, SIGNING_SECRET, clock=lambda: NOW)
    assert [(b.action_id, b.value) for b in player.message_of("case-1").buttons] == [
        (SLACK_CLOSE, "case-1"),
        (SLACK_EXTEND, "case-1|ccpa"),
        (SLACK_RESUBMIT, "case-1"),
        (SLACK_SILENCE, "case-1|ORDERS_NOT_CLOSED|4"),
        (SLACK_EXTEND, "case-1|gdpr"),
    ]
    sent = player.click(inbound.base_url + "/", "case-1", SLACK_EXTEND, value="case-1|gdpr")
    assert sent.status == 200
    [(headers, body)] = inbound.requests
    assert body == sent.body
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert headers["x-slack-request-timestamp"] == str(int(NOW))
    assert slack_verifies(headers, body)
    assert not slack_verifies(headers, body, "another-secret")
    assert not slack_verifies(headers, body + b"&x=1")
    payload = form_payload(body)
    assert payload == sent.payload
    assert payload["type"] == "block_actions"
    assert payload["team"]["id"] == SANDBOX_TEAM
    assert payload["user"]["id"] == ONCALL_USER
    assert payload["api_app_id"] == SANDBOX_APP
    assert payload["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": channel,
        "is_ephemeral": False,
    }
    assert payload["message"]["ts"] == ts
    assert payload["message"]["blocks"] == sink.slack_messages()[(channel, ts)]["blocks"]
    [action] = payload["actions"]
    assert action["action_id"] == SLACK_EXTEND
    assert action["value"] == "case-1|gdpr"
    assert action["block_id"] == "bwp.case-actions.1"
    assert action["type"] == "button"
    assert action["action_ts"] == f"{NOW:.6f}"
    assert payload["response_url"].startswith(sink.slack_response_url_prefix)
    # The trigger id opens the close modal (the inbound function's views.open), once.
    opened = api(sink, "views.open", {"trigger_id": payload["trigger_id"], "view": modal()})
    assert opened["ok"] is True
    # The response URL answers into the case's message.
    requests.post(
        payload["response_url"], json={"replace_original": True, "text": "extended"}, timeout=5
    )
    assert sink.slack_messages()[(channel, ts)]["text"] == "extended"


def test_a_click_can_come_from_another_user_team_or_time_or_with_another_secret(
    sink: ReceiverSink, inbound: Inbound
) -> None:
    post_case_message(sink)
    player = SlackOnCall(sink, SIGNING_SECRET, clock=lambda: NOW)
    payload = player.block_actions("case-1", SLACK_CLOSE, user_id="U0STRANGER", team_id="T0OTHER")
    assert (payload["user"]["id"], payload["team"]["id"]) == ("U0STRANGER", "T0OTHER")
    player.post(inbound.base_url + "/", payload, timestamp=int(NOW) - 600)
    player.post(inbound.base_url + "/", payload, signing_secret="wrong-secret")
    (stale_headers, stale), (wrong_headers, wrong) = inbound.requests
    assert stale_headers["x-slack-request-timestamp"] == str(int(NOW) - 600)
    assert slack_verifies(stale_headers, stale)  # signed, but ten minutes old
    assert not slack_verifies(wrong_headers, wrong)


def test_a_button_the_message_does_not_have_cannot_be_clicked(sink: ReceiverSink) -> None:
    post_case_message(sink)
    player = SlackOnCall(sink, SIGNING_SECRET)
    with pytest.raises(LookupError, match=r"2 buttons bwp\.extend"):
        player.block_actions("case-1", SLACK_EXTEND)
    with pytest.raises(LookupError, match="0 Slack messages of case case-2"):
        player.block_actions("case-2", SLACK_CLOSE)


def test_the_close_modal_is_submitted_with_its_three_inputs_and_the_metadata_it_was_opened_with(
    sink: ReceiverSink, inbound: Inbound
) -> None:
    post_case_message(sink)
    player = SlackOnCall(sink, SIGNING_SECRET, clock=lambda: NOW)
    clicked = player.block_actions("case-1", SLACK_CLOSE)
    view = modal(private_metadata='{"caseId":"case-1","channel":"C0PRIVACY"}')
    opened = api(sink, "views.open", {"trigger_id": clicked["trigger_id"], "view": view})
    sent = player.submit_close(
        inbound.base_url + "/",
        closed_as="denied",
        denied_because="unverifiable",
        reason="identity not verified after two requests",
    )
    [(headers, body)] = inbound.requests
    assert slack_verifies(headers, body)
    payload = form_payload(body)
    assert payload == sent.payload
    assert payload["type"] == "view_submission"
    assert payload["view"]["id"] == opened["view"]["id"]
    assert payload["view"]["callback_id"] == SLACK_CLOSE_MODAL
    assert payload["view"]["private_metadata"] == view["private_metadata"]
    values = payload["view"]["state"]["values"]
    answer = values[CLOSE_MODAL_ANSWER_BLOCK][CLOSE_MODAL_ANSWER_ACTION]
    assert answer["selected_option"]["value"] == "denied"
    assert (
        values[CLOSE_MODAL_GROUND_BLOCK][CLOSE_MODAL_GROUND_ACTION]["selected_option"]["value"]
        == "unverifiable"
    )
    assert values[CLOSE_MODAL_REASON_BLOCK][CLOSE_MODAL_REASON_ACTION] == {
        "type": "plain_text_input",
        "value": "identity not verified after two requests",
    }
    completed = player.view_submission(closed_as="completed", reason="done by hand")
    ground = completed["view"]["state"]["values"][CLOSE_MODAL_GROUND_BLOCK]
    assert ground[CLOSE_MODAL_GROUND_ACTION]["selected_option"] is None


def test_no_modal_can_be_submitted_before_one_was_opened(sink: ReceiverSink) -> None:
    with pytest.raises(LookupError, match=r"no views\.open"):
        SlackOnCall(sink, SIGNING_SECRET).view_submission(closed_as="completed", reason="x")


# The PagerDuty player


def pagerduty_verifies(header: str, body: bytes, secret: str) -> bool:
    """PagerDuty's rule, written out here: any v1= of the header is hex(HMAC-SHA256(body))."""
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    given = [part.removeprefix("v1=") for part in header.split(",") if part.startswith("v1=")]
    return any(hmac.compare_digest(expected, value) for value in given)


FIXED = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("event_type", "status"),
    [
        ("incident.acknowledged", "acknowledged"),
        ("incident.resolved", "resolved"),
        ("incident.reassigned", "triggered"),
    ],
)
def test_an_incident_event_names_the_case_by_its_incident_key(event_type: Any, status: str) -> None:
    player = PagerDutyOnCall(PD_SECRETS, clock=lambda: FIXED)
    payload = player.event(event_type, "case-1", assignees=["PUSER02"], event_id="evt-1")
    event = payload["event"]
    assert list(payload) == ["event"]
    assert {k: event[k] for k in ("id", "event_type", "resource_type", "occurred_at")} == {
        "id": "evt-1",
        "event_type": event_type,
        "resource_type": "incident",
        "occurred_at": "2026-11-20T14:00:00.000Z",
    }
    assert (event["agent"]["id"], event["agent"]["type"]) == ("PONCALL", "user_reference")
    data = event["data"]
    assert (data["id"], data["type"], data["status"]) == (
        incident_id_of("case-1"),
        "incident",
        status,
    )
    assert data["incident_key"] == "case-1"
    assert [a["id"] for a in data["assignees"]] == ["PUSER02"]


def test_an_annotation_is_an_incident_note_naming_its_incident_by_reference() -> None:
    payload = PagerDutyOnCall(PD_SECRETS).event("incident.annotated", "case-1", note="on it")
    data = payload["event"]["data"]
    assert data["type"] == "incident_note"
    assert data["content"] == "on it"
    assert data["incident"]["id"] == incident_id_of("case-1")
    assert data["incident"]["type"] == "incident_reference"
    assert "incident_key" not in json.dumps(data)  # PagerDuty's v3 note carries none


def test_a_pagerduty_event_is_signed_with_every_secret_while_one_rotates(inbound: Inbound) -> None:
    player = PagerDutyOnCall(PD_SECRETS)
    sent = player.send(inbound.base_url + "/", "incident.acknowledged", "case-1")
    [(headers, body)] = inbound.requests
    assert body == sent.body
    assert json.loads(body) == sent.payload
    assert headers["content-type"] == "application/json; charset=utf-8"
    signature = headers["x-pagerduty-signature"]
    assert signature.count("v1=") == 2
    assert all(pagerduty_verifies(signature, body, secret) for secret in PD_SECRETS)
    assert not pagerduty_verifies(signature, body, "another-secret")
    assert not pagerduty_verifies(signature, body + b" ", PD_SECRETS[0])
    # A redelivery is the same event (same id); a wrong secret signs it wrongly.
    player.post(inbound.base_url + "/", sent.payload, signing_secrets="wrong")
    _, (again_headers, again) = inbound.requests
    assert json.loads(again)["event"]["id"] == sent.payload["event"]["id"]
    assert not pagerduty_verifies(again_headers["x-pagerduty-signature"], again, PD_SECRETS[1])


def test_the_inbound_action_takes_the_event_ids_pagerduty_sends() -> None:
    """PagerDuty's v3 event ids are UUIDs (or ULIDs): the contract's grammar holds them."""
    from bwp_privacy.contract.inbound import PagerDutyAction

    event = PagerDutyOnCall(PD_SECRETS).event("incident.acknowledged", "case-1")["event"]
    action = PagerDutyAction.model_validate(
        {
            "receivedAt": "2026-11-20T14:00:00Z",
            "eventId": event["id"],
            "eventType": event["event_type"],
            "incidentId": event["data"]["id"],
            "caseId": event["data"]["incident_key"],
            "agentId": event["agent"]["id"],
            "occurredAt": event["occurred_at"],
        }
    )
    assert action.event_id == event["id"]
    assert "-" in action.event_id
