"""The reaction end to end in the sandbox, with the template's IAM enforced: events on the
partner bus, the real recorder and reaction handlers, the API emulator running the tasks the
reaction starts, and attempt schedules fired as the sandbox's clock moves."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest

from bwp_privacy.cases import CaseState, CauseKind, client_token
from bwp_privacy_cli.local import LocalLambdaContext, invoke_async
from bwp_sandbox.admin import admin_client
from bwp_sandbox.event_source import SqsEventSource
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.stack import drain_queue, queue_depth
from bwp_sandbox.timeline import Timeline
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


@pytest.fixture
def timeline(sandbox: Sandbox) -> Timeline:
    return Timeline(sandbox)


def test_a_case_is_resubmitted_until_a_deletion_completes(
    sandbox: Sandbox, timeline: Timeline
) -> None:
    failed_task(
        sandbox, "t-orders", "ORDERS_NOT_CLOSED", email="a@example.com", orders_open_days=10
    )
    opened = open_case(sandbox, timeline, "t-orders")
    assert opened.state is CaseState.WAITING
    assert opened.received_from == "submissionDate"
    assert schedules(sandbox) == ["t-orders-a1"]

    timeline.advance(7)  # attempt 1: the orders are still open, the new task fails again
    again = case(sandbox, "t-orders")
    assert again.state is CaseState.WAITING
    assert again.attempts == 1
    assert [t.outcome for t in again.tasks] == ["FAILED", "FAILED"]
    assert schedules(sandbox) == ["t-orders-a2"]

    timeline.advance(7)  # attempt 2: the orders closed on day 10, the deletion completes
    done = case(sandbox, "t-orders")
    assert done.state is CaseState.COMPLETED
    assert done.attempts == 2
    assert [t.outcome for t in done.tasks] == ["FAILED", "FAILED", "COMPLETED"]
    assert schedules(sandbox) == []
    # Each task linked both ways: the case lists it, and its task item names the case.
    for task in done.tasks:
        link = cases(sandbox).task_link(task.task_id)
        assert link is not None
        assert link.case_id == "t-orders"
    assert [(t.to_state.value, t.cause.kind) for t in done.transitions] == [
        ("WAITING", CauseKind.EVENT),
        ("RESUBMITTED", CauseKind.SCHEDULE),
        ("WAITING", CauseKind.EVENT),
        ("RESUBMITTED", CauseKind.SCHEDULE),
        ("COMPLETED", CauseKind.EVENT),
    ]
    # Days pass on the sandbox's clock: the attempts are a week apart in the record.
    gap = done.transitions[3].at - done.transitions[1].at
    assert timedelta(days=6.9) < gap < timedelta(days=7.1)
    assert sandbox.emulator.start_calls() == {
        client_token("t-orders", 1): 1,
        client_token("t-orders", 2): 1,
    }


def test_nothing_to_delete_closes_the_case_at_once(sandbox: Sandbox, timeline: Timeline) -> None:
    failed_task(sandbox, "t-none", "DATA_SUBJECT_NOT_FOUND", email="b@example.com")
    closed = open_case(sandbox, timeline, "t-none")
    assert closed.state is CaseState.NOTHING_TO_DELETE
    assert closed.ended_at is not None
    assert schedules(sandbox) == []
    assert sandbox.emulator.start_calls() == {}


def test_a_case_too_close_to_its_deadline_is_escalated_with_a_critical_alert(
    sandbox: Sandbox, timeline: Timeline
) -> None:
    failed_task(
        sandbox, "t-late", "ORDERS_NOT_CLOSED", email="c@example.com", submitted_days_ago=60
    )
    escalated = open_case(sandbox, timeline, "t-late")
    assert escalated.state is CaseState.ESCALATED
    assert escalated.reason is not None
    assert "passed before the next attempt" in escalated.reason
    notices = [
        json.loads(m["Body"])
        for m in drain_queue(sandbox.stack.tap_queue_url)
        if json.loads(m["Body"]).get("schema") == "bwp-privacy.case-notice"
    ]
    assert [(n["kind"], n["caseId"]) for n in notices] == [("escalated", "t-late")]
    assert 29 < notices[0]["daysLeft"] < 31  # extended CCPA deadline: day 90 of 60 gone
    # The router takes the notice like a failure: a critical page, once.

    router = sandbox.router.cold_start()
    SqsEventSource(sandbox.stack.alert_queue_url, router).drain()
    pages = [p["body"] for p in sandbox.sink.received("pagerduty")]
    escalations = [p for p in pages if "Deletion case t-late escalated" in p["payload"]["summary"]]
    assert len(escalations) == 1
    assert escalations[0]["payload"]["severity"] == "critical"


def test_an_attempt_whose_email_cannot_be_read_is_escalated(
    sandbox: Sandbox, timeline: Timeline
) -> None:
    failed_task(sandbox, "t-gone", "ORDERS_NOT_CLOSED", email="d@example.com", orders_open_days=30)
    open_case(sandbox, timeline, "t-gone")
    sandbox.emulator.remove_task(BP, "t-gone")  # the failed task is no longer queryable
    timeline.advance(7)
    escalated = case(sandbox, "t-gone")
    assert escalated.state is CaseState.ESCALATED
    assert escalated.reason == (
        "attempt 1 could not start: the failed task t-gone could not be read "
        "(ResourceNotFoundApiError)"
    )
    assert sandbox.emulator.start_calls() == {}


def test_a_schedule_fired_twice_starts_one_task(sandbox: Sandbox, timeline: Timeline) -> None:
    failed_task(sandbox, "t-twice", "ORDERS_NOT_CLOSED", email="e@example.com", orders_open_days=30)
    open_case(sandbox, timeline, "t-twice")
    schedule = admin_client("scheduler").get_schedule(
        Name="t-twice-a1", GroupName=sandbox.stack.schedule_group_name
    )
    payload = json.loads(schedule["Target"]["Input"])
    assert payload == {"kind": "bwp-privacy.attempt-due", "caseId": "t-twice", "attempt": 1}
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 185
    # A storm's attempts are spread by Scheduler over a day (AttemptWindowMinutes' default):
    # the planning deadline is weeks past the attempt, so the whole window fits.
    assert schedule["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 1440}
    for _ in range(2):
        outcome = invoke_async(
            timeline.reaction, payload, on_failure_queue_url=sandbox.stack.on_failure_queue_url
        )
        assert outcome.error is None
    resubmitted = case(sandbox, "t-twice")
    assert resubmitted.state is CaseState.RESUBMITTED
    assert len(resubmitted.tasks) == 2
    assert sum(sandbox.emulator.start_calls().values()) == 1


def test_duplicate_and_reordered_events_end_the_case_right(
    sandbox: Sandbox, timeline: Timeline
) -> None:
    failed_task(sandbox, "t-dup", "ORDERS_NOT_CLOSED", email="f@example.com", orders_open_days=3)
    open_case(sandbox, timeline, "t-dup")
    timeline.advance(7)  # attempt 1 completes
    done = case(sandbox, "t-dup")
    assert done.state is CaseState.COMPLETED
    new_task = done.tasks[-1].task_id
    # The COMPLETED again, and the original's FAILED again after the end.
    timeline.publish(BP, new_task, COMPLETED)
    open_case(sandbox, timeline, "t-dup")
    after = case(sandbox, "t-dup")
    assert after.state is CaseState.COMPLETED
    assert after.transitions == done.transitions
    assert queue_depth(sandbox.stack.on_failure_queue_url) == (0, 0)
    assert queue_depth(sandbox.stack.reaction_dlq_url) == (0, 0)


def test_concurrent_deliveries_of_one_failure_open_one_case(sandbox: Sandbox) -> None:
    failed_task(sandbox, "t-race", "ORDERS_NOT_CLOSED", email="g@example.com", orders_open_days=3)
    failure = {
        "schema": "bwp-privacy.deletion-task-failure",
        "schemaVersion": "1.0",
        "eventId": "e-race",
        "eventTime": "2026-11-20T12:34:56Z",
        "detailType": "PERSONAL_DATA_DELETION_TASK_FAILED",
        "businessProductId": BP,
        "taskId": "t-race",
        "status": "FAILED",
        "submissionDate": None,
        "errors": [{"code": "ORDERS_NOT_CLOSED", "message": "open orders"}],
        "lookup": {"status": "OK"},
        "receivedAt": "2026-11-20T12:35:00Z",
    }
    reaction = sandbox.reaction.cold_start()
    answers: list[object] = []

    def deliver(n: int) -> None:
        record = {
            "messageId": f"m-{n}",
            "receiptHandle": f"r-{n}",
            "body": json.dumps(failure),
            "attributes": {},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
            "awsRegion": "us-east-1",
        }
        answers.append(reaction.handler({"Records": [record]}, LocalLambdaContext()))

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [{"batchItemFailures": []}] * 4
    opened = case(sandbox, "t-race")
    assert len(opened.transitions) == 1
    assert schedules(sandbox) == ["t-race-a1"]


def test_a_task_whose_link_never_got_written_is_merged_back_into_its_case(
    sandbox: Sandbox, timeline: Timeline
) -> None:
    """Every retry of attempt 1 dies between the start mutation and the case write; the new
    task fails before the attempt is redriven, so its FAILED opens a case of its own. The
    redrive starts the same task (same client token) and merges that stray case back."""
    from bwp_sandbox.soak.reaction import ReactionFaults, injected

    failed_task(
        sandbox, "t-window", "ORDERS_NOT_CLOSED", email="w@example.com", orders_open_days=30
    )
    open_case(sandbox, timeline, "t-window")
    attempt = {"kind": "bwp-privacy.attempt-due", "caseId": "t-window", "attempt": 1}
    sandbox.emulator.advance(7)
    deaths = ReactionFaults(1, scheduler_error=0, case_write_throttle=0, crash_before_case_write=1)
    with injected(deaths):
        parked = invoke_async(
            timeline.reaction, attempt, on_failure_queue_url=sandbox.stack.on_failure_queue_url
        )
    assert parked.error is not None
    assert deaths.counts["crash-before-case-write"] == 3
    # The schedule fired (its target was invoked): Scheduler deletes it.
    admin_client("scheduler").delete_schedule(
        Name="t-window-a1", GroupName=sandbox.stack.schedule_group_name
    )
    timeline.settle()  # the new task fails; its FAILED opens a stray case
    [stray] = [c for c in cases(sandbox).open_cases() if c.case_id != "t-window"]
    assert case(sandbox, "t-window").state is CaseState.WAITING

    redriven = invoke_async(
        timeline.reaction, attempt, on_failure_queue_url=sandbox.stack.on_failure_queue_url
    )
    assert redriven.error is None
    merged = case(sandbox, "t-window")
    assert [t.task_id for t in merged.tasks] == ["t-window", stray.case_id]
    assert merged.state is CaseState.WAITING  # the task's failure applied: attempt 2 is next
    assert merged.attempts == 1
    closed = case(sandbox, stray.case_id)
    assert closed.state is CaseState.CLOSED
    assert closed.reason is not None
    assert "merged into that case" in closed.reason
    link = cases(sandbox).task_link(stray.case_id)
    assert link is not None
    assert link.case_id == "t-window"
    assert schedules(sandbox) == ["t-window-a2"]
    assert set(sandbox.emulator.tasks_created().values()) == {1}
