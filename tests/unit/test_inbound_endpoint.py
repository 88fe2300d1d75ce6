"""The inbound endpoint over fakes (queue, secrets, modal opener, metrics, clock): each request
from Slack and PagerDuty and what it queues; each refusal, its status and its count."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from bwp_privacy.common import EMAIL_MASK
from bwp_privacy.contract.inbound import (
    CLOSE_MODAL_ANSWER_BLOCK as ANSWER,
)
from bwp_privacy.contract.inbound import (
    CLOSE_MODAL_GROUND_BLOCK as GROUND,
)
from bwp_privacy.contract.inbound import (
    CLOSE_MODAL_REASON_BLOCK as REASON,
)
from bwp_privacy.contract.inbound import (
    SLACK_CLOSE,
    SLACK_CLOSE_MODAL,
    SLACK_EXTEND,
    SLACK_RESUBMIT,
    SLACK_SILENCE,
    PagerDutyAction,
    SlackAction,
)
from bwp_privacy.inbound import (
    MAX_BODY,
    PAGERDUTY_PATH,
    SLACK_PATH,
    Inbound,
    InboundSettings,
    PagerDutyWebhookSecret,
    SlackApiError,
    SlackInboundSecret,
)
from tests.inbound_requests import (
    NOW,
    OTHER_USER,
    PAGERDUTY_NEW_SECRET,
    PAGERDUTY_OLD_SECRET,
    RESPONSE_URL,
    SLACK_SIGNING_SECRET,
    TEAM,
    USER,
    block_actions,
    close_submitted,
    pagerduty_event,
    pagerduty_headers,
    slack_form,
    slack_headers,
    url_event,
)


class Fakes:
    def __init__(self, *, bot_token: str | None = "xoxb-sandbox") -> None:  # noqa: S107
        self.sent: list[dict[str, Any]] = []
        self.counts: list[tuple[str, dict[str, str]]] = []
        self.views: list[tuple[str, dict[str, Any]]] = []
        self.view_error: SlackApiError | None = None
        self.bot_token = bot_token

    def send(self, body: str) -> None:
        self.sent.append(json.loads(body))

    def count(self, name: str, value: int = 1, **dimensions: str) -> None:
        self.counts.append((name, dimensions))

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        if self.view_error is not None:
            raise self.view_error
        self.views.append((trigger_id, view))

    def inbound(self, **environ: str) -> Inbound:
        settings = InboundSettings.from_env(
            {
                "INBOUND_QUEUE_URL": "https://sqs.example/inbound",
                "SLACK_SECRET_ID": "slack",
                "SLACK_ALLOWED_USERS": f"{USER},U0SECOND",
                "SLACK_TEAM_ID": TEAM,
                "PAGERDUTY_WEBHOOK_SECRET_ID": "pagerduty",
                **environ,
            }
        )
        token = SecretStr(self.bot_token) if self.bot_token else None
        return Inbound(
            settings=settings,
            queue=self,
            metrics=self,
            slack_secret=lambda: SlackInboundSecret(
                signing_secret=SecretStr(SLACK_SIGNING_SECRET), bot_token=token
            ),
            pagerduty_secret=lambda: PagerDutyWebhookSecret(
                signing_secrets=[SecretStr(PAGERDUTY_OLD_SECRET), SecretStr(PAGERDUTY_NEW_SECRET)]
            ),
            views=lambda secret: self if secret.bot_token else None,
            clock=lambda: NOW + 12.0,
        )

    def refusals(self) -> list[str]:
        return [d["reason"] for name, d in self.counts if name == "InboundRefused"]


@pytest.fixture
def fakes() -> Fakes:
    return Fakes()


def _slack(fakes: Fakes, payload: dict[str, Any], **environ: str) -> dict[str, Any]:
    body = slack_form(payload)
    return fakes.inbound(**environ).handle(url_event(SLACK_PATH, body, slack_headers(body)))


def _pagerduty(fakes: Fakes, event: dict[str, Any], *secrets: str) -> dict[str, Any]:
    body = json.dumps(event).encode()
    return fakes.inbound().handle(
        url_event(PAGERDUTY_PATH, body, pagerduty_headers(body, *secrets))
    )


@pytest.mark.parametrize(
    ("action_id", "value", "request_"),
    [
        (SLACK_RESUBMIT, "case-1", {"action": "resubmit", "caseId": "case-1"}),
        (
            SLACK_EXTEND,
            "case-1|us-ca",
            {
                "action": "extend",
                "caseId": "case-1",
                "jurisdiction": "us-ca",
                "reason": "extended from Slack",
            },
        ),
        (
            SLACK_SILENCE,
            "case-1|ORDERS_NOT_CLOSED|4",
            {
                "action": "silence-add",
                "match": {"errorCode": "ORDERS_NOT_CLOSED"},
                "forSeconds": 14400,
                "reason": "silenced from Slack on case case-1",
            },
        ),
    ],
)
def test_a_button_queues_its_request_and_answers_200_empty(
    fakes: Fakes, action_id: str, value: str, request_: dict[str, Any]
) -> None:
    answer = _slack(fakes, block_actions(action_id, value))
    assert (answer["statusCode"], answer["body"]) == (200, "")
    [message] = fakes.sent
    action = SlackAction.model_validate(message)
    assert action.request == request_
    assert (action.team_id, action.user_id, action.allowed, action.case_id) == (
        TEAM,
        USER,
        True,
        "case-1",
    )
    assert action.actor == f"slack:{TEAM}/{USER}"
    assert action.response_url == RESPONSE_URL
    assert action.received_at == "2026-11-18T11:06:52Z"
    assert len(action.request_id) == 64
    assert fakes.refusals() == []
    assert fakes.counts == [("InboundQueued", {"source": "slack"})]


def test_the_same_signed_request_has_the_same_request_id(fakes: Fakes) -> None:
    body = slack_form(block_actions(SLACK_RESUBMIT, "case-1"))
    event = url_event(SLACK_PATH, body, slack_headers(body))
    inbound = fakes.inbound()
    inbound.handle(event)
    inbound.handle(event)
    assert fakes.sent[0]["requestId"] == fakes.sent[1]["requestId"]


def test_the_close_button_opens_the_modal_and_queues_nothing(fakes: Fakes) -> None:
    answer = _slack(fakes, block_actions(SLACK_CLOSE, "case-1"))
    assert answer["statusCode"] == 200
    assert fakes.sent == []
    [(trigger, view)] = fakes.views
    assert trigger == "1.2.trigger"
    assert view["callback_id"] == SLACK_CLOSE_MODAL
    assert json.loads(view["private_metadata"]) == {"caseId": "case-1", "responseUrl": RESPONSE_URL}
    blocks = {b.get("block_id") for b in view["blocks"]}
    assert {ANSWER, GROUND, REASON} <= blocks


def test_a_modal_slack_would_not_open_is_a_502_and_nothing_is_queued(fakes: Fakes) -> None:
    fakes.view_error = SlackApiError("views.open: HTTP 200, expired_trigger_id")
    answer = _slack(fakes, block_actions(SLACK_CLOSE, "case-1"))
    assert answer["statusCode"] == 502
    assert "expired" not in answer["body"]
    assert fakes.sent == []


def test_closing_without_a_bot_token_is_refused() -> None:
    fakes = Fakes(bot_token=None)
    answer = _slack(fakes, block_actions(SLACK_CLOSE, "case-1"))
    assert answer["statusCode"] == 400
    assert fakes.refusals() == ["not-configured"]


@pytest.mark.parametrize(
    ("closed_as", "denied_because", "expected"),
    [
        ("completed", None, {"closedAs": "completed"}),
        ("denied", "exempt", {"closedAs": "denied", "deniedBecause": "exempt"}),
        ("cancelled", None, {"closedAs": "cancelled"}),
    ],
)
def test_the_modal_submitted_queues_a_close_request(
    fakes: Fakes, closed_as: str, denied_because: str | None, expected: dict[str, str]
) -> None:
    reason = "answered by support\nwrite to a.b@example.com"
    answer = _slack(fakes, close_submitted("case-1", closed_as, reason, denied_because))
    assert (answer["statusCode"], answer["body"]) == (200, "")
    [message] = fakes.sent
    assert message["request"] == {
        "action": "close",
        "caseId": "case-1",
        "reason": f"answered by support write to {EMAIL_MASK}",
        **expected,
    }
    assert "a.b@example.com" not in json.dumps(message)  # masked where it enters
    assert message["responseUrl"] == RESPONSE_URL


@pytest.mark.parametrize(
    ("closed_as", "denied_because", "reason", "errors"),
    [
        (None, None, "why", {ANSWER}),
        ("denied", None, "why", {GROUND}),
        ("completed", "exempt", "why", {GROUND}),
        ("completed", None, " \n\t ", {REASON}),
    ],
)
def test_a_modal_that_makes_no_request_shows_its_errors_and_queues_nothing(
    fakes: Fakes, closed_as: str | None, denied_because: str | None, reason: str, errors: set[str]
) -> None:
    answer = _slack(fakes, close_submitted("case-1", closed_as, reason, denied_because))
    assert answer["statusCode"] == 200
    document = json.loads(answer["body"])
    assert document["response_action"] == "errors"
    assert set(document["errors"]) == errors
    assert fakes.sent == []
    assert fakes.refusals() == ["invalid-input"]


def test_a_user_not_allowed_is_queued_as_not_allowed(fakes: Fakes) -> None:
    answer = _slack(fakes, block_actions(SLACK_CLOSE, "case-1", user=OTHER_USER))
    assert (answer["statusCode"], answer["body"]) == (200, "")
    assert fakes.views == []  # no modal for them
    [message] = fakes.sent
    assert (message["allowed"], message["userId"]) == (False, OTHER_USER)
    assert message["request"] == {"action": "close", "caseId": "case-1"}


def test_another_workspace_is_refused_and_nothing_is_queued(fakes: Fakes) -> None:
    answer = _slack(fakes, block_actions(SLACK_RESUBMIT, "case-1", team="T0ELSEWHERE"))
    assert answer["statusCode"] == 200
    document = json.loads(answer["body"])
    assert document["response_type"] == "ephemeral"
    assert "not allowed" in document["text"]
    assert fakes.sent == []
    assert fakes.refusals() == ["unknown-team"]


@pytest.mark.parametrize(
    ("action_id", "value", "reason"),
    [
        ("bwp.delete-everything", "case-1", "unknown-action"),
        (SLACK_EXTEND, "case-1", "malformed"),
        (SLACK_EXTEND, "case-1|US CA", "malformed"),
        (SLACK_SILENCE, "case-1|ORDERS_NOT_CLOSED|0", "malformed"),
        (SLACK_SILENCE, "case-1|ORDERS_NOT_CLOSED|169", "malformed"),
        (SLACK_SILENCE, "case-1|orders|4", "malformed"),
        (SLACK_RESUBMIT, "case 1", "malformed"),
        (SLACK_RESUBMIT, "", "malformed"),
    ],
)
def test_an_unknown_action_or_a_value_that_does_not_fit_is_refused(
    fakes: Fakes, action_id: str, value: str, reason: str
) -> None:
    answer = _slack(fakes, block_actions(action_id, value))
    assert answer["statusCode"] == 400
    assert value not in answer["body"] or not value
    assert fakes.sent == []
    assert fakes.refusals() == [reason]


def _refused(fakes: Fakes, event: dict[str, Any], status: int, reason: str) -> None:
    answer = fakes.inbound().handle(event)
    assert answer["statusCode"] == status
    assert fakes.sent == []
    assert fakes.refusals() == [reason]
    assert SLACK_SIGNING_SECRET not in answer["body"]


def test_each_check_before_the_payload_refuses_with_its_status(fakes: Fakes) -> None:
    body = slack_form(block_actions(SLACK_RESUBMIT, "case-1"))
    headers = slack_headers(body)
    cases = [
        (url_event(SLACK_PATH, body, headers, method="GET"), 405, "method"),
        (url_event("/elsewhere", body, headers), 404, "not-found"),
        (
            url_event(SLACK_PATH, body, {**headers, "Content-Type": "application/json"}),
            415,
            "content-type",
        ),
        (url_event(SLACK_PATH, body + b"x", headers), 401, "bad-signature"),
        (url_event(SLACK_PATH, body, slack_headers(body, timestamp=NOW - 400)), 401, "stale"),
        (url_event(SLACK_PATH, body, slack_headers(body, timestamp=NOW + 400)), 401, "stale"),
        (
            url_event(SLACK_PATH, body, {"Content-Type": headers["Content-Type"]}),
            401,
            "missing-signature",
        ),
    ]
    for event, status, reason in cases:
        fakes.counts.clear()
        _refused(fakes, event, status, reason)


def test_a_body_over_64_kb_is_refused_before_its_signature_is_read(fakes: Fakes) -> None:
    body = b"payload=" + b"a" * MAX_BODY
    _refused(fakes, url_event(SLACK_PATH, body, slack_headers(body)), 413, "too-large")
    binary = b"\xff" * (MAX_BODY + 1)  # base64 in the event, as Lambda passes binary
    fakes.counts.clear()
    _refused(fakes, url_event(SLACK_PATH, binary, slack_headers(binary)), 413, "too-large")


def test_slack_is_not_taken_when_it_is_not_configured(fakes: Fakes) -> None:
    body = slack_form(block_actions(SLACK_RESUBMIT, "case-1"))
    answer = fakes.inbound(SLACK_ALLOWED_USERS="").handle(
        url_event(SLACK_PATH, body, slack_headers(body))
    )
    assert answer["statusCode"] == 404
    assert fakes.refusals() == ["not-configured"]


@pytest.mark.parametrize(
    "event_type",
    ["incident.acknowledged", "incident.resolved", "incident.reassigned", "incident.annotated"],
)
def test_each_recorded_pagerduty_event_is_queued(fakes: Fakes, event_type: str) -> None:
    answer = _pagerduty(fakes, pagerduty_event(event_type))
    assert answer["statusCode"] == 200
    [message] = fakes.sent
    action = PagerDutyAction.model_validate(message)
    assert (action.event_type, action.case_id, action.incident_id) == (
        event_type,
        "case-1",
        "PGR0VU2",
    )
    assert action.event_id == "5ac64822-4adc-4fda-ade0-410becf0de4f"  # PagerDuty's, as sent
    assert action.actor == "pagerduty:PLH1HKV"
    assert action.assignees == ["PTUXL6G"]
    assert fakes.counts == [("InboundQueued", {"source": "pagerduty"})]
    assert action.note == (
        "checked with merchant support" if event_type == "incident.annotated" else None
    )


def test_pagerduty_signed_with_the_old_and_new_secrets_is_taken(fakes: Fakes) -> None:
    _pagerduty(fakes, pagerduty_event(), PAGERDUTY_OLD_SECRET, PAGERDUTY_NEW_SECRET)
    _pagerduty(fakes, pagerduty_event(), PAGERDUTY_OLD_SECRET)
    assert len(fakes.sent) == 2


def test_another_pagerduty_event_type_is_ignored_and_counted(fakes: Fakes) -> None:
    answer = _pagerduty(fakes, pagerduty_event("incident.priority_updated"))
    assert answer["statusCode"] == 200
    assert fakes.sent == []
    assert fakes.counts == [("InboundIgnored", {"reason": "event-type"})]


@pytest.mark.parametrize("key", [None, "not a case id", "x" * 300])
def test_an_incident_not_ours_is_refused_with_200(fakes: Fakes, key: str | None) -> None:
    answer = _pagerduty(fakes, pagerduty_event(incident_key=key))
    assert answer["statusCode"] == 200  # PagerDuty retries anything else, for nothing
    assert fakes.sent == []
    assert fakes.refusals() == ["foreign-incident"]


def test_pagerduty_form_body_and_slack_json_body_are_refused_as_the_wrong_type(
    fakes: Fakes,
) -> None:
    body = json.dumps(pagerduty_event()).encode()
    headers = {**pagerduty_headers(body), "Content-Type": "application/x-www-form-urlencoded"}
    _refused(fakes, url_event(PAGERDUTY_PATH, body, headers), 415, "content-type")
    fakes.counts.clear()
    slack = json.dumps(block_actions(SLACK_RESUBMIT, "case-1")).encode()
    headers = {**slack_headers(slack), "Content-Type": "application/json"}
    _refused(fakes, url_event(SLACK_PATH, slack, headers), 415, "content-type")


ENDPOINT_PROPERTIES = settings(
    max_examples=200, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@ENDPOINT_PROPERTIES
@given(st.binary(max_size=300), st.sampled_from([SLACK_PATH, PAGERDUTY_PATH]))
def test_any_signed_body_is_answered_never_raised(body: bytes, path: str) -> None:
    """Signed as the sender signs (so every check past the signature runs), whatever the body:
    an answer with a status, never an exception."""
    fakes = Fakes()
    headers = slack_headers(body) if path == SLACK_PATH else pagerduty_headers(body)
    answer = fakes.inbound().handle(url_event(path, body, headers))
    assert answer["statusCode"] in (200, 400, 413, 502)
    assert len(fakes.sent) <= 1
