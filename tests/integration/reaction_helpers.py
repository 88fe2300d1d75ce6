"""Cases set up in the sandbox: shoppers, failed tasks, the events that announce them."""

from __future__ import annotations

from datetime import timedelta

from bwp_privacy.cases import Case, CaseReader, CaseStore
from bwp_sandbox.admin import admin_client
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.seed import SAMPLE_BUSINESS_PRODUCT_ID
from bwp_sandbox.timeline import Timeline

BP = SAMPLE_BUSINESS_PRODUCT_ID
FAILED = "PERSONAL_DATA_DELETION_TASK_FAILED"
COMPLETED = "PERSONAL_DATA_DELETION_TASK_COMPLETED"


def failed_task(
    sandbox: Sandbox,
    task_id: str,
    code: str | None,
    *,
    email: str,
    submitted_days_ago: float = 10,
    orders_open_days: float | None = None,
    known_shopper: bool = True,
) -> None:
    """A task that failed with ``code``, for a shopper whose orders stay open
    ``orders_open_days`` more days (on the emulator's clock)."""
    if known_shopper:
        sandbox.emulator.set_shopper(BP, email, orders_open_days=orders_open_days)
    submitted = sandbox.emulator.now() - timedelta(days=submitted_days_ago)
    sandbox.emulator.add_task(
        BP,
        {
            "taskId": task_id,
            "status": "FAILED",
            "holdingPeriod": 0,
            "submissionDate": submitted.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "dataSubject": {"type": "SHOPPER", "email": email},
            "errors": [{"code": code, "message": "the task failed"}],
        },
    )


def cases(sandbox: Sandbox) -> CaseReader:
    """The cases, read as an operator reads them (the operator may not write them)."""
    return CaseReader(admin_client("dynamodb"), sandbox.stack.cases_table_name)


def cases_written_by_the_reaction(sandbox: Sandbox) -> CaseStore:
    """The cases table with the reaction's role: what a test puts there directly is written
    as the reaction writes it (operators hold no write grant on it)."""
    return CaseStore(sandbox.reaction.client("dynamodb"), sandbox.stack.cases_table_name, 730)


def case(sandbox: Sandbox, case_id: str) -> Case:
    found = cases(sandbox).load(case_id)
    assert found is not None, f"no case {case_id}"
    return found


def schedules(sandbox: Sandbox) -> list[str]:
    answer = admin_client("scheduler").list_schedules(GroupName=sandbox.stack.schedule_group_name)
    return sorted(s["Name"] for s in answer.get("Schedules", []))


def open_case(sandbox: Sandbox, timeline: Timeline, task_id: str) -> Case:
    """Announce the task's failure on the partner bus and let the world settle."""
    timeline.publish(BP, task_id, FAILED)
    timeline.settle()
    return case(sandbox, task_id)
