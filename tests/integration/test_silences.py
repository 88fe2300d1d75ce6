"""Silences end to end in the sandbox, over HTTP with the template's IAM enforced: an operator
adds one through the reaction's function URL; the alert router does not send what it matches
(the ledger says muted, by which silence), except a case past due, which goes out saying so;
when the silence is expired or its end schedule fires, the receivers where it muted a case
still open are told once, and no one else. Every silence is in the audit trail."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from bwp_privacy.audit import AuditTrail
from bwp_privacy.cases import CaseState
from bwp_privacy_cli.local import LocalFunction
from bwp_sandbox.admin import ADMIN_CREDENTIALS, admin_client
from bwp_sandbox.event_source import SqsEventSource
from bwp_sandbox.function_urls import operator_identity
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.timeline import Timeline
from tests.integration.reaction_helpers import case, failed_task, open_case, schedules

pytestmark = pytest.mark.integration

SILENCE_ORDERS = {
    "action": "silence-add",
    "match": {"errorCode": "ORDERS_NOT_CLOSED"},
    "forSeconds": 4 * 3600,
    "reason": "the orders close tonight",
}


@pytest.fixture
def timeline(sandbox: Sandbox) -> Timeline:
    return Timeline(sandbox)


@pytest.fixture
def router(sandbox: Sandbox) -> LocalFunction:
    return sandbox.router.cold_start()


def route(sandbox: Sandbox, router: LocalFunction) -> int:
    source = SqsEventSource(sandbox.stack.alert_queue_url, router, batch_size=10)
    return sum(result.failed for result in source.drain())


def webhook_alerts(sandbox: Sandbox, case_id: str) -> list[dict[str, Any]]:
    """Every alert of the case the webhook receiver got (it gets every alert routed)."""
    return [
        alert
        for request in sandbox.sink.received("webhook")
        for alert in request["body"]["alerts"]
        if alert["case_id"] == case_id
    ]


def ledger_items(sandbox: Sandbox, case_id: str) -> dict[str, dict[str, Any]]:
    """The delivery ledger's items of a case, by receiver."""
    items = admin_client("dynamodb").scan(TableName=sandbox.stack.ledger_table_name)["Items"]
    return {item["receiver"]["S"]: item for item in items if item["caseId"]["S"] == case_id}


def trail(sandbox: Sandbox, subject: str) -> list[Any]:
    return AuditTrail(admin_client("dynamodb"), sandbox.stack.audit_table_name).entries(subject)


def test_a_silence_holds_then_releases_the_muted_case_once_and_no_other(
    sandbox: Sandbox, timeline: Timeline, router: LocalFunction
) -> None:
    added = sandbox.operate(SILENCE_ORDERS)
    assert added["outcome"] == "added"
    silence_id = added["silenceId"]
    assert f"{silence_id}-end" in schedules(sandbox)

    # A new failure of the silenced code: routed, not sent; the ledger says muted, by whom.
    failed_task(
        sandbox, "sil-muted", "ORDERS_NOT_CLOSED", email="m@example.com", orders_open_days=30
    )
    assert open_case(sandbox, timeline, "sil-muted").state is CaseState.WAITING
    # A case past its legal deadline: the law does not pause, it is sent, saying so.
    failed_task(
        sandbox,
        "sil-late",
        "ORDERS_NOT_CLOSED",
        email="l@example.com",
        orders_open_days=30,
        submitted_days_ago=50,
    )
    open_case(sandbox, timeline, "sil-late")
    # A muted case that ends while the silence holds: its end is told nowhere (never opened).
    failed_task(
        sandbox, "sil-closed", "ORDERS_NOT_CLOSED", email="c@example.com", orders_open_days=30
    )
    open_case(sandbox, timeline, "sil-closed")
    assert route(sandbox, router) == 0

    assert webhook_alerts(sandbox, "sil-muted") == []
    muted = ledger_items(sandbox, "sil-muted")
    assert muted  # at every receiver its routes chose
    for item in muted.values():
        assert item["silencedBy"]["SS"] == [silence_id]
        assert "openedAt" not in item
    # (The case is escalated too: its escalation is no ORDERS_NOT_CLOSED alert.)
    [late] = [
        a for a in webhook_alerts(sandbox, "sil-late") if "ORDERS_NOT_CLOSED" in a["error_codes"]
    ]
    assert late["status"] == "firing"
    assert silence_id in late["silence_note"]
    assert "past due" in late["silence_note"]
    assert "the law does not pause" in late["silence_note"]
    # Slack shows it under the deadlines.
    slack = [json.dumps(r["body"]) for r in sandbox.sink.received("slack")]
    assert any("*Not silenced:* Silence " + silence_id in text for text in slack)

    sandbox.operate(
        {"action": "close", "caseId": "sil-closed", "reason": "done", "closedAs": "completed"}
    )
    assert route(sandbox, router) == 0
    assert webhook_alerts(sandbox, "sil-closed") == []

    expired = sandbox.operate(
        {"action": "silence-expire", "silenceId": silence_id, "reason": "orders closed"}
    )
    assert expired["outcome"] == "expired"
    assert sorted(expired["released"]) == ["sil-late", "sil-muted"]  # the open ones it matches
    assert f"{silence_id}-end" not in schedules(sandbox)
    assert route(sandbox, router) == 0

    [told] = webhook_alerts(sandbox, "sil-muted")
    assert told["silence_ended"] == silence_id
    assert told["status"] == "firing"
    assert "no longer silenced" in told["headline"]
    # Sent already: no silence's end owed there.
    assert [a for a in webhook_alerts(sandbox, "sil-late") if a["silence_ended"]] == []
    assert webhook_alerts(sandbox, "sil-closed") == []
    for item in ledger_items(sandbox, "sil-muted").values():
        assert "silencedBy" not in item

    # Expired again (a retry): released again, sent nowhere twice.
    again = sandbox.operate({"action": "silence-expire", "silenceId": silence_id})
    assert again["outcome"] == "expired"
    assert route(sandbox, router) == 0
    assert len(webhook_alerts(sandbox, "sil-muted")) == 1

    entries = trail(sandbox, f"silence:{silence_id}")
    assert [(e.action, e.actor) for e in entries] == [
        ("silence add", operator_identity().arn),
        ("silence expire", operator_identity().arn),
        ("silence expire", operator_identity().arn),
    ]
    assert entries[0].outcome.startswith("added: until ")
    assert entries[1].outcome == "expired: 2 open case(s) released"
    assert entries[1].input == "--reason orders closed"


