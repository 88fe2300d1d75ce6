"""`bwp-privacy cases`: what an operator sees and does, through the console script."""

from __future__ import annotations

from typing import Any

import pytest

from bwp_privacy.audit import AuditTrail
from bwp_privacy.cases import CaseState
from bwp_sandbox.function_urls import operator_identity
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.timeline import Timeline
from tests.cli.conftest import Run
from tests.cli.days import during
from tests.integration.reaction_helpers import (
    BP,
    COMPLETED,
    case,
    cases,
    failed_task,
    open_case,
    schedules,
)

pytestmark = pytest.mark.integration

EMAIL = "operator.case@example.com"


def _trail(sandbox: Sandbox, subject: str) -> list[Any]:
    from bwp_sandbox.admin import admin_client

    return AuditTrail(admin_client("dynamodb"), sandbox.stack.audit_table_name).entries(subject)


def test_list_and_show_say_where_each_case_stands(run_cli: Run, sandbox: Sandbox) -> None:
    timeline = Timeline(sandbox)
    failed_task(sandbox, "c-wait", "ORDERS_NOT_CLOSED", email=EMAIL, orders_open_days=30)
    failed_task(sandbox, "c-none", "DATA_SUBJECT_NOT_FOUND", email="n@example.com")
    open_case(sandbox, timeline, "c-wait")
    open_case(sandbox, timeline, "c-none")

    with during() as days:
        listed = run_cli("cases", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    body = listed.json()
    assert body["target"]["env"] == "sandbox"
    assert [(c["caseId"], c["state"]) for c in body["cases"]] == [("c-wait", "WAITING")]
    assert body["cases"][0]["nextAction"].startswith("attempt 1 at ")
    # Calendar days: to the legal deadline, CCPA's 45 days with 10 gone (35); the plan
    # counts to the extended one, 90 days (80). A day less had UTC midnight passed since the
    # task's submission.
    wait = body["cases"][0]
    assert wait["daysLeft"] in days.left(wait["legalDueAt"]) <= {35, 34}
    assert wait["planDaysLeft"] in days.left(wait["planDeadlineAt"]) <= {80, 79}

    every = run_cli("cases", "list", "--all", "--json").json()
    assert sorted(c["caseId"] for c in every["cases"]) == ["c-none", "c-wait"]

    shown = run_cli("cases", "show", "c-none")
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.splitlines()[0].startswith("Target: the local sandbox")
    assert "NOTHING_TO_DELETE" in shown.stdout
    assert "DATA_SUBJECT_NOT_FOUND" in shown.stdout
    assert "@" not in shown.stdout

    missing = run_cli("cases", "show", "c-unknown")
    assert missing.exit_code == 1
    assert "no case c-unknown" in missing.stderr


def test_close_records_the_operator_and_cancels_the_pending_attempt(
    run_cli: Run, sandbox: Sandbox
) -> None:
    failed_task(sandbox, "c-close", "ORDERS_NOT_CLOSED", email=EMAIL, orders_open_days=30)
    open_case(sandbox, Timeline(sandbox), "c-close")
    assert schedules(sandbox) == ["c-close-a1"]
    closed = run_cli(
        "cases", "close", "c-close", "--as", "cancelled", "--reason", "shopper withdrew", "--json"
    )
    assert closed.exit_code == 0, closed.stderr
    assert closed.json()["state"] == "CLOSED"
    record = case(sandbox, "c-close")
    assert record.reason == "shopper withdrew"
    assert record.transitions[-1].actor == operator_identity().arn
    assert schedules(sandbox) == []
    again = run_cli("cases", "close", "c-close", "--as", "cancelled", "--reason", "twice")
    assert again.exit_code == 0
    assert "nothing to do" in again.stdout


def test_resubmit_with_the_email_from_stdin_never_shows_or_keeps_it(
    run_cli: Run, sandbox: Sandbox
) -> None:
    failed_task(sandbox, "c-gone", "ORDERS_NOT_CLOSED", email=EMAIL, orders_open_days=30)
    open_case(sandbox, Timeline(sandbox), "c-gone")
    sandbox.emulator.remove_task(BP, "c-gone")
    refused = run_cli("cases", "resubmit", "c-gone")
    assert refused.exit_code == 1
    assert "could not be read" in refused.stderr
    started = run_cli("cases", "resubmit", "c-gone", "--email-from-stdin", "--json", input=EMAIL)
    assert started.exit_code == 0, started.stderr
    assert started.json()["state"] == "RESUBMITTED"
    assert EMAIL not in started.stdout + started.stderr
    record = case(sandbox, "c-gone")
    assert record.attempts == 1
    assert record.transitions[-1].cause.ref == "cases resubmit"
    assert EMAIL not in record.model_dump_json()


def test_link_takes_a_task_the_merchant_started_even_after_its_completion(
    run_cli: Run, sandbox: Sandbox
) -> None:
    """Announce mode: the merchant's own system starts the task; its COMPLETED may come
    before the operator links it."""
    timeline = Timeline(sandbox)
    failed_task(sandbox, "c-link", "ORDERS_NOT_CLOSED", email=EMAIL, orders_open_days=3)
    open_case(sandbox, timeline, "c-link")
    timeline.publish(BP, "merchant-task", COMPLETED)
    timeline.settle()
    early = cases(sandbox).task_link("merchant-task")
    assert early is not None
    assert (early.case_id, early.outcome) == (None, "COMPLETED")
    linked = run_cli("cases", "link", "c-link", "merchant-task", "--json")
    assert linked.exit_code == 0, linked.stderr
    assert linked.json()["state"] == CaseState.COMPLETED.value
    assert [t.task_id for t in case(sandbox, "c-link").tasks] == ["c-link", "merchant-task"]


def test_the_reactions_parked_inputs_are_listed_and_redriven_to_the_reaction(
    run_cli: Run, sandbox: Sandbox
) -> None:
    import json

    from bwp_privacy_cli.local import invoke_async
    from bwp_sandbox.admin import admin_client

    failed_task(sandbox, "c-parked", "ORDERS_NOT_CLOSED", email=EMAIL, orders_open_days=30)
    timeline = Timeline(sandbox)
    open_case(sandbox, timeline, "c-parked")
    # An attempt input the scheduler could not deliver (as Scheduler parks it), a failure the
    # reaction gave up on, and an input the reaction cannot take at all (OnFailure).
    sqs = admin_client("sqs")
    attempt = {"kind": "bwp-privacy.attempt-due", "caseId": "c-parked", "attempt": 1}
    sqs.send_message(
        QueueUrl=sandbox.stack.schedule_dlq_url,
        MessageBody=json.dumps(attempt),
        MessageAttributes={
            "ERROR_CODE": {"DataType": "String", "StringValue": "AWS.Lambda.TooManyRequests"},
            "ERROR_MESSAGE": {"DataType": "String", "StringValue": "Rate exceeded"},
        },
    )
    invoke_async(
        timeline.reaction,
        {"kind": "nonsense"},
        on_failure_queue_url=sandbox.stack.on_failure_queue_url,
    )
    listed = run_cli("dlq", "list", "--json").json()
    by_queue = {m["queue"]: m for m in listed["messages"]}
    assert by_queue["schedule-dlq"]["taskId"] == "c-parked"
    assert "AWS.Lambda.TooManyRequests" in by_queue["schedule-dlq"]["reason"]
    assert "InvalidReactionInput" in by_queue["on-failure"]["reason"]

    redriven = run_cli("dlq", "redrive", "--json").json()
    outcomes = {r["queue"]: (r["redriven"], r["detail"]) for r in redriven["results"]}
    assert outcomes["schedule-dlq"] == (True, "reaction: moved")
    assert outcomes["on-failure"][0] is False  # still not an input: kept, not sent to the recorder
    assert case(sandbox, "c-parked").state is CaseState.RESUBMITTED
    assert sum(sandbox.emulator.start_calls().values()) == 1
    # Through the function URL: the redrive is the operator's, in the case's own history.
    redrive = [e for e in _trail(sandbox, "case:c-parked") if e.action == "dlq redrive"]
    assert [(e.actor, e.outcome) for e in redrive] == [
        (operator_identity().arn, "moved: RESUBMITTED")
    ]


def test_set_received_moves_the_deadlines_and_escalates_a_case_that_no_longer_fits(
    run_cli: Run, sandbox: Sandbox
) -> None:
    failed_task(sandbox, "c-clock", "ORDERS_NOT_CLOSED", email=EMAIL, orders_open_days=30)
    opened = open_case(sandbox, Timeline(sandbox), "c-clock")
    bad = run_cli("cases", "set-received", "c-clock", "yesterday", "--reason", "x")
    assert bad.exit_code == 1
    assert "is not an ISO date" in bad.stderr
    earlier = opened.received_at.date().toordinal() - 60
    day = type(opened.received_at.date()).fromordinal(earlier).isoformat()
    moved = run_cli(
        "cases", "set-received", "c-clock", day, "--reason", "the shopper wrote earlier", "--json"
    )
    assert moved.exit_code == 0, moved.stderr
    assert moved.json()["state"] == "ESCALATED"
    record = case(sandbox, "c-clock")
    assert record.received_from == "operator"
    assert record.received_at.date().isoformat() == day
    assert record.plan_deadline_at < opened.plan_deadline_at
    assert [t.cause.ref for t in record.transitions[-2:]] == ["cases set-received"] * 2
    assert schedules(sandbox) == []
