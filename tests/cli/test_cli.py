"""`bwp-privacy` end to end against the sandbox: every command, JSON output, exit codes."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from bwp_privacy.catalogue import shipped_catalogue_path
from bwp_privacy_cli.local import invoke_async, on_failure_record
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.seed import SAMPLE_BUSINESS_PRODUCT_ID, SAMPLE_SHOPPER_EMAIL, SAMPLE_TASKS
from tests.cli.conftest import ENTRY_POINT, Run
from tests.conftest import EVENTS, load_event
from tests.integration.helpers import stored_items

pytestmark = pytest.mark.integration

SAMPLES = [str(p) for p in sorted(EVENTS.glob("*.json"))]
ORDERS_TASK = "4a1d2f3e-5b6c-4d7e-8f90-a1b2c3d4e5f6"


def assert_one_line_error(result: Any, text: str) -> None:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert text in lines[0], lines[0]


# -- smoke tests through the console script -----------------------------------------------


def test_help_on_every_command(run_cli: Run, invoke: Run) -> None:
    top = run_cli("--help")
    assert top.exit_code == 0
    for command in (
        "replay",
        "events",
        "task",
        "failures",
        "dlq",
        "archive",
        "routes",
        "sandbox",
        "cases",
    ):
        assert command in top.stdout
    for args in (
        ["replay"],
        ["events", "new"],
        ["task", "show"],
        ["task", "cancel"],
        ["failures", "list"],
        ["failures", "show"],
        ["dlq", "list"],
        ["dlq", "redrive"],
        ["dlq", "discard"],
        ["archive", "replay"],
        ["sandbox"],
        ["sandbox", "start"],
        ["sandbox", "stop"],
        ["sandbox", "status"],
        ["routes", "check"],
        ["cases", "list"],
        ["cases", "show"],
        ["cases", "resubmit"],
        ["cases", "close"],
        ["cases", "link"],
        ["cases", "set-received"],
    ):
        result = invoke(*args, "--help")
        assert result.exit_code == 0, args
        assert "Usage: bwp-privacy" in result.stdout


def test_replay_sample_events_json(run_cli: Run, sandbox: Sandbox) -> None:
    result = run_cli("replay", *SAMPLES, "--json")
    assert result.exit_code == 0, result.stderr
    payload = result.json()
    assert payload["summary"] == {"published": 3}
    assert payload["target"] == {"env": "sandbox", "stack": None, "region": "us-east-1"}
    assert all(
        r["thisRun"] == {"stored": True, "published": True, "messageId": r["thisRun"]["messageId"]}
        for r in payload["results"]
    )
    assert {r["taskId"] for r in payload["results"]} == {
        ORDERS_TASK,
        "7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f",
        "d4e5f6a7-b8c9-4d0e-a1f2-b3c4d5e6f7a8",
    }
    assert len(stored_items(sandbox.stack)) == 3
    assert SAMPLE_SHOPPER_EMAIL not in result.stdout + result.stderr
    again = run_cli("replay", SAMPLES[0], "--json")
    assert again.json()["summary"] == {"duplicate": 1}
    # What this run did (nothing), and what an earlier one had done.
    [duplicate] = again.json()["results"]
    assert duplicate["thisRun"] == {"stored": False, "published": False, "messageId": None}
    assert duplicate["earlier"]["stored"] is True
    assert duplicate["earlier"]["published"] is True


def test_replay_reads_stdin_and_json_lines(run_cli: Run, sandbox: Sandbox) -> None:
    lines = "\n".join(json.dumps(json.loads(Path(p).read_text())) for p in SAMPLES)
    result = run_cli("replay", "-", "--json", input=lines + "\n")
    assert result.exit_code == 0, result.stderr
    assert [r["origin"] for r in result.json()["results"]] == [
        "<stdin>:1",
        "<stdin>:2",
        "<stdin>:3",
    ]


def test_replay_bad_inputs_name_file_and_line(
    run_cli: Run, tmp_path: Path, sandbox: Sandbox
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"id": "x",\n  "source": }')
    archive = tmp_path / "export.jsonl"
    completed = run_cli(
        "events",
        "new",
        "--task-id",
        "t1",
        "--business-product-id",
        "bp-1",
        "--type",
        "deletion-completed",
    ).stdout
    other = {**load_event(), "detail-type": "ORDER_CREATED"}
    archive.write_text(
        "\n".join(json.dumps(e) for e in (load_event(), json.loads(completed), other))
        + "\nnot json\n"
    )
    result = run_cli("replay", str(broken), str(tmp_path / "missing.json"), str(archive), "--json")
    assert result.exit_code == 1
    outcomes = {r["origin"]: (r["outcome"], r["detail"]) for r in result.json()["results"]}
    assert outcomes[str(broken)] == ("failed", f"{broken}: line 2 column 13: Expecting value")
    assert outcomes[str(tmp_path / "missing.json")][1].endswith("No such file or directory")
    assert outcomes[f"{archive}:1"][0] == "published"
    # A COMPLETED event goes to the reaction, as its rule sends it (no case holds t1).
    assert outcomes[f"{archive}:2"][0] == "reacted"
    assert outcomes[f"{archive}:3"] == (
        "rejected",
        "invalid event: detail-type: Input should be 'PERSONAL_DATA_DELETION_TASK_FAILED' or "
        "'PERSONAL_DATA_RETRIEVAL_TASK_FAILED'",
    )
    assert outcomes[f"{archive}:4"][0] == "failed"
    assert "Traceback" not in result.stderr


def test_dry_run_stores_and_publishes_nothing(run_cli: Run, sandbox: Sandbox) -> None:
    result = run_cli("replay", "--dry-run", SAMPLES[0], "--json")
    assert result.exit_code == 0, result.stderr
    [looked_up] = result.json()["results"]
    assert looked_up["outcome"] == "looked-up"
    assert looked_up["failure"]["status"] == "FAILED"
    assert looked_up["thisRun"] == {"stored": False, "published": False, "messageId": None}
    assert stored_items(sandbox.stack) == []


def test_missing_credentials_and_unreachable_api_are_one_line(
    run_cli: Run, target_file: Path, sandbox: Sandbox
) -> None:
    target = json.loads(target_file.read_text())
    without = {k: v for k, v in target["function_env"].items() if k != "BWP_CREDENTIALS_SECRET_ID"}
    target_file.write_text(json.dumps({**target, "function_env": without}))
    result = run_cli("replay", SAMPLES[0])
    assert_one_line_error(
        result, "set BWP_CREDENTIALS_SECRET_ID, or BWP_CLIENT_ID and BWP_CLIENT_SECRET"
    )

    closed = {
        **target["function_env"],
        "BWP_API_URL": "http://127.0.0.1:9/graphql",
        "BWP_TOKEN_URL": "http://127.0.0.1:9/token",
        "BWP_MAX_ATTEMPTS": "1",
    }
    target_file.write_text(json.dumps({**target, "function_env": closed}))
    shown = run_cli("task", "show", ORDERS_TASK, "--business-product-id", "bp-1")
    assert_one_line_error(
        shown, "Buy with Prime API: TransientError: token request failed: ConnectionError"
    )
    replayed = run_cli("replay", SAMPLES[0], "--json")
    assert replayed.exit_code == 1
    assert "ConnectionError" in replayed.json()["results"][0]["detail"]


# -- tasks -------------------------------------------------------------------------------------


def test_task_show_never_prints_the_email(invoke: Run, sandbox: Sandbox) -> None:
    result = invoke(
        "task", "show", ORDERS_TASK, "--business-product-id", SAMPLE_BUSINESS_PRODUCT_ID, "--json"
    )
    assert result.exit_code == 0
    shown = result.json()
    assert shown["status"] == "FAILED"
    assert shown["errors"][0]["code"] == "ORDERS_NOT_CLOSED"
    assert "example.com" not in result.stdout
    human = invoke("task", "show", ORDERS_TASK, "--business-product-id", SAMPLE_BUSINESS_PRODUCT_ID)
    assert "ORDERS_NOT_CLOSED" in human.stdout


def test_task_show_finds_the_business_product_in_stored_failures(
    invoke: Run, sandbox: Sandbox
) -> None:
    missing = invoke("task", "show", ORDERS_TASK)
    assert_one_line_error(missing, "pass --business-product-id")
    invoke("replay", SAMPLES[-1])
    assert (
        invoke("task", "show", ORDERS_TASK, "--json").json()["businessProductId"]
        == SAMPLE_BUSINESS_PRODUCT_ID
    )


def test_task_cancel(invoke: Run, sandbox: Sandbox) -> None:
    sandbox.emulator.add_task(
        SAMPLE_BUSINESS_PRODUCT_ID, {"taskId": "on-hold-1", "status": "ON_HOLD"}
    )
    bp = ("--business-product-id", SAMPLE_BUSINESS_PRODUCT_ID)
    declined = invoke("task", "cancel", "on-hold-1", *bp, input="n\n")
    assert declined.exit_code == 1
    assert "Not cancelled" in declined.stdout
    done = invoke("task", "cancel", "on-hold-1", *bp, "--yes", "--json")
    assert done.exit_code == 0
    assert done.json() == {
        "target": {"env": "sandbox", "stack": None, "region": "us-east-1"},
        "taskId": "on-hold-1",
        "cancelled": True,
    }
    assert_one_line_error(
        invoke("task", "cancel", "on-hold-1", *bp, "--yes"), "task on-hold-1 not found"
    )
    sandbox.emulator.add_task(
        SAMPLE_BUSINESS_PRODUCT_ID, {"taskId": "running-1", "status": "IN_PROGRESS"}
    )
    assert_one_line_error(
        invoke("task", "cancel", "running-1", *bp, "--yes"),
        "cannot be cancelled: The personalDataDeletionTask cannot be cancelled"
        " with a status of IN_PROGRESS.",
    )


# -- failures ------------------------------------------------------------------------------------


def test_failures_list_and_show(invoke: Run, sandbox: Sandbox) -> None:
    assert invoke("replay", *SAMPLES).exit_code == 0
    listed = invoke("failures", "list", "--since", "1d", "--json").json()
    assert listed["count"] == 3
    by_code = invoke("failures", "list", "--error-code", "ORDERS_NOT_CLOSED", "--json").json()
    assert [f["taskId"] for f in by_code["failures"]] == [ORDERS_TASK]
    by_bp = invoke(
        "failures", "list", "--business-product-id", SAMPLE_BUSINESS_PRODUCT_ID, "--json"
    ).json()
    assert by_bp["count"] == 3
    other_bp = invoke("failures", "list", "--business-product-id", "bp-other", "--json").json()
    assert other_bp["count"] == 0
    table = invoke("failures", "list")
    assert ORDERS_TASK in table.stdout
    assert "3 failure(s)" in table.stdout
    shown = invoke("failures", "show", ORDERS_TASK, "--json").json()["failures"]
    assert shown[0]["errors"][0]["code"] == "ORDERS_NOT_CLOSED"
    assert_one_line_error(
        invoke("failures", "show", "unknown-task"), "no stored failure for task unknown-task"
    )
    bad_since = invoke("failures", "list", "--since", "last week")
    assert bad_since.exit_code == 2


# -- dead-letter queues --------------------------------------------------------------------------


def park_events(app: Any, sandbox: Sandbox, count: int) -> list[str]:
    """Events that failed for good: the token endpoint refused all of Lambda's three attempts."""
    task_ids = []
    for n in range(count):
        task_id = f"parked-{n}"
        sandbox.emulator.add_task(SAMPLE_BUSINESS_PRODUCT_ID, {"taskId": task_id})
        event = load_event()
        event["id"] = f"event-parked-{n}"
        event["resources"] = [
            f"businessProduct/{SAMPLE_BUSINESS_PRODUCT_ID}/personalDataDeletionTask/{task_id}"
        ]
        sandbox.emulator.revoke_tokens()
        sandbox.emulator.inject("unauthorized", target="token", times=3)
        outcome = invoke_async(app, event, on_failure_queue_url=sandbox.stack.on_failure_queue_url)
        assert outcome.attempts == 3
        assert outcome.error is not None
        task_ids.append(task_id)
    return task_ids


