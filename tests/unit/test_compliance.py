"""The compliance views: the auditor's request log (and its CSV and JSON Lines), and the
yearly figures. Pure: cases built here, an explicit now. (The urgency buckets are the case's
own: test_case_urgency.)"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from bwp_privacy.cases import CaseState, CaseTask
from bwp_privacy.compliance import (
    NO_REASON,
    Response,
    YearStats,
    metric_rows,
    request_records,
    response_of,
    whole_days_to_respond,
    write_csv,
    write_jsonl,
    write_stats_csv,
    year_window,
    yearly_stats,
)
from tests.unit.case_factory import RECEIVED, case

# --- responses and records ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "closed_as", "response"),
    [
        (CaseState.WAITING, None, Response.OPEN),
        (CaseState.RESUBMITTED, None, Response.OPEN),
        (CaseState.RESUBMISSION_DUE, None, Response.OPEN),
        (CaseState.ESCALATED, None, Response.OPEN),
        (CaseState.COMPLETED, None, Response.COMPLETED),
        (CaseState.NOTHING_TO_DELETE, None, Response.NOTHING_TO_DELETE),
        (CaseState.NOTHING_TO_RETRIEVE, None, Response.NOTHING_TO_RETRIEVE),
        (CaseState.CLOSED, "completed", Response.COMPLETED),
        (CaseState.CLOSED, "denied", Response.DENIED),
        (CaseState.CLOSED, "cancelled", Response.CANCELLED),
        (CaseState.CLOSED, None, Response.CANCELLED),
    ],
)
def test_the_response_is_read_from_the_state_and_how_an_operator_closed_it(
    state: CaseState, closed_as: str | None, response: Response
) -> None:
    assert response_of(case(state=state, closed_as=closed_as)) is response


def test_records_keep_the_requests_received_since_a_date_oldest_first() -> None:
    since = RECEIVED
    found = request_records(
        [
            case("later", received=RECEIVED + timedelta(days=2)),
            case("before", received=RECEIVED - timedelta(seconds=1)),
            case("at", received=RECEIVED),
        ],
        since,
    )
    assert [r.case_id for r in found] == ["at", "later"]


def test_records_end_before_until_and_a_year_is_its_utc_calendar_year() -> None:
    start, end = year_window(2025)
    assert (start, end) == (
        datetime(2025, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    found = request_records(
        [
            case("2024", received=start - timedelta(microseconds=1)),
            case("first", received=start),
            case("last", received=end - timedelta(microseconds=1)),
            case("2026", received=end),
        ],
        start,
        end,
    )
    assert [r.case_id for r in found] == ["first", "last"]
    assert year_window(9999)[1].year == 9999  # the calendar's last year has no next one


def test_a_record_says_what_an_auditor_asks_and_the_basis_only_of_a_denial() -> None:
    denied = case(
        "t-1",
        state=CaseState.CLOSED,
        kind="retrieval",
        closed_as="denied",
        reason="unverifiable request",
        ended_after_days=3,
        extended_at=RECEIVED + timedelta(days=1),
        attempts=1,
        tasks=(
            CaseTask(task_id="t-1", attempt=0, outcome="FAILED"),
            CaseTask(task_id="t-2", attempt=1, outcome="FAILED"),
        ),
    )
    cancelled = case("t-3", state=CaseState.CLOSED, closed_as="cancelled", reason="withdrawn")
    exempt = case(
        "t-4",
        state=CaseState.CLOSED,
        closed_as="denied",
        denied_because="exempt",
        reason="records under a legal hold",
    )
    first, second, third = request_records([denied, cancelled, exempt], RECEIVED)
    # Denied before the grounds were recorded: other (its reason says which).
    assert first.denial_category == "other"
    assert (third.denial_category, third.denial_basis) == ("exempt", "records under a legal hold")
    assert second.denial_category is None
    assert first.request_type == "retrieval"
    assert first.how_made == "Buy with Prime API: startPersonalDataRetrievalTask"
    assert first.response is Response.DENIED
    assert first.denial_basis == "unverifiable request"
    assert first.extended is True
    assert first.legal_due_at == RECEIVED + timedelta(days=90)
    assert first.responded_at == RECEIVED + timedelta(days=3)
    assert first.task_ids == ("t-1", "t-2")
    assert first.attempts == 1
    assert second.how_made == "Buy with Prime API: startPersonalDataDeletionTask"
    assert (second.response, second.denial_basis, second.extended) == (
        Response.CANCELLED,
        None,
        False,
    )


def test_the_csv_is_rfc_4180_and_a_reason_with_comma_quote_and_newline_reads_back() -> None:
    reason = 'denied, the shopper said "stop"\r\nsee ticket 12\nend'
    records = request_records(
        [
            case(
                "t-1",
                state=CaseState.CLOSED,
                closed_as="denied",
                reason=reason,
                ended_after_days=2.5,
                tasks=(
                    CaseTask(task_id="t-1", attempt=0, outcome="FAILED"),
                    CaseTask(task_id="t-2", attempt=1),
                ),
            ),
            case("t-9"),
        ],
        RECEIVED,
    )
    stream = io.StringIO(newline="")
    write_csv(records, stream)
    text = stream.getvalue()
    assert text.startswith("case_id,request_type,business_product_id,received_at,")
    # Every record ends with CRLF; the only bare LF is inside the quoted reason.
    assert text.endswith("\r\n")
    assert text.replace("\r\n", "").count("\n") == 1
    assert '"denied, the shopper said ""stop""\r\nsee ticket 12\nend"' in text

    rows = list(csv.DictReader(io.StringIO(text, newline=""), strict=True))
    assert len(rows) == 2
    denied, running = rows
    assert denied["denial_basis"] == reason
    assert denied["task_ids"] == "t-1 t-2"
    assert denied["received_at"] == "2026-03-01T12:00:00Z"
    assert denied["responded_at"] == "2026-03-04T00:00:00Z"
    assert denied["legal_due_at"] == "2026-04-15T12:00:00Z"
    assert (denied["response"], denied["extended"], denied["attempts"]) == ("denied", "false", "0")
    assert (running["response"], running["responded_at"], running["denial_basis"]) == (
        "open",
        "",
        "",
    )


def test_json_lines_hold_one_record_per_line() -> None:
    records = request_records(
        [case("t-1", state=CaseState.COMPLETED), case("t-2", received=RECEIVED + timedelta(1))],
        RECEIVED,
    )
    stream = io.StringIO()
    write_jsonl(records, stream)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["case_id"] == "t-1"
    assert first["response"] == "completed"
    assert first["received_at"] == "2026-03-01T12:00:00Z"
    assert first["task_ids"] == ["t-1"]
    assert json.loads(lines[1])["responded_at"] is None


# --- yearly figures ----------------------------------------------------------------------


def test_yearly_figures_count_by_type_with_median_and_mean_days_to_respond() -> None:
    year = [
        case("d1", state=CaseState.COMPLETED, ended_after_days=2),
        case("d2", state=CaseState.NOTHING_TO_DELETE, ended_after_days=4),
        case("d3", state=CaseState.CLOSED, closed_as="completed", ended_after_days=10),
        case(
            "d4",
            state=CaseState.CLOSED,
            closed_as="denied",
            denied_because="unverifiable",
            reason="b",
            ended_after_days=30,
        ),
        case(
            "d5",
            state=CaseState.CLOSED,
            closed_as="denied",
            denied_because="exempt",
            reason="a",
            ended_after_days=1,
        ),
        case("d6", state=CaseState.CLOSED, closed_as="denied", ended_after_days=1),
        case("d7", state=CaseState.CLOSED, reason="withdrawn", ended_after_days=90),
        case("d8", state=CaseState.ESCALATED),
        case("r1", kind="retrieval", state=CaseState.NOTHING_TO_RETRIEVE, ended_after_days=1.04),
    ]
    stats = yearly_stats(year, 2026)
    assert stats.year == 2026
    deletion = stats.by_kind["deletion"]
    assert (deletion.received, deletion.complied, deletion.denied) == (8, 3, 3)
    # By § 7102's grounds, every one present; d6, denied before they were recorded: other.
    assert deletion.denied_by_basis == {
        "unverifiable": 1,
        "not-a-consumer": 0,
        "exempt": 1,
        "other": 1,
    }
    assert deletion.denied_by_reason == {NO_REASON: 1, "a": 1, "b": 1}
    assert (deletion.cancelled, deletion.open) == (1, 1)
    # Answered: 2, 4, 10, 30, 1, 1 days (the cancelled 90 is no response).
    assert deletion.median_days_to_respond == 3
    assert deletion.mean_days_to_respond == 8
    retrieval = stats.by_kind["retrieval"]
    assert (retrieval.received, retrieval.complied) == (1, 1)
    # 1.04 days is 2 whole days: a published figure never reads faster than the answer was.
    assert retrieval.median_days_to_respond == retrieval.mean_days_to_respond == 2
    assert retrieval.denied_by_basis == dict.fromkeys(
        ("unverifiable", "not-a-consumer", "exempt", "other"), 0
    )


@pytest.mark.parametrize(
    ("days", "median", "mean"),
    [
        ([1], 1, 1),
        ([1, 2], 2, 2),  # median 1.5 and mean 1.5: both rounded up
        ([1, 1, 5], 1, 3),  # mean 2.33: rounded up
        ([3, 3, 3], 3, 3),  # exactly 3: not a day more for a float's error
        ([0.01, 0.5, 44.9], 1, 16),  # each request's days rounded up first: 1, 1, 45
    ],
)
def test_days_to_respond_are_whole_days_rounded_up(
    days: list[float], median: int, mean: int
) -> None:
    answered = [
        case(f"d{n}", state=CaseState.COMPLETED, ended_after_days=taken)
        for n, taken in enumerate(days)
    ]
    figures = yearly_stats(answered, 2026).by_kind["deletion"]
    assert (figures.median_days_to_respond, figures.mean_days_to_respond) == (median, mean)


def test_a_request_answered_at_once_took_no_day_and_an_open_one_has_none() -> None:
    assert whole_days_to_respond(case(state=CaseState.COMPLETED, ended_after_days=0)) == 0
    assert whole_days_to_respond(case(state=CaseState.COMPLETED, ended_after_days=45)) == 45
    assert whole_days_to_respond(case()) is None


def test_the_figures_rows_are_named_as_section_7102_names_them() -> None:
    figures = yearly_stats([case("d1", state=CaseState.COMPLETED, ended_after_days=2)], 2026)
    assert [metric for metric, _ in metric_rows(figures.by_kind["deletion"])] == [
        "received",
        "complied with in whole or in part",
        "denied",
        "denied: not verifiable",
        "denied: not made by a consumer",
        "denied: called for information exempt from disclosure",
        "denied: on other grounds",
        "median days to respond",
        "mean days to respond",
        "cancelled (withdrawn or a duplicate: no response)",
        "still open",
        "appeals received",
        "appeals granted (request then complied with)",
        "appeals denied (answer upheld)",
        "appeals withdrawn",
        "appeals still open",
    ]


def test_the_figures_csv_has_one_figure_a_row_and_no_cell_is_a_formula() -> None:
    figures = yearly_stats([case("d1", state=CaseState.COMPLETED, ended_after_days=2)], 2026)
    stream = io.StringIO(newline="")
    write_stats_csv(figures, stream)
    text = stream.getvalue()
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    assert rows[0] == ["year", "request_type", "metric", "value"]
    assert rows[1] == ["2026", "requests to delete", "received", "1"]
    assert ["2026", "requests to delete", "median days to respond", "2"] in rows
    # No request to know was answered: an empty value, never 0 days.
    assert ["2026", "requests to know", "median days to respond", ""] in rows
    assert len(rows) == 1 + 2 * 16
    assert text.count("\r\n") == len(rows)
    # The formula guard holds on this CSV too (a request type's name is ours today).
    hostile = YearStats(
        year=2026,
        by_kind={'=HYPERLINK("http://x")': figures.by_kind["deletion"]},
    )
    stream = io.StringIO(newline="")
    write_stats_csv(hostile, stream)
    cells = [row[1] for row in csv.reader(io.StringIO(stream.getvalue(), newline=""))][1:]
    assert set(cells) == {'\'=HYPERLINK("http://x")'}


def test_a_year_holds_the_requests_received_in_it_in_utc_and_both_types_always() -> None:
    new_year = datetime(2026, 1, 1, tzinfo=UTC)
    found = [
        case("last-of-2025", received=new_year - timedelta(microseconds=1)),
        case("first-of-2026", received=new_year),
        # 31 December 2026 23:30 in UTC-5 is 1 January 2027 in UTC.
        case(
            "2027-in-utc",
            received=datetime(2026, 12, 31, 23, 30, tzinfo=UTC) + timedelta(hours=5),
        ),
        # Received in 2025, answered in 2026: counted in 2025.
        case(
            "answered-next-year",
            received=new_year - timedelta(days=3),
            ended_after_days=5,
            state=CaseState.COMPLETED,
        ),
    ]
    assert yearly_stats(found, 2026).by_kind["deletion"].received == 1
    assert yearly_stats(found, 2027).by_kind["deletion"].received == 1
    in_2025 = yearly_stats(found, 2025).by_kind["deletion"]
    assert (in_2025.received, in_2025.complied, in_2025.median_days_to_respond) == (2, 1, 5)
    empty = yearly_stats(found, 2024)
    assert set(empty.by_kind) == {"deletion", "retrieval"}
    assert empty.by_kind["retrieval"].received == 0
    assert empty.by_kind["retrieval"].median_days_to_respond is None
