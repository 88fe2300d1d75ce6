"""`bwp-privacy dlq … --queue inbound-dlq`: Slack's and PagerDuty's actions the reaction could
not carry out, listed, and carried out again by the reaction, which reads them from the queue
itself (once each, in the name of the person who acted), the redrive recorded as the
operator's; and a stack that takes neither Slack's actions nor PagerDuty's webhooks says it has
no such queue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bwp_privacy.audit import AuditTrail
from bwp_privacy.common import iso_z
from bwp_sandbox.admin import admin_client
from bwp_sandbox.function_urls import operator_identity
from bwp_sandbox.inbound import SLACK_ALLOWED_USER, SLACK_TEAM_ID
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.timeline import Timeline
from tests.cli.conftest import Run
from tests.integration.reaction_helpers import case, failed_task, open_case

pytestmark = pytest.mark.integration

ACTOR = f"slack:{SLACK_TEAM_ID}/{SLACK_ALLOWED_USER}"
REQUEST_ID = "a" * 64


def _parked(sandbox: Sandbox, body: dict[str, Any]) -> None:
    """A message in InboundDeadLetterQueue, as InboundQueue's redrive policy leaves it."""
    sandbox.park_inbound_action(json.dumps(body))


def _close_from_slack(sandbox: Sandbox, timeline: Timeline, case_id: str) -> dict[str, Any]:
    return {
        "schema": "bwp-privacy.inbound-action",
        "schemaVersion": "1.0",
        "receivedAt": iso_z(timeline.now()),
        "source": "slack",
        "requestId": REQUEST_ID,
        "teamId": SLACK_TEAM_ID,
        "userId": SLACK_ALLOWED_USER,
        "allowed": True,
        "caseId": case_id,
        "request": {
            "action": "close",
            "caseId": case_id,
            "reason": "answered by phone",
            "closedAs": "completed",
        },
        "responseUrl": sandbox.sink.slack_response_url("aaaaaaaa"),
    }


def _trail(sandbox: Sandbox, subject: str) -> list[Any]:
    return AuditTrail(admin_client("dynamodb"), sandbox.stack.audit_table_name).entries(subject)


def test_parked_inbound_actions_are_listed_and_redriven_to_the_inbound_queue(
    invoke: Run, sandbox: Sandbox
) -> None:
    timeline = Timeline(sandbox)
    failed_task(sandbox, "dlq-inbound-1", "ORDERS_NOT_CLOSED", email="dlq-inbound@example.com")
    case_id = open_case(sandbox, timeline, "dlq-inbound-1").case_id
    _parked(sandbox, _close_from_slack(sandbox, timeline, case_id))
    _parked(sandbox, {"schema": "bwp-privacy.inbound-action", "source": "email"})

    listed = invoke("dlq", "list", "--queue", "inbound-dlq", "--json").json()
    assert listed["count"] == 2
    by_event = {m["eventId"]: m for m in listed["messages"]}
    slack = by_event[REQUEST_ID]
    assert (slack["queue"], slack["taskId"]) == ("inbound-dlq", case_id)
    assert slack["reason"].startswith("slack action not carried out after")
    assert by_event[None]["reason"].startswith("unrecognised action not carried out after")
    # `--queue all` reads it too, and a listing consumes nothing.
    assert invoke("dlq", "list", "--json").json()["count"] == 2

    redriven = invoke("dlq", "redrive", "--queue", "inbound-dlq", "--json")
    assert redriven.exit_code == 1  # what is no inbound action stays
    results = {r["eventId"]: (r["redriven"], r["detail"]) for r in redriven.json()["results"]}
    assert results[REQUEST_ID] == (True, "slack: moved")
    assert results[None][0] is False
    assert results[None][1].startswith("invalid inbound action:")
    assert results[None][1].endswith("left for a person")
    [kept] = invoke("dlq", "list", "--queue", "inbound-dlq", "--json").json()["messages"]
    assert kept["eventId"] is None

    # The reaction read it from the queue itself and carried it out, in the name of the
    # person who clicked (operators may not put an action on InboundQueue).
    assert case(sandbox, case_id).state.value == "CLOSED"
    [closed] = [e for e in _trail(sandbox, f"case:{case_id}") if e.action == "cases close"]
    assert closed.actor == ACTOR
    # The redrive itself is the operator's, recorded with the identity AWS authenticated.
    # the command's, and the reaction's of what it carried out.
    records = _trail(sandbox, "dlq:inbound-dlq")
    assert {(r.action, r.actor) for r in records} == {("dlq redrive", operator_identity().arn)}
    assert sorted(r.outcome for r in records) == ["1 carried out, 1 left", "1 redriven, 1 kept"]

    # Parked again (its answer to Slack failed, say) and redriven: carried out once only.
    _parked(sandbox, _close_from_slack(sandbox, timeline, case_id))
    again = invoke("dlq", "redrive", "--queue", "inbound-dlq", "--json").json()
    assert again["redriven"] == 1
    closes = [e for e in _trail(sandbox, f"case:{case_id}") if e.action == "cases close"]
    assert len(closes) == 1


def test_a_stack_without_inbound_says_it_has_no_inbound_dlq(
    invoke: Run, sandbox: Sandbox, target_file: Path
) -> None:
    # Deployed again without Slack actions or PagerDuty webhooks: no HasInbound.
    without = sandbox.deploy(SlackAllowedUsers="", PagerDutyWebhookSecretName="")
    without.target().write(target_file)
    for command in (["list"], ["redrive"], ["discard", "--yes"]):
        result = invoke("dlq", *command, "--queue", "inbound-dlq")
        assert result.exit_code != 0
        assert "has no inbound-dlq queue: it takes neither Slack's actions nor" in result.stderr
    # Every queue the stack has, without the inbound one.
    assert invoke("dlq", "list", "--json").json()["count"] == 0
    assert "inbound-dlq" not in without.target().queues
    assert without.target().inbound_url is None
