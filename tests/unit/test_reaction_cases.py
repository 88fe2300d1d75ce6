"""The case's state machine and the playbooks, as pure logic: no I/O, an explicit clock."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bwp_privacy.cases import (
    Case,
    CaseState,
    Cause,
    CauseKind,
    client_token,
    deadlines,
    schedule_name,
)
from bwp_privacy.catalogue import load_catalogue, shipped_catalogue_path
from bwp_privacy.reaction import (
    Announce,
    CancelSchedule,
    Decision,
    Ended,
    Escalation,
    PlaybooksConfig,
    PlaybooksError,
    ScheduleAttempt,
    StartTask,
    TaskCompleted,
    TaskFailed,
    close_by_operator,
    load_playbooks,
    on_attempt_due,
    on_completed,
    on_failed,
    on_task_started,
    open_case,
)
from bwp_privacy.reaction.decisions import DEADLINE_ADVICE, PAST_DUE_ADVICE

SHIPPED = Path(__file__).resolve().parents[2] / "functions" / "reaction" / "playbooks.json"
ACTOR = "reaction"
SUBMITTED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FAILED_AT = SUBMITTED + timedelta(days=10)


def shipped() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(SHIPPED.read_text())
    return raw


def shipped_catalogue_raw() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(shipped_catalogue_path().read_text())
    return raw


def config(
    raw: dict[str, Any] | None = None, catalogue: dict[str, Any] | None = None
) -> PlaybooksConfig:
    codes = load_catalogue(json.dumps(catalogue), "codes.json") if catalogue else None
    return load_playbooks(json.dumps(raw or shipped()), "playbooks.json", codes)


def failed(
    task: str = "task-1",
    *codes: str,
    lookup_ok: bool = True,
    submitted: datetime | None = SUBMITTED,
    event: str = "event-1",
) -> TaskFailed:
    return TaskFailed(
        task_id=task,
        business_product_id="bp-1",
        codes=codes or ("ORDERS_NOT_CLOSED",),
        lookup_ok=lookup_ok,
        submitted_at=submitted,
        event_id=event,
        event_time=FAILED_AT,
    )


def decided(decision: Decision | None) -> Decision:
    assert decision is not None, "the input should have moved the case"
    return decision


def started(case: Case, attempt: int, task: str, now: datetime) -> Case:
    cause = Cause(kind=CauseKind.ATTEMPT, ref=schedule_name(case.case_id, attempt))
    return decided(on_task_started(case, attempt, task, cause, now, ACTOR)).case


# ---- clocks -----------------------------------------------------------------------------


def test_deadlines_per_jurisdiction_come_from_the_table_earliest_first() -> None:
    table = config().table()
    laws = {name: table[name] for name in ("ccpa", "gdpr")}
    found = deadlines(datetime(2026, 1, 31, tzinfo=UTC), laws, "deletion")
    assert [(d.jurisdiction, d.due_at.date().isoformat()) for d in found] == [
        ("gdpr", "2026-02-28"),
        ("ccpa", "2026-03-17"),
    ]
    assert [d.latest_due_at.date().isoformat() for d in found] == ["2026-04-28", "2026-05-01"]


# ---- playbooks file (the actions per code: tests/unit/test_catalogue.py) -----------------


def test_the_shipped_playbooks_file_is_valid_and_states_the_defaults() -> None:
    loaded = config()
    deletion = loaded.for_kind("deletion")
    orders = deletion.playbooks["ORDERS_NOT_CLOSED"]
    assert orders.action == "resubmit"
    assert loaded.settings.applies == ["ccpa"]
    assert deletion.playbooks["DATA_SUBJECT_NOT_FOUND"].action == "close"
    assert deletion.default.action == "escalate"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda raw: raw.update(applies=["nowhere"]), "applies: nowhere: no such jurisdiction"),
        (
            lambda raw: raw.update(
                jurisdictions={"gdpr": {"title": "GDPR", "answer_within": {"weeks": 4}}}
            ),
            "jurisdictions.gdpr.answer_within.weeks: Extra inputs are not permitted",
        ),
        (lambda raw: raw.pop("applies"), "playbooks.json: applies: Field required"),
        (
            # A file written before the catalogue: told where its actions live now.
            lambda raw: raw.update(lookup_failed={"action": "escalate", "advice": "Look."}),
            "playbooks.json: lookup_failed: moved to the catalogue",
        ),
    ],
)
def test_a_broken_playbooks_file_fails_naming_the_key(change: Any, expected: str) -> None:
    raw = shipped()
    change(raw)
    with pytest.raises(PlaybooksError, match=expected.replace(".", r"\.").replace("'", ".")):
        config(raw)


def test_a_json_syntax_error_names_the_line() -> None:
    with pytest.raises(PlaybooksError, match=r"playbooks\.json: line 2 column 1"):
        load_playbooks('{"version": 1,\n}', "playbooks.json")


def test_json_nested_past_the_parsers_depth_is_a_file_error_too() -> None:
    with pytest.raises(PlaybooksError, match=r"playbooks\.json: JSON nested too deeply"):
        load_playbooks("[" * 5000 + "]" * 5000, "playbooks.json")


# ---- the resubmission loop --------------------------------------------------------------


def test_orders_not_closed_is_resubmitted_until_a_task_completes() -> None:
    rules = config()
    opened = open_case(failed(), rules, FAILED_AT, ACTOR)
    case = opened.case
    first = FAILED_AT + timedelta(days=7)
    assert case.case_id == "task-1"
    assert case.state is CaseState.WAITING
    assert case.received_at == SUBMITTED
    assert case.next_attempt_at == first
    # Scheduler may run it as late as the planning deadline less the playbook's margin, and
    # a day (a task's time to finish) before the legal deadline in force it is planned before.
    latest = min(case.plan_deadline_at - timedelta(days=35), case.legal_due_at - timedelta(days=1))
    assert opened.effects == (ScheduleAttempt(1, first, "task-1-a1", latest),)
    assert case.transitions[0].from_state is None
    assert case.transitions[0].cause == Cause(kind=CauseKind.EVENT, ref="event-1")

    due = decided(on_attempt_due(case, 1, rules, first, ACTOR))
    assert due.case == case, "the attempt writes nothing until its task is linked"
    assert due.effects == (StartTask(1, client_token("task-1", 1), 0, "task-1"),)
    case = started(case, 1, "task-2", first)
    assert case.state is CaseState.RESUBMITTED
    assert [(t.task_id, t.attempt) for t in case.tasks] == [("task-1", 0), ("task-2", 1)]

    again = decided(on_failed(case, failed("task-2", event="event-2"), rules, first, ACTOR))
    second = first + timedelta(days=7)
    assert again.case.state is CaseState.WAITING
    assert again.effects == (ScheduleAttempt(2, second, "task-1-a2", latest),)
    case = started(again.case, 2, "task-3", second)

    done = decided(on_completed(case, TaskCompleted("task-3", "event-3"), second, ACTOR))
    assert done.case.state is CaseState.COMPLETED
    assert done.case.ended_at == second
    assert done.effects == (Ended(CaseState.COMPLETED),)
    assert [t.to_state for t in done.case.transitions] == [
        CaseState.WAITING,
        CaseState.RESUBMITTED,
        CaseState.WAITING,
        CaseState.RESUBMITTED,
        CaseState.COMPLETED,
    ]
    assert all(t.actor == ACTOR for t in done.case.transitions)


def test_repeated_and_stale_inputs_never_move_a_case_twice() -> None:
    rules = config()
    case = open_case(failed(), rules, FAILED_AT, ACTOR).case
    first = FAILED_AT + timedelta(days=7)
    assert on_failed(case, failed(event="event-dup"), rules, FAILED_AT, ACTOR) is None
    assert on_attempt_due(case, 2, rules, first, ACTOR) is None, "not the pending attempt"
    case = started(case, 1, "task-2", first)
    assert on_attempt_due(case, 1, rules, first, ACTOR) is None, "the schedule fired twice"
    cause = Cause(kind=CauseKind.ATTEMPT, ref="again")
    assert on_task_started(case, 1, "task-2", cause, first, ACTOR) is None
    assert on_task_started(case, 1, "task-9", cause, first, ACTOR) is None, "attempt taken"


def test_a_completion_while_waiting_cancels_the_pending_attempt() -> None:
    case = open_case(failed(), config(), FAILED_AT, ACTOR).case
    done = decided(on_completed(case, TaskCompleted("task-1", "e"), FAILED_AT, ACTOR))
    assert done.case.state is CaseState.COMPLETED
    assert done.effects == (CancelSchedule(1, "task-1-a1"), Ended(CaseState.COMPLETED))


def test_late_events_after_the_end_never_move_the_case() -> None:
    rules = config()
    case = open_case(failed(), rules, FAILED_AT, ACTOR).case
    case = started(case, 1, "task-2", FAILED_AT + timedelta(days=7))
    case = decided(on_completed(case, TaskCompleted("task-2", "e2"), FAILED_AT, ACTOR)).case
    # The original's FAILED again, and a FAILED of the completed task (out of order).
    assert on_failed(case, failed("task-1", event="e1-again"), rules, FAILED_AT, ACTOR) is None
    assert on_failed(case, failed("task-2", event="e3"), rules, FAILED_AT, ACTOR) is None
    assert on_completed(case, TaskCompleted("task-2", "e2"), FAILED_AT, ACTOR) is None


def test_an_ended_case_records_a_later_task_outcome_without_moving() -> None:
    rules = config()
    case = open_case(failed(), rules, FAILED_AT, ACTOR).case
    case = started(case, 1, "task-2", FAILED_AT + timedelta(days=7))
    case = decided(close_by_operator(case, "handled by hand", FAILED_AT, "ops", "completed")).case
    later = decided(on_completed(case, TaskCompleted("task-2", "e2"), FAILED_AT, ACTOR))
    assert later.case.state is CaseState.CLOSED
    assert later.effects == ()
    assert later.case.transitions == case.transitions
    assert later.case.task("task-2") is not None
    assert later.case.tasks[-1].outcome == "COMPLETED"


def test_a_failure_of_an_older_task_does_not_move_a_resubmitted_case() -> None:
    rules = config()
    case = open_case(failed(), rules, FAILED_AT, ACTOR).case
    case = started(case, 1, "task-2", FAILED_AT + timedelta(days=7))
    resent = on_failed(case, failed("task-1", event="e-old"), rules, FAILED_AT, ACTOR)
    assert resent is None, "task-1's failure is already recorded"


# ---- closing and escalating -------------------------------------------------------------


def test_nothing_to_delete_closes_the_case_with_its_basis() -> None:
    closed = open_case(failed("t", "DATA_SUBJECT_NOT_FOUND"), config(), FAILED_AT, ACTOR)
    assert closed.case.state is CaseState.NOTHING_TO_DELETE
    assert closed.case.reason is not None
    assert closed.case.reason.startswith("DATA_SUBJECT_NOT_FOUND: Buy with Prime holds no")
    assert closed.effects == (Ended(CaseState.NOTHING_TO_DELETE),)


@pytest.mark.parametrize(
    ("codes", "lookup_ok", "why"),
    [
        (("SOMETHING_NEW",), True, "task t failed with SOMETHING_NEW"),
        (("UNSPECIFIED",), True, "task t failed with UNSPECIFIED"),
        (("NONE",), False, "task t failed with LOOKUP_FAILED"),
        (("ORDERS_NOT_CLOSED", "SOMETHING_NEW"), True, "task t failed with SOMETHING_NEW"),
    ],
)
def test_unknown_codes_and_failed_lookups_escalate_at_once(
    codes: tuple[str, ...], lookup_ok: bool, why: str
) -> None:
    escalated = open_case(failed("t", *codes, lookup_ok=lookup_ok), config(), FAILED_AT, ACTOR)
    assert escalated.case.state is CaseState.ESCALATED
    assert escalated.case.reason == why
    (effect,) = escalated.effects
    assert isinstance(effect, Escalation)
    assert effect.reason == why
    assert "bwp-privacy cases" in effect.advice


def test_resubmit_wins_over_nothing_to_delete_when_a_task_has_both_codes() -> None:
    both = open_case(
        failed("t", "DATA_SUBJECT_NOT_FOUND", "ORDERS_NOT_CLOSED"), config(), FAILED_AT, ACTOR
    )
    assert both.case.state is CaseState.WAITING
    assert both.case.playbook_code == "ORDERS_NOT_CLOSED"


def test_a_case_that_used_every_attempt_is_escalated() -> None:
    catalogue = shipped_catalogue_raw()
    catalogue["codes"]["ORDERS_NOT_CLOSED"]["actions"]["deletion"]["max_attempts"] = 1
    rules = config(catalogue=catalogue)
    case = open_case(failed(), rules, FAILED_AT, ACTOR).case
    case = started(case, 1, "task-2", FAILED_AT + timedelta(days=7))
    last = decided(on_failed(case, failed("task-2", event="e2"), rules, FAILED_AT, ACTOR))
    assert last.case.state is CaseState.ESCALATED
    assert last.case.reason == (
        "task task-2 failed with ORDERS_NOT_CLOSED and all 1 attempts are used"
    )


def test_an_attempt_that_would_start_too_close_to_the_deadline_escalates_instead() -> None:
    # Submitted 60 days before the failure: CCPA's 45 days ended 15 days before it, and the
    # extension had to be taken before then. The reason says so as a person reads it: the
    # legal deadline in force, a plain date (no count of days: the reason is shown as long as
    # the case is open, and the views say how the deadline stands today), and what to do.
    late = failed(submitted=FAILED_AT - timedelta(days=60))
    escalated = open_case(late, config(), FAILED_AT, ACTOR)
    assert escalated.case.state is CaseState.ESCALATED
    assert escalated.case.reason == (
        "the legal deadline of 24 Feb 2026 passed before the next attempt: answer the shopper"
        " outside Buy with Prime and close the case with how it was answered"
    )
    assert [e.advice for e in escalated.effects if isinstance(e, Escalation)] == [PAST_DUE_ADVICE]


def test_an_attempt_too_close_to_a_deadline_still_ahead_says_what_can_still_be_done() -> None:
    # Planning by the first deadline: 25 days are left, the playbook keeps 35 for a task.
    raw = shipped()
    raw["plan_within"] = "initial"
    escalated = open_case(
        failed(submitted=FAILED_AT - timedelta(days=20)), config(raw), FAILED_AT, ACTOR
    )
    assert escalated.case.reason == (
        "attempt 1, due on 18 Mar 2026, would leave less than 35 days before 5 Apr 2026, the"
        " legal deadline: too little for a task to finish; resubmit now, extend (ccpa, telling"
        " the shopper before 5 Apr 2026) or close the case with how it was answered"
    )
    assert [e.advice for e in escalated.effects if isinstance(e, Escalation)] == [DEADLINE_ADVICE]


def test_the_deadline_is_checked_again_when_the_attempt_is_due() -> None:
    rules = config()
    case = open_case(failed(), rules, FAILED_AT, ACTOR).case
    # The schedule fired very late (e.g. it was retried for days): escalate, do not start.
    very_late = case.plan_deadline_at - timedelta(days=10)
    decision = decided(on_attempt_due(case, 1, rules, very_late, ACTOR))
    assert decision.case.state is CaseState.ESCALATED
    assert not any(isinstance(effect, StartTask) for effect in decision.effects)


def test_an_operator_close_cancels_the_pending_attempt_and_says_why() -> None:
    case = open_case(failed(), config(), FAILED_AT, ACTOR).case
    closed = decided(
        close_by_operator(case, "shopper withdrew", FAILED_AT, "arn:aws:iam::1:u", "cancelled")
    )
    assert closed.case.state is CaseState.CLOSED
    assert closed.case.reason == "shopper withdrew"
    assert closed.case.transitions[-1].actor == "arn:aws:iam::1:u"
    assert closed.case.transitions[-1].cause.kind is CauseKind.OPERATOR
    assert closed.effects == (CancelSchedule(1, "task-1-a1"), Ended(CaseState.CLOSED))
    assert close_by_operator(closed.case, "again", FAILED_AT, "x", "cancelled") is None


def test_announce_mode_tells_the_merchant_and_waits_for_their_task() -> None:
    raw = shipped()
    raw["mode"] = "announce"
    rules = config(raw)
    case = open_case(failed(), rules, FAILED_AT, ACTOR).case
    due = decided(on_attempt_due(case, 1, rules, FAILED_AT + timedelta(days=7), ACTOR))
    assert due.case.state is CaseState.RESUBMISSION_DUE
    assert due.effects == (Announce(1),)
    linked = started(due.case, 1, "merchant-task", FAILED_AT + timedelta(days=8))
    assert linked.state is CaseState.RESUBMITTED


def test_an_operator_moves_the_clock_and_the_deadlines_follow() -> None:
    from bwp_privacy.reaction import set_received

    rules = config()
    case = open_case(failed(), rules, FAILED_AT, ACTOR).case
    later = SUBMITTED + timedelta(days=2)
    moved = decided(set_received(case, later, "the form came in late", rules, FAILED_AT, "ops"))
    assert moved.case.state is CaseState.WAITING
    assert moved.effects == ()
    assert moved.case.received_from == "operator"
    assert moved.case.plan_deadline_at == case.plan_deadline_at + timedelta(days=2)
    assert moved.case.transitions[-1].reason.startswith("received date set to 2026-03-03")
    assert set_received(moved.case, later, "again", rules, FAILED_AT, "ops") is None


def test_an_earlier_receipt_that_leaves_no_time_escalates_the_waiting_case() -> None:
    from bwp_privacy.reaction import set_received

    rules = config()
    case = open_case(failed(), rules, FAILED_AT, ACTOR).case
    early = SUBMITTED - timedelta(days=50)
    moved = decided(set_received(case, early, "older request", rules, FAILED_AT, "ops"))
    assert moved.case.state is CaseState.ESCALATED
    assert moved.effects[0] == CancelSchedule(1, "task-1-a1")
    assert isinstance(moved.effects[1], Escalation)


def test_a_stray_case_opened_by_an_unlinked_attempt_is_merged_back() -> None:
    from bwp_privacy.reaction import merge_stray

    rules = config()
    case = open_case(failed(), rules, FAILED_AT, ACTOR).case
    # Attempt 1 started task-2 but died before linking it; task-2's failure opened its own case.
    stray = open_case(failed("task-2", event="e2"), rules, FAILED_AT, ACTOR).case
    cause = Cause(kind=CauseKind.SCHEDULE, ref="task-1-a1")
    merged = merge_stray(case, stray, 1, cause, rules, FAILED_AT, ACTOR)
    assert merged is not None
    into, closed = merged
    assert [(t.task_id, t.attempt, t.outcome) for t in into.case.tasks] == [
        ("task-1", 0, "FAILED"),
        ("task-2", 1, "FAILED"),
    ]
    assert into.case.state is CaseState.WAITING
    [scheduled] = into.effects
    assert isinstance(scheduled, ScheduleAttempt)
    latest = min(
        into.case.plan_deadline_at - timedelta(days=35), into.case.legal_due_at - timedelta(days=1)
    )
    assert scheduled == ScheduleAttempt(2, FAILED_AT + timedelta(days=7), "task-1-a2", latest)
    assert closed.case.state is CaseState.CLOSED
    # Not a request of its own: its attempt is cancelled and its incident resolved.
    assert closed.effects == (CancelSchedule(1, "task-2-a1"), Ended(CaseState.CLOSED))
    # Not a stray: a case with more than its own task is never merged.
    assert merge_stray(case, into.case, 1, cause, rules, FAILED_AT, ACTOR) is None