def test_the_end_schedule_releases_the_muted_case(
    sandbox: Sandbox, timeline: Timeline, router: LocalFunction
) -> None:
    added = sandbox.operate(SILENCE_ORDERS | {"forSeconds": 15 * 60})
    silence_id = added["silenceId"]
    failed_task(
        sandbox, "sil-timed", "ORDERS_NOT_CLOSED", email="t@example.com", orders_open_days=30
    )
    open_case(sandbox, timeline, "sil-timed")
    assert route(sandbox, router) == 0
    assert webhook_alerts(sandbox, "sil-timed") == []

    timeline.advance(0.5)  # Scheduler fires the silence's end (and nothing else is due)
    assert f"{silence_id}-end" not in schedules(sandbox)
    assert route(sandbox, router) == 0
    told = [a for a in webhook_alerts(sandbox, "sil-timed") if a["silence_ended"] == silence_id]
    assert len(told) == 1
    [ended] = [e for e in trail(sandbox, f"silence:{silence_id}") if e.action == "silence end"]
    assert ended.outcome == "ended: 1 open case(s) released"
    assert case(sandbox, "sil-timed").state is CaseState.WAITING


def test_a_silence_with_unknown_labels_or_too_long_is_refused_and_nothing_kept(
    sandbox: Sandbox,
) -> None:
    from bwp_privacy_cli.operator_client import OperatorRequestRefused

    for bad in ({"match": {"owner": "me"}}, {"forSeconds": 8 * 86400}):
        with pytest.raises(OperatorRequestRefused, match="invalid request: silence-add"):
            sandbox.operate(SILENCE_ORDERS | bad)
    table = sandbox.stack.silences_table_name
    assert admin_client("dynamodb").scan(TableName=table)["Items"] == []
    with pytest.raises(OperatorRequestRefused, match="no silence s0000000000000000"):
        sandbox.operate({"action": "silence-expire", "silenceId": "s0000000000000000"})


@pytest.mark.iam_denials_expected
def test_operators_cannot_write_silences_but_through_the_reaction(sandbox: Sandbox) -> None:
    """A silence mutes alerts: an operator (AuditGuardPolicy) adds one only as a request the
    reaction carries out and records, never by writing the table."""
    operator: Any = boto3.client(
        "dynamodb",
        endpoint_url=sandbox.aws.url,
        region_name="us-east-1",
        aws_access_key_id=ADMIN_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=ADMIN_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=ADMIN_CREDENTIALS["AWS_SESSION_TOKEN"],
    )
    table = sandbox.stack.silences_table_name
    key = {"pk": {"S": "SILENCES"}, "sk": {"S": "s0123456789abcdef"}}
    with pytest.raises(ClientError) as put_refused:
        operator.put_item(TableName=table, Item={**key, "body": {"S": "{}"}})
    assert put_refused.value.response["Error"]["Code"] == "AccessDeniedException"
    with pytest.raises(ClientError) as delete_refused:
        operator.delete_item(TableName=table, Key=key)
    assert delete_refused.value.response["Error"]["Code"] == "AccessDeniedException"
    # Reading is theirs (`silence list`).
    assert (
        operator.query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "SILENCES"}},
        )["Items"]
        == []
    )


def test_the_ledger_keeps_each_silence_that_muted_a_case_until_its_end_is_told(
    sandbox: Sandbox,
) -> None:
    """DeliveryLedger over DynamoDB with the router's role: two silences muted the case; the
    end of one while the other still mutes takes that one off, and a firing alert sent takes
    off those its claim saw."""
    from bwp_privacy.alerting import ClaimState, DeliveryLedger
    from bwp_privacy.alerting.ledger import Delivered

    ledger = DeliveryLedger(sandbox.router.client("dynamodb"), sandbox.stack.ledger_table_name)
    first, second = "s1111111111111111", "s2222222222222222"
    assert ledger.mark_silenced("webhook", "c-1", first, 1)
    assert ledger.mark_silenced("webhook", "c-1", second, 2)
    claim = ledger.claim("webhook", "c-1", f"notice/c-1/silence-ended/{first}")
    assert claim.state is ClaimState.CLAIMED
    assert claim.silenced_by == {first, second}
    assert ledger.unmute(claim, first) == []
    again = ledger.claim("webhook", "c-1", "failed/t-2")
    assert again.silenced_by == {second}
    assert ledger.mark_delivered([Delivered(again)], 3600) == []
    item = ledger_items(sandbox, "c-1")["webhook"]
    assert "silencedBy" not in item
    assert "openedAt" in item
