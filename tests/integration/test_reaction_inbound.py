"""Slack's and PagerDuty's verified requests, carried out by the reaction from InboundQueue in
the sandbox with the template's IAM enforced: each action is put on the queue as the inbound
function puts it (with the sandbox's credentials here), the reaction's event source runs as
Lambda runs it, and the case, its audit trail (`bwp-privacy cases show`) and the answer posted
to Slack's response_url (the sink's) say what happened."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bwp_privacy.audit import AuditTrail
from bwp_privacy.common import iso_z
from bwp_privacy.reaction.inbound_actions import NOT_ALLOWED_OUTCOME, RESOLVED_OUTCOME
from bwp_privacy.reaction.inbound_claims import KEEP, LEASE, InboundBusy, InboundClaims, claim_key
from bwp_privacy_cli.main import cli
from bwp_sandbox.admin import admin_client
from bwp_sandbox.inbound import SLACK_ALLOWED_USER, SLACK_TEAM_ID
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.timeline import Timeline
from tests.integration.reaction_helpers import case, cases, failed_task, open_case

pytestmark = pytest.mark.integration

ACTOR = f"slack:{SLACK_TEAM_ID}/{SLACK_ALLOWED_USER}"


def send(sandbox: Sandbox, body: dict[str, Any]) -> None:
    """An inbound action on InboundQueue, as the inbound function sends it."""
    sandbox.queue_inbound_action(json.dumps(body))


def slack_action(
    sandbox: Sandbox,
    timeline: Timeline,
    case_id: str,
    request: dict[str, Any],
    *,
    request_id: str = "1" * 64,
    user: str = SLACK_ALLOWED_USER,
    allowed: bool = True,
) -> dict[str, Any]:
    return {
        "schema": "bwp-privacy.inbound-action",
        "schemaVersion": "1.0",
        "receivedAt": iso_z(timeline.now()),
        "source": "slack",
        "requestId": request_id,
        "teamId": SLACK_TEAM_ID,
        "userId": user,
        "allowed": allowed,
        "caseId": case_id,
        "request": request,
        "responseUrl": sandbox.sink.slack_response_url(request_id[:8]),
    }


def pagerduty_event(
    timeline: Timeline, case_id: str, event_type: str, event_id: str, **fields: Any
) -> dict[str, Any]:
    return {
        "schema": "bwp-privacy.inbound-action",
        "schemaVersion": "1.0",
        "receivedAt": iso_z(timeline.now()),
        "source": "pagerduty",
        "eventId": event_id,
        "eventType": event_type,
        "incidentId": "PINC0001",
        "caseId": case_id,
        "agentId": "PAGENT01",
        "occurredAt": iso_z(timeline.now(), "milliseconds"),
        **fields,
    }


def open_case_for(sandbox: Sandbox, timeline: Timeline, task_id: str) -> str:
    failed_task(sandbox, task_id, "ORDERS_NOT_CLOSED", email=f"{task_id}@example.com")
    opened = open_case(sandbox, timeline, task_id)
    assert not opened.state.ended
    return opened.case_id


def shown(sandbox: Sandbox, tmp_path: Path, case_id: str) -> dict[str, Any]:
    """``bwp-privacy cases show CASE --json``, as an operator runs it against the sandbox."""
    target = tmp_path / "sandbox.json"
    sandbox.target().write(target)
    result = CliRunner().invoke(
        cli,
        ["cases", "show", case_id, "--json"],
        env={"BWP_SANDBOX_FILE": str(target)},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    shown_case: dict[str, Any] = json.loads(result.stdout)
    return shown_case


def trail(sandbox: Sandbox, case_id: str) -> list[Any]:
    return AuditTrail(admin_client("dynamodb"), sandbox.stack.audit_table_name).entries(
        f"case:{case_id}"
    )


def test_a_slack_close_closes_the_case_in_the_users_name_and_answers_the_channel(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    timeline = Timeline(sandbox)
    case_id = open_case_for(sandbox, timeline, "inbound-close-1")
    close = {
        "action": "close",
        "caseId": case_id,
        "reason": "answered by <mail> & phone",
        "closedAs": "completed",
    }
    action = slack_action(sandbox, timeline, case_id, close)
    send(sandbox, action)
    # Slack sent it again (a retry, or a replay within the signature's window).
    send(sandbox, {**action, "receivedAt": iso_z(timeline.now())})
    step = timeline.react()
    assert step.inbound_handled == 2
    assert case(sandbox, case_id).state.value == "CLOSED"
    entries = [e for e in trail(sandbox, case_id) if e.action == "cases close"]
    assert [(e.actor, e.outcome) for e in entries] == [(ACTOR, "moved: CLOSED")]
    assert sandbox.sink.slack_responses() == [
        {
            "path": "/slack/response/11111111",
            "body": {
                "response_type": "in_channel",
                "replace_original": False,
                "text": f"<@{SLACK_ALLOWED_USER}> closed case {case_id} as completed: answered"
                " by &lt;mail&gt; &amp; phone (now CLOSED)",
            },
        }
    ]
    show = json.dumps(shown(sandbox, tmp_path, case_id))
    assert ACTOR in show
    # Once more, after it ended: refused by the case, told to the user alone.
    extend = {"action": "extend", "caseId": case_id, "jurisdiction": "ccpa", "reason": "late"}
    send(sandbox, slack_action(sandbox, timeline, case_id, extend, request_id="2" * 64))
    timeline.react()
    answer = sandbox.sink.slack_responses()[-1]["body"]
    assert answer["response_type"] == "ephemeral"
    refused = [e for e in trail(sandbox, case_id) if e.action == "cases extend"]
    assert [(e.actor, e.outcome.split(":")[0]) for e in refused] == [(ACTOR, "refused")]


def test_a_slack_extend_extends_the_deadline_in_the_users_name(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    timeline = Timeline(sandbox)
    case_id = open_case_for(sandbox, timeline, "inbound-extend-1")
    extend = {"action": "extend", "caseId": case_id, "jurisdiction": "ccpa", "reason": "busy"}
    send(sandbox, slack_action(sandbox, timeline, case_id, extend))
    timeline.react()
    extended = case(sandbox, case_id)
    assert [d.extended_at is not None for d in extended.deadlines] == [True]
    [entry] = [e for e in trail(sandbox, case_id) if e.action == "cases extend"]
    assert entry.actor == ACTOR
    [response] = sandbox.sink.slack_responses()
    assert response["body"]["response_type"] == "in_channel"
    assert "extended case" in response["body"]["text"]
    assert ACTOR in json.dumps(shown(sandbox, tmp_path, case_id))


def test_a_slack_user_not_allowed_changes_nothing_and_is_recorded(sandbox: Sandbox) -> None:
    timeline = Timeline(sandbox)
    case_id = open_case_for(sandbox, timeline, "inbound-denied-1")
    close = {"action": "close", "caseId": case_id, "reason": "x", "closedAs": "cancelled"}
    send(sandbox, slack_action(sandbox, timeline, case_id, close, user="U0STRANGER", allowed=False))
    timeline.react()
    assert not case(sandbox, case_id).state.ended
    [entry] = [e for e in trail(sandbox, case_id) if e.actor.startswith("slack:")]
    assert (entry.actor, entry.action, entry.outcome) == (
        f"slack:{SLACK_TEAM_ID}/U0STRANGER",
        "cases close",
        NOT_ALLOWED_OUTCOME,
    )
    [response] = sandbox.sink.slack_responses()
    assert response["body"]["response_type"] == "ephemeral"
    assert response["body"]["text"].startswith("You are not allowed to act on bwp-privacy cases")


def test_pagerduty_events_land_in_the_trail_and_a_resolve_keeps_the_case_open(
    sandbox: Sandbox,
) -> None:
    timeline = Timeline(sandbox)
    case_id = open_case_for(sandbox, timeline, "inbound-pd-1")
    acknowledged = pagerduty_event(timeline, case_id, "incident.acknowledged", "EVTACK1")
    send(sandbox, acknowledged)
    send(sandbox, acknowledged)  # PagerDuty delivered it twice
    send(
        sandbox,
        pagerduty_event(timeline, case_id, "incident.annotated", "EVTNOTE1", note="on it"),
    )
    send(sandbox, pagerduty_event(timeline, case_id, "incident.resolved", "EVTRES1"))
    # An incident that is no case of ours: nothing written.
    send(sandbox, pagerduty_event(timeline, "not-a-case", "incident.acknowledged", "EVTX1"))
    timeline.react()
    entries = {e.action: e for e in trail(sandbox, case_id) if e.actor.startswith("pagerduty:")}
    assert sorted(entries) == [
        "pagerduty incident.acknowledged",
        "pagerduty incident.annotated",
        "pagerduty incident.resolved",
    ]
    assert entries["pagerduty incident.acknowledged"].actor == "pagerduty:PAGENT01"
    assert entries["pagerduty incident.annotated"].input == "incident PINC0001 note: on it"
    assert entries["pagerduty incident.resolved"].outcome == RESOLVED_OUTCOME
    resolved = case(sandbox, case_id)
    assert not resolved.state.ended
    assert resolved.incident_resolved_by_hand_at is not None
    assert trail(sandbox, "not-a-case") == []
    # A later move of the case keeps the mark (the case is written whole, from its model).
    close = {"action": "close", "caseId": case_id, "reason": "done", "closedAs": "completed"}
    send(sandbox, slack_action(sandbox, timeline, case_id, close))
    timeline.react()
    closed = case(sandbox, case_id)
    assert closed.state.value == "CLOSED"
    assert closed.incident_resolved_by_hand_at == resolved.incident_resolved_by_hand_at


def test_a_message_that_is_no_inbound_action_ends_in_the_dead_letter_queue(
    sandbox: Sandbox,
) -> None:
    timeline = Timeline(sandbox)
    send(sandbox, {"schema": "bwp-privacy.inbound-action", "source": "email"})
    timeline.react()
    parked = admin_client("sqs").receive_message(
        QueueUrl=sandbox.stack.inbound_dlq_url, MaxNumberOfMessages=10
    )
    assert len(parked.get("Messages", [])) == 1


def test_a_claim_is_held_while_its_lease_runs_then_taken_over_and_done_for_good(
    sandbox: Sandbox,
) -> None:
    now = [datetime(2026, 12, 1, 9, 0, tzinfo=UTC)]
    claims = InboundClaims(
        sandbox.reaction.client("dynamodb"), sandbox.stack.cases_table_name, lambda: now[0]
    )
    key = claim_key("slack", "3" * 64)
    assert claims.claim(key)
    # Another copy while the first invocation is at work: it waits for its retry.
    with pytest.raises(InboundBusy):
        claims.claim(key)
    # The first one died midway: once its lease ran out, a copy takes the claim over.
    now[0] += LEASE + timedelta(seconds=1)
    assert claims.claim(key)
    # It failed for now and let go: its retry may take the claim at once.
    claims.release(key)
    assert claims.claim(key)
    claims.done(key, "moved")
    now[0] += timedelta(days=1)
    assert not claims.claim(key)
    # The claim is no case: no reader of cases sees it.
    assert cases(sandbox).all_cases() == []
    item = admin_client("dynamodb").get_item(
        TableName=sandbox.stack.cases_table_name, Key={"pk": {"S": key}}
    )["Item"]
    assert "state" not in item
    assert int(item["expiresAt"]["N"]) == int((now[0] - timedelta(days=1) + KEEP).timestamp())
