"""Scheduler's flexible window for an attempt: the configured spread, never reaching past the
latest time the playbook allows (the planning deadline less its margin), nor past the time a
task needs to finish before a legal deadline its planned time would meet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bwp_privacy.reaction import (
    ScheduleAttempt,
    TaskFailed,
    flexible_window,
    load_playbooks,
    open_case,
)

SHIPPED = Path(__file__).resolve().parents[2] / "functions" / "reaction" / "playbooks.json"

AT = datetime(2026, 12, 14, 9, 30, tzinfo=UTC)


def test_the_whole_window_when_the_deadline_is_far() -> None:
    latest = AT + timedelta(days=20)
    assert flexible_window(AT, latest, 1440) == {
        "Mode": "FLEXIBLE",
        "MaximumWindowInMinutes": 1440,
    }


def test_the_window_stops_at_the_latest_time_the_playbook_allows() -> None:
    latest = AT + timedelta(hours=3, seconds=59)
    assert flexible_window(AT, latest, 1440) == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 180}


def test_off_when_less_than_a_minute_is_left_or_none_is_asked() -> None:
    assert flexible_window(AT, AT + timedelta(seconds=59), 1440) == {"Mode": "OFF"}
    assert flexible_window(AT, AT - timedelta(days=1), 1440) == {"Mode": "OFF"}
    assert flexible_window(AT, AT + timedelta(days=20), 0) == {"Mode": "OFF"}
    assert flexible_window(AT, None, 1440) == {"Mode": "OFF"}


def test_never_over_schedulers_largest_window() -> None:
    window = flexible_window(AT, AT + timedelta(days=20), 5000)
    assert window == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 1440}


def _near_the_deadline(days_before_due: float) -> ScheduleAttempt:
    """The first attempt of a case opened so that it is planned ``days_before_due`` before
    the case's legal deadline in force (CCPA's 45 days from the task's submission)."""
    rules = load_playbooks(SHIPPED.read_text(), "playbooks.json")
    submitted = datetime(2026, 10, 1, tzinfo=UTC)
    now = submitted + timedelta(days=45 - 7 - days_before_due)  # the first attempt is 7 d on
    failure = TaskFailed(
        task_id="t-near",
        business_product_id="bp-1",
        codes=("ORDERS_NOT_CLOSED",),
        lookup_ok=True,
        submitted_at=submitted,
        event_id="e-near",
        event_time=now,
    )
    [effect] = open_case(failure, rules, now, "reaction").effects
    assert isinstance(effect, ScheduleAttempt)
    return effect


def test_the_window_never_carries_an_attempt_past_a_legal_deadline_it_would_meet() -> None:
    """Planned 1.5 days before the legal deadline in force, the attempt's task (no holding
    period) has a day to finish: Scheduler may run it half a day late, not a whole day."""
    attempt = _near_the_deadline(1.5)
    due = attempt.at + timedelta(days=1.5)
    assert attempt.latest == due - timedelta(days=1)
    assert flexible_window(attempt.at, attempt.latest, 1440) == {
        "Mode": "FLEXIBLE",
        "MaximumWindowInMinutes": 720,
    }


def test_an_attempt_planned_on_the_extension_is_held_to_the_planning_deadline() -> None:
    """Planned after the legal deadline in force (the shipped playbooks plan within the
    extended deadline, which a person records), only the planning deadline less the margin
    holds it: as its planned time was."""
    attempt = _near_the_deadline(-2)
    assert attempt.latest is not None
    assert attempt.latest - attempt.at > timedelta(days=1)
    assert flexible_window(attempt.at, attempt.latest, 1440)["MaximumWindowInMinutes"] == 1440