def test_dlq_list_shows_why_and_redrive_brings_everything_home(
    app: Any, invoke: Run, sandbox: Sandbox
) -> None:
    parked = park_events(app, sandbox, 2)
    sqs = boto3.client("sqs")
    rule_event = load_event("deletion-task-failed-replayed.json")
    sqs.send_message(
        QueueUrl=sandbox.stack.rule_dlq_url,
        MessageBody=json.dumps(rule_event),
        MessageAttributes={
            "ERROR_CODE": {"DataType": "String", "StringValue": "NO_PERMISSIONS"},
            "ERROR_MESSAGE": {"DataType": "String", "StringValue": "Lambda invoke was denied"},
            "RULE_ARN": {"DataType": "String", "StringValue": sandbox.stack.rule_arn},
        },
    )
    sqs.send_message(
        QueueUrl=sandbox.stack.alert_dlq_url,
        MessageBody=json.dumps({"taskId": "t-alert", "schema": "x"}),
    )

    listed = invoke("dlq", "list", "--json").json()
    reasons = {m["taskId"]: (m["queue"], m["reason"]) for m in listed["messages"]}
    assert listed["count"] == 4
    assert reasons["parked-0"][0] == "on-failure"
    assert reasons["parked-0"][1] == (
        "RetriesExhausted after 3 attempt(s): AuthenticationError:"
        " token endpoint refused the client credentials (HTTP 401)"
    )
    assert reasons["7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f"] == (
        "rule-dlq",
        f"NO_PERMISSIONS: Lambda invoke was denied (rule {sandbox.stack.rule_arn})",
    )
    assert reasons["t-alert"][0] == "router-dlq"
    assert invoke("dlq", "list", "--json").json()["count"] == 4  # listing consumed nothing

    redriven = invoke("dlq", "redrive", "--json")
    assert redriven.exit_code == 0, redriven.stdout
    assert redriven.json()["redriven"] == 4
    assert {i["taskId"] for i in stored_items(sandbox.stack)} == {
        *parked,
        "7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f",
    }
    assert invoke("dlq", "list", "--json").json()["count"] == 0
    alert_queue = sqs.receive_message(
        QueueUrl=sandbox.stack.alert_queue_url, MaxNumberOfMessages=10
    )["Messages"]
    assert any(json.loads(m["Body"]).get("taskId") == "t-alert" for m in alert_queue)


