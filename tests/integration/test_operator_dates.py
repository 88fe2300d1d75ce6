"""What an operator sends is held before it reaches a case: a received date no request of this
case could have (a typo's year 9999, year 1) is refused without changing the case, and a
reason that is nothing once cleaned is no reason."""

from __future__ import annotations

from typing import Any

import pytest

from bwp_privacy.audit import AuditTrail
from bwp_privacy_cli.operator_client import OperatorRequestRefused
from bwp_sandbox.admin import admin_client
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.timeline import Timeline
from tests.integration.reaction_helpers import case, failed_task, open_case

pytestmark = pytest.mark.integration

CASE = "op-dates"


def _trail(sandbox: Sandbox) -> list[Any]:
    return AuditTrail(admin_client("dynamodb"), sandbox.stack.audit_table_name).entries(
        f"case:{CASE}"
    )


@pytest.fixture
def waiting(sandbox: Sandbox) -> Sandbox:
    failed_task(sandbox, CASE, "ORDERS_NOT_CLOSED", email="dates@example.com", orders_open_days=30)
    open_case(sandbox, Timeline(sandbox), CASE)
    return sandbox


@pytest.mark.parametrize(
    "received", ["9999-10-01T00:00:00Z", "9000-01-01T00:00:00Z", "2001-01-01T00:00:00Z"]
)
def test_a_received_date_no_request_of_the_case_could_have_is_refused_and_changes_nothing(
    waiting: Sandbox, received: str
) -> None:
    before = case(waiting, CASE)
    with pytest.raises(OperatorRequestRefused) as refused:
        waiting.operate(
            {"action": "set-received", "caseId": CASE, "received": received, "reason": "typo"}
        )
    assert refused.value.status == 409
    assert "a received date must lie between" in str(refused.value)
    after = case(waiting, CASE)
    assert (after.received_at, after.deadlines, after.state, after.version) == (
        before.received_at,
        before.deadlines,
        before.state,
        before.version,
    )
    assert _trail(waiting)[-1].outcome.startswith("refused: a received date must lie between")


def test_a_date_utc_cannot_hold_is_refused_as_the_request_comes_in(waiting: Sandbox) -> None:
    entries = len(_trail(waiting))
    with pytest.raises(OperatorRequestRefused) as refused:
        waiting.operate(
            {
                "action": "set-received",
                "caseId": CASE,
                "received": "0001-01-01T00:00:00+14:00",
                "reason": "typo",
            }
        )
    assert refused.value.status == 400
    assert "received" in str(refused.value)
    assert "out of range" in str(refused.value)
    assert len(_trail(waiting)) == entries
    assert case(waiting, CASE).state.value == "WAITING"


@pytest.mark.parametrize("reason", ["   ", "\u202e", "\x1b\x07 \n"])
def test_a_reason_that_is_nothing_once_cleaned_is_refused(waiting: Sandbox, reason: str) -> None:
    with pytest.raises(OperatorRequestRefused) as refused:
        waiting.operate(
            {"action": "close", "caseId": CASE, "reason": reason, "closedAs": "cancelled"}
        )
    assert refused.value.status == 400
    assert "reason" in str(refused.value)
    assert case(waiting, CASE).state.value == "WAITING"
