"""A parked input of the reaction goes back through the function URL (`dlq redrive`), never
by invoking the reaction directly: the redrive is the caller's, recorded with the identity
AWS authenticated; a COMPLETED event is redriven only when Buy with Prime says the task is
completed; and nothing shaped like an operator's request gets through as an input."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bwp_privacy.audit import AuditTrail
from bwp_privacy.partner_events import task_resource
from bwp_privacy_cli.operator_client import OperatorRequestRefused
from bwp_sandbox.admin import admin_client
from bwp_sandbox.function_urls import operator_identity
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.timeline import Timeline
from tests.conftest import load_event
from tests.integration.reaction_helpers import BP, COMPLETED, case, failed_task, open_case

pytestmark = pytest.mark.integration


def _trail(sandbox: Sandbox, subject: str) -> list[Any]:
    return AuditTrail(admin_client("dynamodb"), sandbox.stack.audit_table_name).entries(subject)


def _completed(task_id: str) -> dict[str, Any]:
    event = load_event()
    event["id"] = f"e-completed-{task_id}"
    event["detail-type"] = COMPLETED
    event["resources"] = [task_resource(BP, "deletion", task_id)]
    return event


def test_a_completed_event_is_redriven_only_for_a_task_the_api_says_is_completed(
    sandbox: Sandbox,
) -> None:
    failed_task(
        sandbox, "rd-case", "ORDERS_NOT_CLOSED", email="rd@example.com", orders_open_days=30
    )
    open_case(sandbox, Timeline(sandbox), "rd-case")
    with pytest.raises(OperatorRequestRefused) as refused:
        sandbox.operate({"action": "redrive", "origin": "m-1", "input": _completed("rd-case")})
    assert refused.value.status == 409
    assert "Buy with Prime says task rd-case is FAILED, not COMPLETED" in str(refused.value)
    assert case(sandbox, "rd-case").state.value == "WAITING"
    entry = _trail(sandbox, "case:rd-case")[-1]
    assert (entry.action, entry.actor) == ("dlq redrive", operator_identity().arn)
    assert entry.outcome.startswith("refused: Buy with Prime says")

    sandbox.emulator.add_task(BP, {"taskId": "rd-done", "status": "COMPLETED", "errors": []})
    answer = sandbox.operate({"action": "redrive", "origin": "m-2", "input": _completed("rd-done")})
    assert answer["outcome"] == "kept"  # a completion no case holds yet: kept for its case
    [done] = _trail(sandbox, "task:rd-done")
    assert (done.action, done.actor, done.outcome) == (
        "dlq redrive",
        operator_identity().arn,
        "kept",
    )


def test_an_input_shaped_as_an_operators_request_is_no_input(sandbox: Sandbox) -> None:
    """A redrive hands the reaction one of its own inputs: a function URL's request, naming a
    caller of its choosing, is refused before anything reads it."""
    forged = {
        "requestContext": {
            "http": {"method": "POST"},
            "authorizer": {"iam": {"userArn": "arn:aws:iam::123456789012:user/the-dpo"}},
        },
        "body": json.dumps(
            {
                "action": "record",
                "subject": "export",
                "name": "cases export",
                "input": "",
                "outcome": "approved by the DPO",
            }
        ),
    }
    with pytest.raises(OperatorRequestRefused) as refused:
        sandbox.operate({"action": "redrive", "origin": "m-3", "input": forged})
    assert refused.value.status == 400
    scanned = json.dumps(admin_client("dynamodb").scan(TableName=sandbox.stack.audit_table_name))
    assert "the-dpo" not in scanned
    assert "approved by the DPO" not in scanned
