"""What `bwp-privacy` prints: --json as its schemas say, quiet stderr, whole ids, and the
answers a new user met (codes in any case, a long --since, a task with many events)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from jsonschema import Draft202012Validator

from bwp_privacy_cli.local import LocalFunction, LocalLambdaContext, on_failure_record
from bwp_privacy_cli.schemas import names, path_of, schema_text
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.seed import SAMPLE_BUSINESS_PRODUCT_ID
from tests.cli.conftest import Run
from tests.conftest import EVENTS, load_event

pytestmark = pytest.mark.integration

SAMPLES = [str(p) for p in sorted(EVENTS.glob("*.json"))]
ORDERS_TASK = "4a1d2f3e-5b6c-4d7e-8f90-a1b2c3d4e5f6"


@pytest.mark.parametrize("name", names())
def test_the_committed_schemas_are_those_of_the_models(name: str) -> None:
    assert path_of(name).read_text() == schema_text(name), "run `make cli-schemas`"


def _valid(name: str, document: Any) -> Any:
    schema = json.loads(path_of(name).read_text())
    errors = sorted(Draft202012Validator(schema).iter_errors(document), key=str)
    assert errors == [], [f"{list(e.absolute_path)}: {e.message}" for e in errors]
    return document


def test_every_command_prints_json_its_schema_accepts(
    invoke: Run, app: LocalFunction, sandbox: Sandbox, tmp_path: Path
) -> None:
    replayed = _valid("replay", invoke("replay", *SAMPLES, "--json").json())
    assert {r["outcome"] for r in replayed["results"]} == {"published"}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**load_event(), "source": "aws.events"}))
    mixed = _valid("replay", invoke("replay", SAMPLES[0], str(bad), "--json").json())
    assert [r["outcome"] for r in mixed["results"]] == ["duplicate", "rejected"]
    _valid("replay", invoke("replay", "--dry-run", SAMPLES[0], "--json").json())

    listed = _valid("failures-list", invoke("failures", "list", "--json").json())
    failure = next(f for f in listed["failures"] if f["taskId"] == ORDERS_TASK)
    # The documented types: integers, nulls kept, ISO-8601 UTC times.
    assert failure["holdingPeriod"] == 10
    assert failure["replayName"] is None
    assert failure["expiresAt"].endswith("Z")
    assert failure["expiresAt"] > failure["receivedAt"]
    _valid("failures-show", invoke("failures", "show", ORDERS_TASK, "--json").json())
    _valid("task-show", invoke("task", "show", ORDERS_TASK, "--json").json())
    sandbox.emulator.add_task(SAMPLE_BUSINESS_PRODUCT_ID, {"taskId": "hold-1", "status": "ON_HOLD"})
    bp = ("--business-product-id", SAMPLE_BUSINESS_PRODUCT_ID)
    _valid("task-cancel", invoke("task", "cancel", "hold-1", *bp, "--yes", "--json").json())

    _park_one(sandbox)
    dlq = _valid("dlq-list", invoke("dlq", "list", "--json").json())
    [parked] = dlq["messages"]
    assert parked["sentAt"].endswith("Z")
    assert parked["sentAt"][:4] == "20" + parked["sentAt"][2:4]
    _valid("dlq-redrive", invoke("dlq", "redrive", "--json").json())
    _park_one(sandbox, invalid=True)
    _valid("dlq-discard", invoke("dlq", "discard", "--yes", "--json").json())
    _valid("archive-replay", invoke("archive", "replay", "--from", "1h", "--json").json())
    _valid("routes-check", invoke("routes", "check", "--json").json())
    _valid("sandbox-status", invoke("sandbox", "status", "--json").json())


def _park_one(sandbox: Sandbox, *, invalid: bool = False) -> None:
    event = {**load_event(), "source": "aws.events"} if invalid else load_event()
    boto3.client("sqs").send_message(
        QueueUrl=sandbox.stack.on_failure_queue_url,
        MessageBody=json.dumps(on_failure_record(event, RuntimeError("API down"), 3)),
    )


def test_stderr_carries_only_the_clis_own_lines(run_cli: Run, sandbox: Sandbox) -> None:
    # The rich-detail sample's lookup fails for good: the function logs a warning about it.
    rich_detail = next(p for p in SAMPLES if "rich-detail" in p)
    result = run_cli("replay", rich_detail)
    assert result.exit_code == 0
    assert result.stderr == ""
    verbose = run_cli("replay", *(p for p in SAMPLES if p != rich_detail), "-v")
    assert "Task failure stored and published" in verbose.stderr  # its logs, on request


def test_failures_list_takes_codes_in_any_case_and_bounds_the_days_it_reads(
    run_cli: Run, sandbox: Sandbox, target_file: Path
) -> None:
    # A 30-day retention: the bound is the same, with fewer days to read.
    deployed = sandbox.deploy(RetentionDays="30")
    deployed.target().write(target_file)
    deployed.recorder.cold_start().handler(load_event(), LocalLambdaContext())
    lower = run_cli("failures", "list", "--error-code", "orders_not_closed", "--json")
    assert [f["taskId"] for f in lower.json()["failures"]] == [ORDERS_TASK]
    unknown = run_cli("failures", "list", "--error-code", "NO_SUCH_CODE")
    assert "No failure with error code NO_SUCH_CODE in that period." in unknown.stdout
    far = run_cli("failures", "list", "--since", "100000d", "--json")
    assert far.exit_code == 0
    assert far.json()["days"] == 31  # the retention (RetentionDays) and today
    assert "Reading the last 30 days (RetentionDays)" in far.stderr


def test_failures_show_prints_the_latest_event_and_how_many_there_are(
    run_cli: Run, app: LocalFunction, sandbox: Sandbox
) -> None:
    for n in range(3):
        app.handler({**load_event(), "id": f"again-{n}"}, LocalLambdaContext())
    shown = run_cli("failures", "show", ORDERS_TASK)
    assert shown.stdout.count("Task " + ORDERS_TASK) == 1
    assert "3 stored events for this task; the latest is shown" in shown.stdout
    assert f"(`bwp-privacy failures show {ORDERS_TASK} --all` for every one)" in shown.stdout
    every = run_cli("failures", "show", ORDERS_TASK, "--all", "--json").json()
    assert every["events"] == 3
    assert len(every["failures"]) == 3


def test_ids_are_never_broken_in_a_narrow_terminal(
    run_cli: Run, app: LocalFunction, sandbox: Sandbox
) -> None:
    for path in SAMPLES:
        app.handler(json.loads(Path(path).read_text()), LocalLambdaContext())
    listed = run_cli("failures", "list", env={"COLUMNS": "80"})
    task_ids = {json.loads(Path(p).read_text())["resources"][0].rsplit("/", 1)[1] for p in SAMPLES}
    for task_id in task_ids:
        assert task_id in listed.stdout, listed.stdout
    # The business product is what a narrow terminal spares first, and says it did.
    assert SAMPLE_BUSINESS_PRODUCT_ID not in listed.stdout
    assert "hidden at 80 columns: business product" in listed.stdout
    wide = run_cli("failures", "list", env={"COLUMNS": "160"})
    assert SAMPLE_BUSINESS_PRODUCT_ID in wide.stdout
    assert "hidden at" not in wide.stdout


def test_routes_check_takes_an_event_and_explains_what_it_cannot(
    invoke: Run, sandbox: Sandbox, tmp_path: Path
) -> None:
    orders = str(EVENTS / "deletion-task-failed.json")
    routed = invoke("routes", "check", "--sample", orders, "--json").json()
    assert [(r["errorCodes"], r["route"]) for r in routed["routing"]] == [
        (["ORDERS_NOT_CLOSED"], "default")
    ]
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"hello": "world"}))
    result = invoke("routes", "check", "--sample", str(other))
    assert result.exit_code == 1
    assert "neither a failure message" in result.stderr
    assert "bwp-privacy failures show TASK --json" in result.stderr


def test_dlq_discard_asks_first_and_says_what_it_removed(invoke: Run, sandbox: Sandbox) -> None:
    _park_one(sandbox, invalid=True)
    kept = invoke("dlq", "redrive")
    assert kept.exit_code == 1
    assert "`bwp-privacy dlq discard`" in kept.stdout
    declined = invoke("dlq", "discard", input="n\n")
    assert declined.exit_code == 1
    assert invoke("dlq", "list", "--json").json()["count"] == 1
    removed = invoke("dlq", "discard", input="y\n")
    assert removed.exit_code == 0
    assert "1 message(s) removed" in removed.stdout
    assert invoke("dlq", "list", "--json").json()["count"] == 0
