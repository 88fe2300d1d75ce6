"""The inbound function over HTTP at its function URL (AuthType NONE) in the sandbox, the
function under the template's IAM: Slack's buttons and close modal and PagerDuty's webhooks,
each verified request one message on InboundQueue; each abuse refused with its status, nothing
queued, and counted in the InboundRefused metric."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests

from bwp_privacy.contract.inbound import (
    SLACK_CLOSE,
    SLACK_EXTEND,
    SLACK_RESUBMIT,
    PagerDutyAction,
    SlackAction,
)
from bwp_sandbox.admin import admin_client
from bwp_sandbox.sandbox import INBOUND, Sandbox
from bwp_sandbox.sink import SLACK_BOT_TOKEN
from bwp_sandbox.stack import drain_queue
from tests.inbound_requests import (
    OTHER_USER,
    PAGERDUTY_NEW_SECRET,
    PAGERDUTY_OLD_SECRET,
    SLACK_SIGNING_SECRET,
    TEAM,
    USER,
    block_actions,
    close_submitted,
    pagerduty_event,
    pagerduty_headers,
    slack_form,
    slack_headers,
)

pytestmark = pytest.mark.integration


def _post(sandbox: Sandbox, path: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(sandbox.inbound_url + path, data=body, headers=headers, timeout=60)


def _slack(sandbox: Sandbox, payload: dict[str, Any], **signing: Any) -> requests.Response:
    body = slack_form(payload)
    timestamp = signing.pop("timestamp", int(time.time()))
    return _post(sandbox, "slack/actions", body, slack_headers(body, timestamp=timestamp))


def _pagerduty(sandbox: Sandbox, event: dict[str, Any], *secrets: str) -> requests.Response:
    body = json.dumps(event).encode()
    return _post(sandbox, "pagerduty/webhooks", body, pagerduty_headers(body, *secrets))


def _queued(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [json.loads(m["Body"]) for m in drain_queue(sandbox.stack.inbound_queue_url)]


def _counted(sandbox: Sandbox, metric: str = "InboundRefused") -> list[str]:
    """The ``reason`` of each EMF blob of ``metric`` the function printed."""
    reasons = []
    for line in sandbox.aws.function_urls.printed(INBOUND).splitlines():
        try:
            blob = json.loads(line)
        except ValueError:
            continue
        if isinstance(blob, dict) and metric in blob and "_aws" in blob:
            reasons.append(blob["reason"])
    return reasons


def _response_url(sandbox: Sandbox) -> str:
    """A response URL under the sandbox's prefix (the sink plays Slack's)."""
    return f"{sandbox.sink.base_url}/slack/response/T0SANDBOX/1"


def test_a_slack_button_queues_one_action_with_its_request_and_actor(sandbox: Sandbox) -> None:
    press = block_actions(SLACK_EXTEND, "case-7|ccpa", response_url=_response_url(sandbox))
    answer = _slack(sandbox, press)
    assert (answer.status_code, answer.content) == (200, b"")
    [message] = _queued(sandbox)
    action = SlackAction.model_validate(message)
    assert action.request == {
        "action": "extend",
        "caseId": "case-7",
        "jurisdiction": "ccpa",
        "reason": "extended from Slack",
    }
    assert (action.case_id, action.allowed, action.actor) == (
        "case-7",
        True,
        f"slack:{TEAM}/{USER}",
    )
    assert action.response_url == _response_url(sandbox)
    assert _counted(sandbox) == []


def test_a_response_url_outside_slacks_prefix_is_not_kept(sandbox: Sandbox) -> None:
    press = block_actions(SLACK_RESUBMIT, "case-7", response_url="https://evil.example/hook")
    assert _slack(sandbox, press).status_code == 200
    [message] = _queued(sandbox)
    assert message["responseUrl"] is None


def test_the_close_button_opens_the_modal_and_its_submission_queues_the_close(
    sandbox: Sandbox,
) -> None:
    """With a bot secret: the button opens the modal through the Web API (the sink's) and
    queues nothing; the modal submitted is the close request."""
    bot = {
        "botToken": SLACK_BOT_TOKEN,
        "channel": "C0PRIVACY",
        "signingSecret": SLACK_SIGNING_SECRET,
    }
    admin_client("secretsmanager").create_secret(
        Name="bwp-privacy/slack-bot", SecretString=json.dumps(bot)
    )
    sandbox = sandbox.deploy(SlackSecretName="bwp-privacy/slack-bot")
    trigger = sandbox.sink.new_trigger_id()
    press = block_actions(
        SLACK_CLOSE, "case-7", response_url=_response_url(sandbox), trigger_id=trigger
    )
    answer = _slack(sandbox, press)
    assert (answer.status_code, answer.content) == (200, b"")
    assert _queued(sandbox) == []
    [opened] = [r for r in sandbox.sink.received("slack") if r["path"].endswith("/views.open")]
    assert opened["body"]["trigger_id"] == trigger
    metadata = json.loads(opened["body"]["view"]["private_metadata"])
    assert metadata == {"caseId": "case-7", "responseUrl": _response_url(sandbox)}
    submitted = close_submitted(
        "case-7", "completed", "answered by support", response_url=metadata["responseUrl"]
    )
    assert _slack(sandbox, submitted).status_code == 200
    [message] = _queued(sandbox)
    assert message["request"] == {
        "action": "close",
        "caseId": "case-7",
        "closedAs": "completed",
        "reason": "answered by support",
    }
    assert message["responseUrl"] == _response_url(sandbox)


def test_the_close_modal_submitted_queues_a_close_request(sandbox: Sandbox) -> None:
    answer = _slack(sandbox, close_submitted("case-7", "denied", "not verified", "unverifiable"))
    assert (answer.status_code, answer.content) == (200, b"")
    [message] = _queued(sandbox)
    assert message["request"] == {
        "action": "close",
        "caseId": "case-7",
        "closedAs": "denied",
        "deniedBecause": "unverifiable",
        "reason": "not verified",
    }


def test_a_user_not_allowed_is_queued_as_not_allowed(sandbox: Sandbox) -> None:
    answer = _slack(sandbox, block_actions(SLACK_RESUBMIT, "case-7", user=OTHER_USER))
    assert answer.status_code == 200
    [message] = _queued(sandbox)
    assert (message["allowed"], message["userId"]) == (False, OTHER_USER)


def test_the_close_button_without_a_bot_token_is_refused(sandbox: Sandbox) -> None:
    # The sandbox's Slack secret is an incoming webhook's (no bot token to open the modal).
    answer = _slack(sandbox, block_actions(SLACK_CLOSE, "case-7"))
    assert answer.status_code == 400
    assert _queued(sandbox) == []
    assert _counted(sandbox) == ["not-configured"]


def _abuse(sandbox: Sandbox, answer: requests.Response, status: int, reason: str) -> None:
    assert answer.status_code == status, answer.text
    assert _queued(sandbox) == []
    assert _counted(sandbox) == [reason]
    assert SLACK_SIGNING_SECRET not in answer.text
    assert "case-7" not in answer.text  # nothing of the request is echoed


SLACK_BODY = slack_form(block_actions(SLACK_RESUBMIT, "case-7"))


def _signed_now(body: bytes, **changes: str) -> dict[str, str]:
    return {**slack_headers(body, timestamp=int(time.time())), **changes}


def test_a_slack_request_without_a_signature_is_refused(sandbox: Sandbox) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = _post(sandbox, "slack/actions", SLACK_BODY, headers)
    _abuse(sandbox, answer, 401, "missing-signature")


def test_a_wrong_slack_signature_is_refused(sandbox: Sandbox) -> None:
    headers = _signed_now(SLACK_BODY, **{"X-Slack-Signature": "v0=" + "0" * 64})
    _abuse(sandbox, _post(sandbox, "slack/actions", SLACK_BODY, headers), 401, "bad-signature")


def test_a_slack_signature_over_another_body_is_refused(sandbox: Sandbox) -> None:
    headers = _signed_now(slack_form(block_actions(SLACK_RESUBMIT, "case-8")))
    _abuse(sandbox, _post(sandbox, "slack/actions", SLACK_BODY, headers), 401, "bad-signature")


def test_a_slack_signature_with_another_secret_is_refused(sandbox: Sandbox) -> None:
    headers = slack_headers(
        SLACK_BODY, timestamp=int(time.time()), secret="not-our-signing-secret-at-all"
    )
    _abuse(sandbox, _post(sandbox, "slack/actions", SLACK_BODY, headers), 401, "bad-signature")


def test_a_slack_form_sent_as_json_is_refused(sandbox: Sandbox) -> None:
    body = json.dumps(block_actions(SLACK_RESUBMIT, "case-7")).encode()
    headers = _signed_now(body, **{"Content-Type": "application/json"})
    _abuse(sandbox, _post(sandbox, "slack/actions", body, headers), 415, "content-type")


# Far past the window either way: the request takes real time to reach the function, so a
# skew at the window's edge would rest on the machine's speed (the edge itself is
# tests/unit/test_inbound_signatures.py's, with an injected clock).
@pytest.mark.parametrize("skew", [-900, 900, -3600])
def test_a_slack_request_more_than_five_minutes_off_is_stale(sandbox: Sandbox, skew: int) -> None:
    answer = _slack(
        sandbox, block_actions(SLACK_RESUBMIT, "case-7"), timestamp=int(time.time()) + skew
    )
    _abuse(sandbox, answer, 401, "stale")


def test_another_workspace_is_refused_and_answered_not_allowed(sandbox: Sandbox) -> None:
    answer = _slack(sandbox, block_actions(SLACK_RESUBMIT, "case-7", team="T0ELSEWHERE"))
    assert answer.json() == {
        "response_type": "ephemeral",
        "text": "You are not allowed to act on privacy cases from Slack.",
    }
    _abuse(sandbox, answer, 200, "unknown-team")


def test_an_unknown_action_id_is_refused(sandbox: Sandbox) -> None:
    answer = _slack(sandbox, block_actions("bwp.drop-table", "case-7"))
    _abuse(sandbox, answer, 400, "unknown-action")


def test_a_malformed_payload_is_refused(sandbox: Sandbox) -> None:
    body = b"payload=%7B%22type%22%3A%22block_actions%22%2C%22team%22%3A7%7D"
    answer = _post(sandbox, "slack/actions", body, slack_headers(body, timestamp=int(time.time())))
    _abuse(sandbox, answer, 400, "malformed")


def test_a_body_over_64_kb_is_refused(sandbox: Sandbox) -> None:
    body = b"payload=" + b"x" * 65_536
    answer = _post(sandbox, "slack/actions", body, slack_headers(body, timestamp=int(time.time())))
    _abuse(sandbox, answer, 413, "too-large")


def test_a_get_is_refused(sandbox: Sandbox) -> None:
    answer = requests.get(sandbox.inbound_url + "slack/actions", timeout=60)
    _abuse(sandbox, answer, 405, "method")


@pytest.mark.parametrize(
    "event_type",
    ["incident.acknowledged", "incident.resolved", "incident.annotated", "incident.reassigned"],
)
def test_each_recorded_pagerduty_event_is_queued(sandbox: Sandbox, event_type: str) -> None:
    answer = _pagerduty(sandbox, pagerduty_event(event_type, incident_key="case-7"))
    assert answer.status_code == 200
    [message] = _queued(sandbox)
    action = PagerDutyAction.model_validate(message)
    assert (action.event_type, action.case_id, action.actor) == (
        event_type,
        "case-7",
        "pagerduty:PLH1HKV",
    )


def test_pagerduty_signed_with_the_old_and_the_new_secret_is_taken(sandbox: Sandbox) -> None:
    both = _pagerduty(sandbox, pagerduty_event(), PAGERDUTY_OLD_SECRET, PAGERDUTY_NEW_SECRET)
    old = _pagerduty(sandbox, pagerduty_event(), PAGERDUTY_OLD_SECRET)
    assert (both.status_code, old.status_code) == (200, 200)
    assert len(_queued(sandbox)) == 2


def test_pagerduty_signed_with_another_secret_is_refused(sandbox: Sandbox) -> None:
    answer = _pagerduty(sandbox, pagerduty_event(), "a-secret-pagerduty-never-had")
    _abuse(sandbox, answer, 401, "bad-signature")


def test_a_pagerduty_event_of_a_foreign_incident_is_refused(sandbox: Sandbox) -> None:
    answer = _pagerduty(sandbox, pagerduty_event(incident_key="their incident #12"))
    _abuse(sandbox, answer, 200, "foreign-incident")


def test_an_unknown_pagerduty_event_type_is_ignored(sandbox: Sandbox) -> None:
    answer = _pagerduty(sandbox, pagerduty_event("incident.priority_updated"))
    assert answer.status_code == 200
    assert _queued(sandbox) == []
    assert _counted(sandbox) == []
    assert _counted(sandbox, "InboundIgnored") == ["event-type"]


def test_pagerduty_json_sent_as_a_form_is_refused(sandbox: Sandbox) -> None:
    body = json.dumps(pagerduty_event()).encode()
    headers = {**pagerduty_headers(body), "Content-Type": "application/x-www-form-urlencoded"}
    _abuse(sandbox, _post(sandbox, "pagerduty/webhooks", body, headers), 415, "content-type")
