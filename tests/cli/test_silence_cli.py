"""`bwp-privacy silence add|list|expire` against the sandbox: options held to the labels'
grammar before anything is sent, --dry-run sending nothing and saying which open cases a
silence would mute and which it may not (the law does not pause), the list with who, why and
until when, and every --json as its schema says."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from bwp_privacy_cli.schemas import path_of
from bwp_sandbox.admin import admin_client
from bwp_sandbox.function_urls import operator_identity
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.timeline import Timeline
from tests.cli.conftest import Run
from tests.integration.reaction_helpers import failed_task, open_case

pytestmark = pytest.mark.integration

MATCH = ("--match", "errorCode=ORDERS_NOT_CLOSED")


def valid(name: str, document: Any) -> Any:
    schema = json.loads(path_of(name).read_text())
    errors = sorted(Draft202012Validator(schema).iter_errors(document), key=str)
    assert errors == [], [f"{list(e.absolute_path)}: {e.message}" for e in errors]
    return document


def silences_kept(sandbox: Sandbox) -> list[Any]:
    answer = admin_client("dynamodb").scan(TableName=sandbox.stack.silences_table_name)
    return list(answer["Items"])


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--match", "owner=me"), "owner: not a label alerts have"),
        (("--match", "errorCode"), "write LABEL=VALUE"),
        (("--match", "errorCode=lower case"), "errorCode: expected to match"),
        (("--match", "severity=urgent"), "one of critical, info, warning"),
        ((*MATCH, "--match", "errorCode=OTHER"), "errorCode: given twice"),
        ((*MATCH, "--for", "5m"), "a silence lasts from 15m to 7d"),
        ((*MATCH, "--for", "8d"), "a silence lasts from 15m to 7d"),
        ((*MATCH, "--for", "4 hours"), "use 30m, 4h or 2d"),
    ],
)
def test_options_are_held_to_their_grammar_before_anything_is_sent(
    invoke: Run, sandbox: Sandbox, args: tuple[str, ...], said: str
) -> None:
    full = ["silence", "add", *args, "--reason", "why"]
    if "--for" not in args:
        full += ["--for", "4h"]
    refused = invoke(*full)
    assert refused.exit_code == 2
    assert said in refused.stderr
    assert silences_kept(sandbox) == []


def test_dry_run_sends_nothing_and_says_which_cases_the_law_keeps_loud(
    invoke: Run, sandbox: Sandbox
) -> None:
    timeline = Timeline(sandbox)
    failed_task(
        sandbox, "dry-on-time", "ORDERS_NOT_CLOSED", email="a@example.com", orders_open_days=30
    )
    open_case(sandbox, timeline, "dry-on-time")
    failed_task(
        sandbox,
        "dry-late",
        "ORDERS_NOT_CLOSED",
        email="b@example.com",
        orders_open_days=30,
        submitted_days_ago=50,
    )
    open_case(sandbox, timeline, "dry-late")
    failed_task(sandbox, "dry-other", "SOMETHING_NEW", email="c@example.com")
    open_case(sandbox, timeline, "dry-other")

    dry = valid(
        "silence-dry-run",
        invoke(
            "silence", "add", *MATCH, "--for", "4h", "--reason", "r", "--dry-run", "--json"
        ).json(),
    )
    assert {(c["caseId"], c["muted"], c["bucket"]) for c in dry["cases"]} == {
        ("dry-on-time", True, None),
        ("dry-late", False, "past due"),
    }
    assert dry["dueSoonDays"] == 5
    human = invoke("silence", "add", *MATCH, "--for", "4h", "--reason", "r", "--dry-run")
    assert human.exit_code == 0, human.stderr
    assert "Dry run: nothing sent." in human.stdout
    assert "would mute the alerts of 1 open case(s)" in human.stdout
    assert "not muted: past due (the law does not pause)" in human.stdout
    assert silences_kept(sandbox) == []


def test_add_list_and_expire(invoke: Run, sandbox: Sandbox) -> None:
    added = valid(
        "silence-add",
        invoke(
            "silence", "add", *MATCH, "--for", "4h", "--reason", "orders close tonight", "--json"
        ).json(),
    )
    silence_id = added["silenceId"]
    assert added["match"] == {"errorCode": "ORDERS_NOT_CLOSED"}

    listed = valid("silence-list", invoke("silence", "list", "--json").json())
    [shown] = listed["silences"]
    assert (shown["silenceId"], shown["state"], shown["createdBy"], shown["reason"]) == (
        silence_id,
        "active",
        operator_identity().arn,
        "orders close tonight",
    )
    table = invoke("silence", "list")
    assert silence_id in table.stdout
    assert "errorCode=ORDERS_NOT_CLOSED" in table.stdout

    expired = valid(
        "silence-expire",
        invoke("silence", "expire", silence_id, "--reason", "closed", "--json").json(),
    )
    assert expired["released"] == []
    [after] = invoke("silence", "list", "--json").json()["silences"]
    assert (after["state"], after["expiredBy"], after["expireReason"]) == (
        "expired",
        operator_identity().arn,
        "closed",
    )
    again = invoke("silence", "expire", "s0000000000000000")
    assert again.exit_code == 1
    assert "no silence s0000000000000000" in again.stderr
