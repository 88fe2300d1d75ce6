"""`bwp-privacy task cancel` through its console script: it looks the task up first and asks
only when the cancel can happen; a task that cannot be cancelled is one line, nothing asked,
nothing sent."""

from __future__ import annotations

import json

import pytest

from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.seed import SAMPLE_BUSINESS_PRODUCT_ID
from tests.cli.conftest import Result, Run

pytestmark = pytest.mark.integration

#: A sample task the emulator holds as FAILED (ORDERS_NOT_CLOSED).
FAILED_TASK = "4a1d2f3e-5b6c-4d7e-8f90-a1b2c3d4e5f6"
BP = ("--business-product-id", SAMPLE_BUSINESS_PRODUCT_ID)
QUESTION = "[y/N]"


def cancels_sent(sandbox: Sandbox) -> list[object]:
    return [
        request
        for request in sandbox.emulator.requests_log
        if "cancelPersonalDataDeletionTask" in json.dumps(request.get("body"))
    ]


def one_line(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("status", ["FAILED", "IN_PROGRESS", "COMPLETED"])
def test_a_task_that_cannot_be_cancelled_is_said_at_once_without_a_question(
    run_cli: Run, sandbox: Sandbox, status: str
) -> None:
    task = FAILED_TASK
    if status != "FAILED":
        task = f"task-{status.lower()}"
        sandbox.emulator.add_task(SAMPLE_BUSINESS_PRODUCT_ID, {"taskId": task, "status": status})
    refused = run_cli("task", "cancel", task, *BP, input="y\n")
    assert refused.exit_code == 1
    assert QUESTION not in refused.stderr
    line = one_line(refused)
    assert f"deletion task {task} is {status}" in line
    assert "only a task in its holding period (ON_HOLD) can be cancelled" in line
    assert cancels_sent(sandbox) == []


def test_an_unknown_task_is_said_at_once_without_a_question(run_cli: Run, sandbox: Sandbox) -> None:
    missing = run_cli("task", "cancel", "no-such-task", *BP, input="y\n")
    assert missing.exit_code == 1
    assert QUESTION not in missing.stderr
    assert "deletion task no-such-task not found" in one_line(missing)
    assert cancels_sent(sandbox) == []


def test_a_task_on_hold_is_asked_about_then_cancelled(run_cli: Run, sandbox: Sandbox) -> None:
    sandbox.emulator.add_task(
        SAMPLE_BUSINESS_PRODUCT_ID, {"taskId": "on-hold-1", "status": "ON_HOLD"}
    )
    declined = run_cli("task", "cancel", "on-hold-1", *BP, input="n\n")
    assert declined.exit_code == 1
    assert f"Cancel deletion task on-hold-1 of {SAMPLE_BUSINESS_PRODUCT_ID} (ON_HOLD)" in (
        declined.stderr
    )
    assert QUESTION in declined.stderr
    assert "Not cancelled." in declined.stdout
    assert cancels_sent(sandbox) == []
    accepted = run_cli("task", "cancel", "on-hold-1", *BP, input="y\n")
    assert accepted.exit_code == 0, accepted.stderr
    assert "Cancelled deletion task on-hold-1." in accepted.stdout
    assert len(cancels_sent(sandbox)) == 1
