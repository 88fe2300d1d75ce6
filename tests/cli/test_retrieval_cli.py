"""The CLI on the retrieval side, through its console script: `events new` makes all four
privacy-task events, `replay` takes each one to the function the template's rules route it to,
and the cases commands say which kind of request a case is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from bwp_privacy_cli.dlq import parse_parked
from bwp_privacy_cli.schemas import path_of
from bwp_sandbox.event_source import SqsEventSource
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.seed import SAMPLE_BUSINESS_PRODUCT_ID
from tests.cli.conftest import Run

BP = SAMPLE_BUSINESS_PRODUCT_ID
ORDERS_TASK = "4a1d2f3e-5b6c-4d7e-8f90-a1b2c3d4e5f6"
#: --type: (task, detail type) of the event each makes here.
TYPES = {
    "deletion-failed": (ORDERS_TASK, "PERSONAL_DATA_DELETION_TASK_FAILED"),
    "retrieval-failed": ("r-cli", "PERSONAL_DATA_RETRIEVAL_TASK_FAILED"),
    "deletion-completed": ("d-unknown", "PERSONAL_DATA_DELETION_TASK_COMPLETED"),
    "retrieval-completed": ("r-cli", "PERSONAL_DATA_RETRIEVAL_TASK_COMPLETED"),
}


def _valid(name: str, document: Any) -> Any:
    schema = json.loads(path_of(name).read_text())
    errors = sorted(Draft202012Validator(schema).iter_errors(document), key=str)
    assert errors == [], [f"{list(e.absolute_path)}: {e.message}" for e in errors]
    return document


@pytest.mark.integration
def test_events_new_makes_the_four_types_and_replay_takes_each_where_its_rule_goes(
    run_cli: Run, invoke: Run, sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.emulator.add_task(
        BP,
        {
            "taskId": "r-cli",
            "status": "FAILED",
            "errors": [{"code": "EXPORT_FAILED", "message": "the export failed"}],
        },
        kind="retrieval",
    )
    files = []
    for kind, (task_id, detail_type) in TYPES.items():
        path = tmp_path / f"{kind}.json"
        made = invoke(
            "events", "new", "--task-id", task_id, "--business-product-id", BP,
            "--type", kind, "-o", str(path),
        )  # fmt: skip
        assert made.exit_code == 0, made.stderr
        event = json.loads(path.read_text())
        assert event["detail-type"] == detail_type
        key = "personalDataRetrievalTask" if kind.startswith("retrieval") else "personalData"
        assert key in event["resources"][0]
        files.append(str(path))

    replayed = run_cli("replay", *files, "--json")
    assert replayed.exit_code == 0, replayed.stderr
    results = _valid("replay", replayed.json())["results"]
    assert [(r["outcome"], r["taskId"]) for r in results] == [
        ("published", ORDERS_TASK),
        ("published", "r-cli"),
        ("reacted", "d-unknown"),
        ("reacted", "r-cli"),
    ]
    # No case holds either completed task yet: the reaction keeps the outcome.
    assert [r["case"] for r in results] == [
        None,
        None,
        {"outcome": "kept", "caseId": None, "state": None},
        {"outcome": "kept", "caseId": None, "state": None},
    ]
    failures = [r["failure"] for r in results]
    assert failures == [None] * 4  # only a dry run carries the failure message

    # The reaction's queue (Lambda's poller, played here): the retrieval failure opens a
    # retrieval case, which the completion kept for its task completes at once.
    SqsEventSource(sandbox.stack.reaction_queue_url, sandbox.reaction.cold_start()).drain()
    listed = _valid("cases-list", invoke("cases", "list", "--all", "--json").json())
    kinds = {c["caseId"]: (c["kind"], c["state"]) for c in listed["cases"]}
    assert kinds["r-cli"] == ("retrieval", "COMPLETED")
    assert kinds[ORDERS_TASK][0] == "deletion"
    shown = invoke("cases", "show", "r-cli")
    assert shown.exit_code == 0, shown.stderr
    assert "retrieval (an access request)" in shown.stdout
    # Wide enough for every column: the in-process console's width is the worker's COLUMNS.
    table = run_cli("cases", "list", "--all", env={"COLUMNS": "220"})
    assert "retrieval" in table.stdout
    assert "kind" in table.stdout

    again = invoke("replay", files[3], "--json").json()["results"][0]
    assert again["outcome"] == "reacted"
    assert again["case"] == {"outcome": "unchanged", "caseId": "r-cli", "state": "COMPLETED"}
    dry = invoke("replay", "--dry-run", files[1], files[3], "--json").json()["results"]
    assert [r["outcome"] for r in dry] == ["looked-up", "looked-up"]
    assert dry[0]["failure"]["taskKind"] == "retrieval"
    assert "goes to ReactionFunction" in dry[1]["detail"]
    human = invoke("replay", files[3])
    assert "1 event(s): 1 reacted" in human.stdout


def test_a_completed_event_parked_by_its_rule_goes_back_to_the_reaction() -> None:
    """Both rules park in the rule dead-letter queue: a redrive sends each event to its own
    function (the reaction's COMPLETED events, of either kind, to the reaction)."""
    for detail_type, function in (
        ("PERSONAL_DATA_RETRIEVAL_TASK_COMPLETED", "reaction"),
        ("PERSONAL_DATA_DELETION_TASK_COMPLETED", "reaction"),
        ("PERSONAL_DATA_RETRIEVAL_TASK_FAILED", "recorder"),
    ):
        resource = f"businessProduct/{BP}/personalDataRetrievalTask/r-1"
        message = {
            "MessageId": "m-1",
            "ReceiptHandle": "h-1",
            "Body": json.dumps({"detail-type": detail_type, "resources": [resource]}),
            "MessageAttributes": {"ERROR_CODE": {"StringValue": "SDK_CLIENT_ERROR"}},
        }
        parked = parse_parked("rule-dlq", message)
        assert (parked.function, parked.task_id) == (function, "r-1"), detail_type
