"""What a dead-letter queue's message says of itself is outside text: the event it parks (its
resources and id, which may be what got it refused), Lambda's ``errorMessage``, EventBridge's
and Scheduler's ``ERROR_MESSAGE``, a receiver's answer. `bwp-privacy dlq list` and its --json
show ids only when they are ids and every reason masked and on one line. Through the console
script, with the messages put on the sandbox's queues as AWS puts them there."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from bwp_privacy.common import EMAIL_MASK
from bwp_privacy.reaction import ATTEMPT_DUE
from bwp_privacy_cli.local import on_failure_record
from bwp_sandbox.sandbox import Sandbox
from tests.cli.conftest import Run
from tests.conftest import load_event
from tests.integration.reaction_helpers import BP

pytestmark = pytest.mark.integration

VICTIM = "alice.victim@shop.test"
#: None of these may be printed: the address's parts, and the line and bidi controls SQS lets
#: an attribute hold (it refuses C0 controls there; a body's JSON may hold any, escaped).
CANARIES = ("alice.victim", "shop.test", "\u202e", "\u2028", "\x1b", "\x07")
WIDE = {"COLUMNS": "400"}


def _attributes(**values: str) -> dict[str, Any]:
    return {name: {"DataType": "String", "StringValue": value} for name, value in values.items()}


def _event(task_id: str, event_id: str) -> dict[str, Any]:
    event = load_event()
    event["id"] = event_id
    event["resources"] = [f"businessProduct/{BP}/personalDataDeletionTask/{task_id}"]
    return event


def _park_hostile_messages(sandbox: Sandbox) -> None:
    sqs = boto3.client("sqs")
    stack = sandbox.stack
    # Refused for its resource: the recorder's error quotes it, and Lambda's record with it.
    refused = _event(VICTIM, f"e-1\u202e {VICTIM}")
    error = RuntimeError(f"resource ends in {VICTIM}\x1b[2J\u202e\x07; refused")
    sqs.send_message(
        QueueUrl=stack.on_failure_queue_url,
        MessageBody=json.dumps(on_failure_record(refused, error, 1)),
    )
    sqs.send_message(
        QueueUrl=stack.rule_dlq_url,
        MessageBody=json.dumps(_event("t-rule", VICTIM)),
        MessageAttributes=_attributes(
            ERROR_CODE="NO_PERMISSIONS",
            ERROR_MESSAGE=f"invoke of {VICTIM}\n\u202edenied\u2028",
            RULE_ARN=stack.rule_arn,
        ),
    )
    sqs.send_message(
        QueueUrl=stack.alert_dlq_url,
        MessageBody=json.dumps({"schema": "bwp-privacy.deletion-task-failure", "taskId": VICTIM}),
        MessageAttributes=_attributes(
            parkedReceiver=f"slack\u202e{VICTIM}", parkedReason=f"HTTP 400: {VICTIM}"
        ),
    )
    sqs.send_message(
        QueueUrl=stack.schedule_dlq_url,
        MessageBody=json.dumps({"kind": ATTEMPT_DUE, "caseId": VICTIM, "attempt": 1}),
        MessageAttributes=_attributes(
            ERROR_CODE="RETRY_ATTEMPTS_EXHAUSTED", ERROR_MESSAGE=f"input for {VICTIM}"
        ),
    )
    sqs.send_message(QueueUrl=stack.reaction_dlq_url, MessageBody=f"not JSON: {VICTIM}\u202e")
    # One as it should be: its ids are shown.
    sqs.send_message(
        QueueUrl=stack.on_failure_queue_url,
        MessageBody=json.dumps(
            on_failure_record(_event("t-fine", "e-fine"), RuntimeError("boom"), 3)
        ),
    )


def _leaks(text: str) -> list[str]:
    return [canary for canary in CANARIES if canary in text]


def test_dlq_list_shows_ids_only_when_ids_and_every_reason_masked(
    run_cli: Run, sandbox: Sandbox
) -> None:
    _park_hostile_messages(sandbox)

    listed = run_cli("dlq", "list", "--json", env=WIDE)
    assert listed.exit_code == 0, listed.stderr
    # Read both as JSON sends it (escaped) and as a script reads it.
    assert _leaks(listed.stdout) == []
    messages = listed.json()["messages"]
    assert _leaks(json.dumps(messages, ensure_ascii=False)) == []
    by_queue = {m["queue"]: m for m in messages if m["taskId"] != "t-fine"}
    assert {q: (m["taskId"], m["eventId"]) for q, m in by_queue.items()} == {
        "on-failure": (None, None),
        "rule-dlq": ("t-rule", None),
        "router-dlq": (None, None),
        "schedule-dlq": (None, None),
        "reaction-dlq": (None, None),
    }
    reasons = {q: m["reason"] for q, m in by_queue.items()}
    assert reasons == {
        "on-failure": (
            # The escape sequence's rest is left (its ESC is part of what looked like a domain).
            f"RetriesExhausted after 1 attempt(s): RuntimeError: resource ends in {EMAIL_MASK}"
            "[2J ; refused"
        ),
        "rule-dlq": (
            f"NO_PERMISSIONS: invoke of {EMAIL_MASK} denied  (rule {sandbox.stack.rule_arn})"
        ),
        "router-dlq": (f"unrecognised-receiver refused it for good: HTTP 400: {EMAIL_MASK}"),
        "schedule-dlq": (
            f"RETRY_ATTEMPTS_EXHAUSTED: input for {EMAIL_MASK} (schedule input for the reaction)"
        ),
        "reaction-dlq": (
            "not handled after 1 receive(s); see the reaction's logs [body is not a JSON object]"
        ),
    }
    assert by_queue["router-dlq"]["receiver"] == "unrecognised-receiver"
    [fine] = [m for m in messages if m["taskId"] == "t-fine"]
    assert (fine["eventId"], fine["reason"]) == (
        "e-fine",
        "RetriesExhausted after 3 attempt(s): RuntimeError: boom",
    )

    table = run_cli("dlq", "list", env=WIDE)
    assert table.exit_code == 0, table.stderr
    assert _leaks(table.stdout) == []
    assert EMAIL_MASK in table.stdout
    assert "t-fine" in table.stdout
    assert "6 message(s)" in table.stdout


def test_a_body_too_deep_to_read_is_listed_as_not_json(run_cli: Run, sandbox: Sandbox) -> None:
    # The JSON parser raises RecursionError for it, which is no ValueError.
    boto3.client("sqs").send_message(
        QueueUrl=sandbox.stack.on_failure_queue_url, MessageBody="[" * 5000
    )
    listed = run_cli("dlq", "list", "--queue", "on-failure", "--json")
    assert listed.exit_code == 0, listed.stderr
    [message] = listed.json()["messages"]
    assert (message["taskId"], message["reason"]) == (
        None,
        "unrecognised record [body is not a JSON object]",
    )
