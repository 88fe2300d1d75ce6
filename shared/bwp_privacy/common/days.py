"""Deadlines as a person reads them: whole calendar days and plain dates ("past due by 3
days", "16 Nov 2026"), never "-2.6 days left" or an ISO time, in every view, alert and reason
that a compliance officer or on-call engineer reads.

Days are calendar days in UTC, as a deadline's date is read: a deadline of 16 November seen on
7 December is past due by 21 days, whatever the hours (20.8 days of elapsed time would read
20 and understate it). Which bucket a case is in still counts by the exact time."""

from __future__ import annotations

from datetime import UTC, datetime


def whole_days_left(due: datetime, now: datetime) -> int:
    """Calendar days (UTC) from ``now``'s date to ``due``'s: 0 on the due day, -N once the due
    day is N days past."""
    return (due.astimezone(UTC).date() - now.astimezone(UTC).date()).days


def standing(due: datetime, now: datetime) -> str:
    """How a deadline stands, in words: "12 days left", "due today at 09:12 UTC", "past due
    since 09:12 UTC today", "past due by 3 days". Once the law's time is up, no wording reads
    as time left, even on the due day."""
    days = whole_days_left(due, now)
    at = f"{due.astimezone(UTC):%H:%M} UTC"
    if due > now:
        return f"due today at {at}" if days == 0 else f"{days} day{_s(days)} left"
    if days == 0:
        return f"past due since {at} today"
    return f"past due by {-days} day{_s(-days)}"


def plain_day(moment: datetime) -> str:
    """The UTC date of ``moment`` as people write it: "16 Nov 2026"."""
    utc = moment.astimezone(UTC)
    return f"{utc.day} {utc:%b %Y}"


def _s(count: int) -> str:
    return "" if count == 1 else "s"
