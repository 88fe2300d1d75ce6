"""The buttons on a case's Slack message, end to end in the sandbox with the template's IAM
enforced: the router deployed with a Slack bot and SlackAllowedUsers reads the case in the
cases table and draws the buttons that fit it; once the case ended, its message has none."""

from __future__ import annotations

import json

import pytest

from bwp_privacy.cases import CaseState
from bwp_privacy.cases.case import extendable_jurisdictions
from bwp_privacy.common import utc_now
from bwp_privacy.contract.inbound import SLACK_CLOSE, SLACK_EXTEND, SLACK_RESUBMIT, SLACK_SILENCE
from bwp_privacy_cli.local import LocalFunction
from bwp_sandbox.admin import admin_client
from bwp_sandbox.event_source import SqsEventSource
from bwp_sandbox.oncall import ONCALL_USER, SANDBOX_TEAM, SlackOnCall
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.sink import SLACK_BOT_TOKEN
from bwp_sandbox.timeline import Timeline
from tests.integration.reaction_helpers import case, failed_task, open_case

pytestmark = pytest.mark.integration

SIGNING_SECRET = "sandbox-slack-signing-secret"


def with_slack_actions(sandbox: Sandbox) -> Sandbox:
    """The stack with Slack in bot mode and users who may act: the router's secret holds the
    bot token, the channel and the signing secret; SlackAllowedUsers and SlackTeamId set."""
    admin_client("secretsmanager").put_secret_value(
        SecretId=sandbox.receivers.parameters["SlackSecretName"],
        SecretString=json.dumps(
            {"botToken": SLACK_BOT_TOKEN, "channel": "C0PRIVACY", "signingSecret": SIGNING_SECRET}
        ),
    )
    return sandbox.deploy(SlackAllowedUsers=ONCALL_USER, SlackTeamId=SANDBOX_TEAM)


def route(sandbox: Sandbox, router: LocalFunction) -> int:
    """Run the alert router over everything on its queue; how many records failed."""
    source = SqsEventSource(sandbox.stack.alert_queue_url, router, batch_size=10)
    return sum(result.failed for result in source.drain())


def test_an_escalated_case_s_message_offers_its_actions_and_none_once_the_case_ended(
    sandbox: Sandbox,
) -> None:
    deployed = with_slack_actions(sandbox)
    router = deployed.router.cold_start()
    assert router.settings()["SLACK_ACTIONS_ENABLED"] == "true"
    timeline = Timeline(deployed)
    # An unknown code: the case is escalated at once.
    failed_task(deployed, "t-buttons", "BRAND_NEW_CODE", email="buttons@example.com")
    escalated = open_case(deployed, timeline, "t-buttons")
    assert escalated.state is CaseState.ESCALATED
    assert route(deployed, router) == 0

    player = SlackOnCall(deployed.sink, SIGNING_SECRET)
    message = player.message_of("t-buttons")
    extendable = extendable_jurisdictions(escalated, utc_now())
    assert extendable  # a fresh request: its deadlines may still be extended
    assert [(b.action_id, b.value) for b in message.buttons if b.action_id != SLACK_SILENCE] == [
        (SLACK_CLOSE, "t-buttons"),
        *[(SLACK_EXTEND, f"t-buttons|{law}") for law in extendable],
        (SLACK_RESUBMIT, "t-buttons"),
    ]
    # The escalation's message silences the code the task failed with, not CASE_ESCALATED.
    silences = [b.value for b in message.buttons if b.action_id == SLACK_SILENCE]
    assert silences == ["t-buttons|BRAND_NEW_CODE|4"]

    deployed.operate(
        {
            "action": "close",
            "caseId": "t-buttons",
            "reason": "answered by the merchant's support",
            "closedAs": "completed",
        }
    )
    assert case(deployed, "t-buttons").state is CaseState.CLOSED
    assert route(deployed, router) == 0
    ended = player.message_of("t-buttons")
    assert (ended.channel, ended.ts) == (message.channel, message.ts)  # edited in place
    assert ended.buttons == []
    assert ended.text.startswith("[RESOLVED]")


def test_without_allowed_users_the_bot_draws_no_buttons(sandbox: Sandbox) -> None:
    """Slack in bot mode but no one allowed to act: no inbound function takes a click."""
    admin_client("secretsmanager").put_secret_value(
        SecretId=sandbox.receivers.parameters["SlackSecretName"],
        SecretString=json.dumps({"botToken": SLACK_BOT_TOKEN, "channel": "C0PRIVACY"}),
    )
    deployed = sandbox.deploy(SlackAllowedUsers="")
    router = deployed.router.cold_start()
    assert router.settings()["SLACK_ACTIONS_ENABLED"] == "false"
    failed_task(deployed, "t-quiet", "BRAND_NEW_CODE", email="quiet@example.com")
    assert open_case(deployed, Timeline(deployed), "t-quiet").state is CaseState.ESCALATED
    assert route(deployed, router) == 0
    message = SlackOnCall(deployed.sink, SIGNING_SECRET).message_of("t-quiet")
    assert message.buttons == []