def test_a_parked_refusal_is_listed_with_the_answer_and_redriven_for_its_receiver(
    invoke: Run, sandbox: Sandbox
) -> None:
    body = json.dumps({"schema": "bwp-privacy.deletion-task-failure", "taskId": "t-refused"})
    sqs = boto3.client("sqs")
    sqs.send_message(
        QueueUrl=sandbox.stack.alert_dlq_url,
        MessageBody=body,
        MessageAttributes={
            "parkedReceiver": {"DataType": "String", "StringValue": "webhook"},
            "parkedReason": {"DataType": "String", "StringValue": "HTTP 400: invalid_payload"},
        },
    )
    [listed] = invoke("dlq", "list", "--queue", "router-dlq", "--json").json()["messages"]
    assert listed["reason"] == "webhook refused it for good: HTTP 400: invalid_payload"
    assert listed["receiver"] == "webhook"

    redriven = invoke("dlq", "redrive", "--queue", "router-dlq", "--json").json()
    assert [r["detail"] for r in redriven["results"]] == ["back on the alert queue for webhook"]
    [message] = sqs.receive_message(
        QueueUrl=sandbox.stack.alert_queue_url, MessageAttributeNames=["All"]
    )["Messages"]
    assert json.loads(message["Body"]) == json.loads(body)
    assert message["MessageAttributes"]["redriveFor"]["StringValue"] == "webhook"


