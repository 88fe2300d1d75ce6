"""Scheduler's flexible window for an attempt: the configured spread, never reaching past the
latest time the playbook allows (the planning deadline less its margin)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bwp_privacy.reaction import flexible_window

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
