"""Appeals (issue 25): a shopper appeals how their request was answered; the case opens again
against the appeal deadlines of the laws that apply and give one, an operator answers it with
`close`, and the request's record keeps its first answer beside the appeal's."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bwp_privacy.cases import Case, CaseState
from bwp_privacy.compliance import (
    Response,
    appeal_response_of,
    request_record,
    response_of,
    yearly_stats,
)
from bwp_privacy.reaction import (
    CannotAppeal,
    CannotExtend,
    CannotSetReceived,
    PlaybooksConfig,
    TaskCompleted,
    TaskFailed,
    close_by_operator,
    extend,
    load_playbooks,
    on_completed,
    open_appeal,
    open_case,
    retention_start,
    set_received,
)

SHIPPED = Path(__file__).resolve().parents[2] / "functions" / "reaction" / "playbooks.json"
RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DENIED_AT = RECEIVED + timedelta(days=20)
APPEALED_AT = DENIED_AT + timedelta(days=10)  # 2026-03-31T12:00Z
NOW = APPEALED_AT + timedelta(hours=2)


def config(applies: Any) -> PlaybooksConfig:
    raw: dict[str, Any] = json.loads(SHIPPED.read_text())
    raw["applies"] = applies
    return load_playbooks(json.dumps(raw), "playbooks.json")


#: A storefront that answers to California, Virginia and Colorado; CCPA gives no appeal.
US = config({"default": ["ccpa"], "bp-us": ["ccpa", "virginia", "colorado"]})


def denied(business_product: str = "bp-us") -> Case:
    """A deletion request received 1 Mar 2026 and denied 20 days later."""
    failure = TaskFailed(
        task_id="task-1",
        business_product_id=business_product,
        codes=("SOMETHING_ELSE",),
        lookup_ok=True,
        submitted_at=RECEIVED,
        event_id="event-1",
        event_time=RECEIVED + timedelta(days=1),
    )
    case = open_case(failure, US, RECEIVED + timedelta(days=1), "reaction").case
    closed = close_by_operator(
        case, "identity not verified", DENIED_AT, "ops", "denied", "unverifiable"
    )
    assert closed is not None
    return closed.case


def appealed() -> Case:
    return open_appeal(denied(), APPEALED_AT, "I sent my ID", US, NOW, "ops").case


def test_an_appeal_opens_the_case_against_each_appeal_law_counted_from_its_receipt() -> None:
    case = appealed()
    assert case.state is CaseState.APPEALED
    appeal = case.appeals[0]
    # Hand-counted from 31 Mar 2026 12:00 UTC: Colorado 45 days (extension 60), Virginia 60
    # days (no extension); California gives no appeal.
    assert [
        (d.jurisdiction, d.due_at.isoformat(), d.extended_due_at and d.extended_due_at.isoformat())
        for d in appeal.deadlines
    ] == [
        ("colorado", "2026-05-15T12:00:00+00:00", "2026-07-14T12:00:00+00:00"),
        ("virginia", "2026-05-30T12:00:00+00:00", None),
    ]
    # The earliest governs: the case now runs against the appeal's clock, not the request's.
    assert case.legal_due_at == datetime(2026, 5, 15, 12, tzinfo=UTC)
    assert (case.ended_at, case.closed_as, case.denied_because) == (None, None, None)
    assert case.transitions[-1].cause.ref == "cases appeal"
    assert case.reason is not None
    assert case.reason.endswith(": I sent my ID")
    # The answer appealed against is kept: the request's record still reads it.
    assert appeal.appealed.closed_as == "denied"
    assert appeal.appealed.ended_at == DENIED_AT
    assert response_of(case) is Response.DENIED
    record = request_record(case)
    assert (record.response, record.denial_category, record.responded_at) == (
        Response.DENIED,
        "unverifiable",
        DENIED_AT,
    )
    assert (record.appeal_received_at, record.appeal_due_at, record.appeal_response) == (
        APPEALED_AT,
        datetime(2026, 5, 15, 12, tzinfo=UTC),
        Response.OPEN,
    )


def test_closing_an_appealed_case_answers_the_appeal_and_keeps_the_first_answer() -> None:
    answered_at = NOW + timedelta(days=5)
    decision = close_by_operator(
        appealed(), "identity verified on appeal; data deleted", answered_at, "ops", "completed"
    )
    assert decision is not None
    case = decision.case
    assert case.state is CaseState.CLOSED
    assert case.closed_as == "completed"
    appeal = case.appeals[0]
    assert (appeal.answered_at, appeal.answered_as) == (answered_at, "completed")
    assert appeal_response_of(appeal) is Response.COMPLETED
    assert response_of(case) is Response.DENIED  # the request's own answer stands in the log
    figures = yearly_stats([case], 2026).by_kind["deletion"]
    assert (figures.denied, figures.appeals_received, figures.appeals_granted) == (1, 1, 1)
    assert figures.median_days_to_respond == 20  # to the first answer, not the appeal's
    # The laws give one appeal per request.
    with pytest.raises(CannotAppeal, match="one appeal per request"):
        open_appeal(case, answered_at, "again", US, answered_at, "ops")


def test_an_appeal_deadline_is_extended_where_its_law_allows_it_once() -> None:
    case = extend(appealed(), "colorado", "complex appeal", US, NOW, "ops").case
    colorado = case.appeals[0].deadlines[0]
    assert colorado.extended_at == NOW
    # Colorado: 45 + 60 days; Virginia's 60 days now come first.
    assert case.legal_due_at == datetime(2026, 5, 30, 12, tzinfo=UTC)
    assert case.transitions[-1].reason.startswith(
        "colorado appeal deadline extended to 2026-07-14T12:00:00Z"
    )
    with pytest.raises(CannotExtend, match="allows no extension of an appeal's answer"):
        extend(case, "virginia", "more time", US, NOW, "ops")
    with pytest.raises(CannotExtend, match="appeal deadline was extended on"):
        extend(case, "colorado", "more time", US, NOW, "ops")


@pytest.mark.parametrize(
    ("case", "received", "why"),
    [
        (None, APPEALED_AT, "an appeal is of an answer"),
        ("ccpa-only", APPEALED_AT, "no law that applies to it (ccpa) gives an appeal"),
        ("denied", DENIED_AT - timedelta(days=1), "must lie between the answer"),
        ("denied", NOW + timedelta(days=1), "must lie between the answer"),
    ],
)
def test_an_appeal_is_refused_in_one_line_where_none_can_be(
    case: str | None, received: datetime, why: str
) -> None:
    if case is None:
        subject = denied().model_copy(update={"state": CaseState.WAITING, "ended_at": None})
    else:
        subject = denied("bp-other" if case == "ccpa-only" else "bp-us")
    with pytest.raises(CannotAppeal, match=re.escape(why)) as refused:
        open_appeal(subject, received, "why", US, NOW, "ops")
    assert "\n" not in str(refused.value)


def test_a_task_completing_during_an_appeal_leaves_the_answer_to_a_person() -> None:
    done = TaskCompleted(task_id="task-1", event_id="event-late")
    decision = on_completed(appealed(), done, NOW, "reaction")
    assert decision is not None
    assert decision.case.state is CaseState.APPEALED
    assert decision.case.current_task.outcome == "COMPLETED"
    assert decision.effects == ()


def test_an_appeal_answers_to_the_laws_that_bound_the_request_not_to_later_ones() -> None:
    # Received 20 Dec 2025 in a store bound by California and Indiana: Indiana's law (and its
    # appeal) starts 1 Jan 2026, so it never bound this request, however late the appeal.
    rules = config(["ccpa", "indiana"])
    received = datetime(2025, 12, 20, 12, tzinfo=UTC)
    failure = TaskFailed(
        task_id="task-2",
        business_product_id="bp-in",
        codes=("SOMETHING_ELSE",),
        lookup_ok=True,
        submitted_at=received,
        event_id="event-2",
        event_time=received,
    )
    case = open_case(failure, rules, received, "reaction").case
    assert [d.jurisdiction for d in case.deadlines] == ["ccpa"]
    answered = datetime(2026, 1, 5, tzinfo=UTC)
    closed = close_by_operator(case, "identity not verified", answered, "ops", "denied", "other")
    assert closed is not None
    appeal_at = datetime(2026, 1, 10, tzinfo=UTC)
    with pytest.raises(CannotAppeal, match=re.escape("no law that applies to it (ccpa)")):
        open_appeal(closed.case, appeal_at, "why", rules, appeal_at, "ops")


def test_an_appeal_dated_the_answers_day_without_its_hour_counts_from_the_answer() -> None:
    # `--received 2026-03-21` (midnight) for an answer given at noon that day.
    midnight = DENIED_AT.replace(hour=0)
    case = open_appeal(denied(), midnight, "by post", US, NOW, "ops").case
    assert case.appeals[0].received_at == DENIED_AT
    assert case.appeals[0].deadlines[0].due_at == DENIED_AT + timedelta(days=45)
    assert "(on the answer's day: counted from the answer)" in (case.reason or "")


def test_an_appealed_request_keeps_its_received_date_and_a_second_appeal_says_one_is_open() -> None:
    case = appealed()
    with pytest.raises(CannotSetReceived, match="is under appeal: its received date stays"):
        set_received(case, RECEIVED - timedelta(days=3), "typo", US, NOW, "ops")
    with pytest.raises(CannotAppeal, match=re.escape("is open; answer it (`cases close`)")):
        open_appeal(case, NOW, "again", US, NOW, "ops")


def test_an_open_appeals_audit_entries_are_kept_from_its_latest_deadline() -> None:
    case = appealed()
    # Colorado's appeal deadline extended (2026-07-14) is the latest the case may run: its
    # entries count their retention from then, not from the request's long-past deadlines.
    assert retention_start(case) == datetime(2026, 7, 14, 12, tzinfo=UTC)