def test_redrive_keeps_what_still_fails(app: Any, invoke: Run, sandbox: Sandbox) -> None:
    park_events(app, sandbox, 1)
    boto3.client("sqs").send_message(
        QueueUrl=sandbox.stack.on_failure_queue_url,
        MessageBody=json.dumps(
            on_failure_record({**load_event(), "source": "spoofed"}, ValueError("bad"), 3)
        ),
    )
    result = invoke("dlq", "redrive", "--queue", "on-failure", "--json")
    assert result.exit_code == 1
    outcomes = sorted((r["redriven"], r["detail"].split(":")[0]) for r in result.json()["results"])
    assert outcomes == [(False, "rejected"), (True, "published")]
    assert invoke("dlq", "list", "--json").json()["count"] == 1


def test_interrupted_redrive_loses_nothing(
    app: Any, run_cli: Run, sandbox: Sandbox, target_file: Path
) -> None:
    parked = park_events(app, sandbox, 5)
    sandbox.emulator.inject("slow", seconds=0.6, times=5)  # each re-send takes a while
    # Short leases: the message in flight reappears after 2 s, the invocation the kill cut
    # short releases its event after 3 s (its function timeout).
    env = {
        "BWP_REDRIVE_VISIBILITY_SECONDS": "2",
        "BWP_FUNCTION_TIMEOUT_SECONDS": "3",
        "BWP_SANDBOX_FILE": str(target_file),
    }
    import os

    process = subprocess.Popen(  # noqa: S603
        [ENTRY_POINT, "dlq", "redrive", "--queue", "on-failure"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not stored_items(sandbox.stack) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    stored = {i["taskId"] for i in stored_items(sandbox.stack)}
    assert 1 <= len(stored) < len(parked)  # killed halfway

    # Every event is stored or still parked (in flight until its visibility timeout ends).
    queue = boto3.client("sqs").get_queue_attributes(
        QueueUrl=sandbox.stack.on_failure_queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    remaining = int(queue["ApproximateNumberOfMessages"]) + int(
        queue["ApproximateNumberOfMessagesNotVisible"]
    )
    assert len(stored) + remaining >= len(parked)

    # Run redrive again until the queue is empty: every event ends stored, exactly once.
    def settled() -> bool:
        stored_now = {i["taskId"] for i in stored_items(sandbox.stack)}
        counts = boto3.client("sqs").get_queue_attributes(
            QueueUrl=sandbox.stack.on_failure_queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        in_queue = sum(int(v) for v in counts.values())
        return stored_now == set(parked) and in_queue == 0

    deadline = time.monotonic() + 30
    finished = run_cli("dlq", "redrive", "--queue", "on-failure", "--json", env=env)
    while not (finished.exit_code == 0 and settled()) and time.monotonic() < deadline:
        time.sleep(0.5)  # a lease or visibility timeout has to run out: no event to wait on
        finished = run_cli("dlq", "redrive", "--queue", "on-failure", "--json", env=env)
    assert finished.exit_code == 0, finished.stdout
    items = stored_items(sandbox.stack)
    assert sorted(i["taskId"] for i in items) == sorted(parked)
    assert all(i.get("publishedAt") for i in items)
    assert run_cli("dlq", "list", "--json", env=env).json()["count"] == 0


# -- archive, events, routes ---------------------------------------------------------------------


def test_archive_replay_runs_archived_events_through_the_function(
    invoke: Run, sandbox: Sandbox
) -> None:
    # The sandbox's archive starts with an event per sample task (their first delivery is
    # the past); one more arrives now, and its delivery is gone too.
    event = load_event()
    boto3.client("events").put_events(
        Entries=[
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": "{}",
                "Resources": event["resources"],
                "EventBusName": sandbox.stack.partner_bus_arn,
            }
        ]
    )
    from bwp_sandbox.stack import drain_queue

    drain_queue(sandbox.stack.rule_target_queue_url)
    result = invoke("archive", "replay", "--from", "1h", "--json")
    assert result.exit_code == 0, result.stdout
    payload = result.json()
    assert payload["state"] == "COMPLETED"
    assert payload["replayed"] == len(payload["delivered"]) == 1 + len(SAMPLE_TASKS)
    assert {d["outcome"] for d in payload["delivered"]} == {"published"}
    assert sorted(d["taskId"] for d in payload["delivered"]) == sorted(
        [ORDERS_TASK, *(task["taskId"] for task in SAMPLE_TASKS)]
    )
    items = stored_items(sandbox.stack)
    assert {item["replayName"] for item in items} == {payload["replay"]}
    human = invoke("archive", "replay", "--from", "1h")
    assert human.stdout.splitlines()[0].startswith("Target: the local sandbox")
    assert f"{1 + len(SAMPLE_TASKS)} event(s) replayed through the function." in human.stdout
    assert_one_line_error(
        invoke("archive", "replay", "--from", "1h", "--to", "2h"), "must be before --to"
    )


def test_events_new_writes_a_valid_event(invoke: Run, tmp_path: Path, sandbox: Sandbox) -> None:
    out = tmp_path / "event.json"
    result = invoke(
        "events",
        "new",
        "--task-id",
        ORDERS_TASK,
        "--business-product-id",
        SAMPLE_BUSINESS_PRODUCT_ID,
        "--rich-detail",
        "--replay-name",
        "r1",
        "-o",
        str(out),
    )
    assert result.exit_code == 0
    event = json.loads(out.read_text())
    assert event["replay-name"] == "r1"
    assert event["detail"]["eventId"] == event["id"]
    replayed = invoke("replay", str(out), "--json").json()
    assert replayed["summary"] == {"published": 1}
    for kind, detail_type in (
        ("retrieval-failed", "PERSONAL_DATA_RETRIEVAL_TASK_FAILED"),
        ("deletion-completed", "PERSONAL_DATA_DELETION_TASK_COMPLETED"),
    ):
        other = json.loads(
            invoke(
                "events", "new", "--task-id", "t", "--business-product-id", "bp", "--type", kind
            ).stdout
        )
        assert other["detail-type"] == detail_type


def test_routes_check(invoke: Run, tmp_path: Path) -> None:
    shipped = invoke("routes", "check", "--json").json()
    assert shipped["valid"] is True
    routes = {(tuple(r["errorCodes"]), r["route"]) for r in shipped["routing"]}
    assert (("DATA_SUBJECT_NOT_FOUND",), "quiet-not-found") in routes
    # Every receiver gets the resolve of a case by default; a route can turn it off.
    assert all(r["sendResolved"] == r["receivers"] for r in shipped["routing"])
    quiet = tmp_path / "quiet.json"
    quieter = json.loads(
        (Path(__file__).parents[2] / "functions/alert_router/routes.json").read_text()
    )
    quieter["route"]["send_resolved"] = False
    quiet.write_text(json.dumps(quieter))
    unresolved = invoke("routes", "check", str(quiet), "--json").json()
    assert all(r["sendResolved"] == [] for r in unresolved["routing"])
    broken = tmp_path / "routes.json"
    text = json.loads(
        (Path(__file__).parents[2] / "functions/alert_router/routes.json").read_text()
    )
    text["route"]["routes"][0]["receivers"] = ["pagerdoody"]
    broken.write_text(json.dumps(text))
    result = invoke("routes", "check", str(broken))
    assert result.exit_code == 1
    assert "route.routes[0].receivers[0]: Input should be 'amazon-q'" in result.stderr
    # The severities come from the catalogue: a louder one sends the code elsewhere.
    catalogue = json.loads(shipped_catalogue_path().read_text())
    catalogue["codes"]["DATA_SUBJECT_NOT_FOUND"]["severity"] = "critical"
    louder = tmp_path / "codes.json"
    louder.write_text(json.dumps(catalogue))
    paged = invoke("routes", "check", "--catalogue", str(louder), "--json").json()
    routed = {(tuple(r["errorCodes"]), r["route"]) for r in paged["routing"]}
    assert (("DATA_SUBJECT_NOT_FOUND",), "page-critical") in routed
    catalogue["codes"]["DATA_SUBJECT_NOT_FOUND"]["severity"] = "loud"
    louder.write_text(json.dumps(catalogue))
    result = invoke("routes", "check", "--catalogue", str(louder))
    assert result.exit_code == 1
    assert "codes.DATA_SUBJECT_NOT_FOUND.severity: Input should be" in result.stderr
