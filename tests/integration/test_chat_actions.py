"""On-call acting from the chat, end to end in the sandbox with the template's IAM enforced:
each button of a case's Slack message is pressed as Slack sends it (signed, over HTTP, to the
inbound function's URL), the reaction carries it out from InboundQueue, answers in the
channel, and the case's (or the silence's) audit trail names the person; PagerDuty's
acknowledgement, note, reassignment and resolve land on the case the same way."""

from __future__ import annotations

import json

import pytest

from bwp_privacy.audit import AuditTrail
from bwp_privacy.cases import CaseState
from bwp_privacy.contract.inbound import SLACK_CLOSE, SLACK_EXTEND, SLACK_RESUBMIT, SLACK_SILENCE
from bwp_privacy.silences import SilenceStore
from bwp_privacy_cli.local import LocalFunction
from bwp_sandbox.admin import admin_client
from bwp_sandbox.event_source import SqsEventSource
from bwp_sandbox.inbound import PAGERDUTY_SIGNING_SECRETS, SLACK_SIGNING_SECRET
from bwp_sandbox.oncall import ONCALL_USER, SANDBOX_TEAM, PagerDutyOnCall, SlackOnCall
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.sink import SLACK_BOT_TOKEN
from bwp_sandbox.timeline import Timeline
from tests.integration.reaction_helpers import case, failed_task, open_case

pytestmark = pytest.mark.integration

ACTOR = f"slack:{SANDBOX_TEAM}/{ONCALL_USER}"


def _bot(sandbox: Sandbox) -> Sandbox:
    """The stack with Slack as a bot: the sandbox already lets its on-call user act."""
    admin_client("secretsmanager").put_secret_value(
        SecretId=sandbox.receivers.parameters["SlackSecretName"],
        SecretString=json.dumps(
            {
                "botToken": SLACK_BOT_TOKEN,
                "channel": "C0PRIVACY",
                "signingSecret": SLACK_SIGNING_SECRET,
            }
        ),
    )
    return sandbox.deploy()


def _route(sandbox: Sandbox, router: LocalFunction) -> None:
    source = SqsEventSource(sandbox.stack.alert_queue_url, router, batch_size=10)
    assert sum(result.failed for result in source.drain()) == 0


def _trail(sandbox: Sandbox, subject: str) -> list[tuple[str, str, str]]:
    trail = AuditTrail(admin_client("dynamodb"), sandbox.stack.audit_table_name)
    return [(entry.actor, entry.action, entry.outcome) for entry in trail.entries(subject)]


def test_each_button_acts_on_its_case_and_names_the_person_in_the_audit_trail(
    sandbox: Sandbox,
) -> None:
    deployed = _bot(sandbox)
    router = deployed.router.cold_start()
    timeline = Timeline(deployed)
    url = deployed.inbound_url + "slack/actions"
    # An unknown code escalates at once; the shopper's orders stay open, so a resubmission
    # fails again and the case stays open for the next button.
    failed_task(deployed, "t-chat", "BRAND_NEW_CODE", email="chat@example.com", orders_open_days=60)
    assert open_case(deployed, timeline, "t-chat").state is CaseState.ESCALATED
    _route(deployed, router)
    player = SlackOnCall(deployed.sink, SLACK_SIGNING_SECRET)
    message = player.message_of("t-chat")
    [extend, *_] = [b for b in message.buttons if b.action_id == SLACK_EXTEND]
    law = extend.value.split("|")[1]

    assert player.click(url, "t-chat", SLACK_EXTEND, value=extend.value).status == 200
    timeline.settle()
    extended = {d.jurisdiction: d.extended_at for d in case(deployed, "t-chat").deadlines}
    assert extended[law] is not None

    silence = message.button(SLACK_SILENCE).value
    assert player.click(url, "t-chat", SLACK_SILENCE, value=silence).status == 200
    timeline.settle()
    store = SilenceStore(admin_client("dynamodb"), deployed.stack.silences_table_name)
    [made] = store.all()
    assert (made.matchers, made.created_by) == ({"errorCode": "BRAND_NEW_CODE"}, ACTOR)

    assert player.click(url, "t-chat", SLACK_RESUBMIT).status == 200
    timeline.settle()
    assert case(deployed, "t-chat").attempts == 1

    assert player.click(url, "t-chat", SLACK_CLOSE).status == 200
    closed = player.submit_close(url, closed_as="denied", denied_because="exempt", reason="exempt")
    assert closed.status == 200
    timeline.settle()
    ended = case(deployed, "t-chat")
    assert (ended.state, ended.closed_as, ended.denied_because) == (
        CaseState.CLOSED,
        "denied",
        "exempt",
    )

    by_the_person = [
        (action, outcome.split(":")[0])
        for actor, action, outcome in _trail(deployed, "case:t-chat")
        if actor == ACTOR and action.startswith("cases ")
    ]
    assert by_the_person == [
        ("cases extend", "moved"),
        ("cases resubmit", "moved"),
        ("cases close", "moved"),
    ]
    assert [(actor, action) for actor, action, _ in _trail(deployed, f"silence:{made.silence_id}")][
        :1
    ] == [(ACTOR, "silence add")]
    answers = [post["body"] for post in deployed.sink.slack_responses()]
    assert [answer["response_type"] for answer in answers] == ["in_channel"] * 4
    assert all(answer["text"].startswith(f"<@{ONCALL_USER}> ") for answer in answers)
    # The case ended: its message has no buttons left, and a press of an old one is refused.
    _route(deployed, router)
    assert player.message_of("t-chat").buttons == []


def test_pagerduty_s_events_land_on_the_case_and_a_resolve_leaves_it_open(
    sandbox: Sandbox,
) -> None:
    timeline = Timeline(sandbox)
    url = sandbox.inbound_url + "pagerduty/webhooks"
    failed_task(sandbox, "t-paged", "BRAND_NEW_CODE", email="paged@example.com")
    assert open_case(sandbox, timeline, "t-paged").state is CaseState.ESCALATED
    pager = PagerDutyOnCall(PAGERDUTY_SIGNING_SECRETS)
    for event_type in (
        "incident.triggered",
        "incident.acknowledged",
        "incident.annotated",
        "incident.reassigned",
        "incident.resolved",
    ):
        assert (
            pager.send(url, event_type, "t-paged", event_id=f"evt-{event_type[9:]}").status == 200
        )
    # PagerDuty delivers again what it is not sure arrived: the same event changes nothing.
    assert (
        pager.send(url, "incident.acknowledged", "t-paged", event_id="evt-acknowledged").status
        == 200
    )
    timeline.settle()
    recorded = [
        action
        for actor, action, _ in _trail(sandbox, "case:t-paged")
        if actor.startswith("pagerduty:")
    ]
    assert sorted(recorded) == [
        "pagerduty incident.acknowledged",
        "pagerduty incident.annotated",
        "pagerduty incident.reassigned",
        "pagerduty incident.resolved",
    ]
    still = case(sandbox, "t-paged")
    assert still.state is CaseState.ESCALATED  # the legal clock, not the incident, ends it
    assert still.incident_resolved_by_hand_at is not None
