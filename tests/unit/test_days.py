"""How a deadline is said (issue 25): calendar days in UTC, in words, never a fraction and
never time left once the law's time is up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bwp_privacy.common import plain_day, standing, whole_days_left

DUE = datetime(2026, 11, 16, 9, 12, 44, tzinfo=UTC)
PARIS = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("now", "said", "days"),
    [
        # 20.8 days after the deadline is its 21st day past due: read by the date.
        (datetime(2026, 12, 7, 3, 57, tzinfo=UTC), "past due by 21 days", -21),
        (datetime(2026, 11, 17, 8, 0, tzinfo=UTC), "past due by 1 day", -1),
        (DUE + timedelta(minutes=1), "past due since 09:12 UTC today", 0),
        (DUE, "past due since 09:12 UTC today", 0),
        (DUE - timedelta(hours=9), "due today at 09:12 UTC", 0),
        (datetime(2026, 11, 15, 23, 0, tzinfo=UTC), "1 day left", 1),
        (datetime(2026, 10, 2, 9, 12, 44, tzinfo=UTC), "45 days left", 45),
        # A time with an offset counts on its UTC date: 1 a.m. in Paris is still 15 Nov.
        (datetime(2026, 11, 16, 0, 30, tzinfo=PARIS), "1 day left", 1),
    ],
)
def test_a_deadline_stands_in_calendar_days_in_words(now: datetime, said: str, days: int) -> None:
    assert standing(DUE, now) == said
    assert whole_days_left(DUE, now) == days


def test_a_day_is_written_as_people_write_it() -> None:
    assert plain_day(DUE) == "16 Nov 2026"
    assert plain_day(datetime(2027, 1, 2, 23, 30, tzinfo=UTC)) == "2 Jan 2027"
