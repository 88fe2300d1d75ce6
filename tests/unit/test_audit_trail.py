"""The audit trail's pure parts and its writer, with a fake DynamoDB client (the seam): a
case's transitions become entries with stable ids, retention counts from the case's end (or
its latest lawful end), and a write is refused loudly unless the entry exists already.

And the operator's legal moves that land in it: an extension (once per jurisdiction, before
that deadline passes) and a close that says how the request was answered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bwp_privacy.audit import AuditEntry, AuditTrail, AuditWriteFailed
from bwp_privacy.cases import CaseState
from bwp_privacy.reaction import (
    CannotExtend,
    close_by_operator,
    extend,
    open_case,
    retention_start,
    set_received,
    transition_entries,
)
from tests.unit.test_reaction_cases import ACTOR, FAILED_AT, SUBMITTED, config, decided, failed


class FakeDynamoDb:
    """Answers BatchExecuteStatement as DynamoDB does: per statement, an error or not."""

    def __init__(self, errors: dict[int, str] | None = None) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self._errors = errors or {}
        self._seen = 0

    def batch_execute_statement(self, Statements: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(Statements)
        responses = []
        for _ in Statements:
            code = self._errors.get(self._seen)
            self._seen += 1
            responses.append({"Error": {"Code": code, "Message": code}} if code else {})
        return {"Responses": responses}


def entry(n: int) -> AuditEntry:
    at = datetime(2026, 11, 2, 10, tzinfo=UTC) + timedelta(minutes=n)
    return AuditEntry.new(
        "case:c-1",
        at=at,
        actor="ops",
        action="cases close",
        input_="--reason x",
        outcome="done",
        retention_days=730,
    )


def test_entries_are_written_25_per_call_with_every_field_as_a_parameter() -> None:
    client = FakeDynamoDb()
    AuditTrail(client, "audit").append([entry(n) for n in range(30)])
    assert [len(call) for call in client.calls] == [25, 5]
    statement = client.calls[0][0]
    assert statement["Statement"].startswith('INSERT INTO "audit" VALUE {')
    assert statement["Statement"].count("?") == len(statement["Parameters"]) == 10
    assert statement["Parameters"][0] == {"S": "case:c-1"}


def test_an_entry_written_before_is_left_alone_and_any_other_refusal_fails_the_write() -> None:
    AuditTrail(FakeDynamoDb({0: "DuplicateItem"}), "audit").append([entry(0), entry(1)])
    with pytest.raises(AuditWriteFailed, match="1 audit entry not written: case:c-1"):
        AuditTrail(FakeDynamoDb({1: "ProvisionedThroughputExceeded"}), "audit").append(
            [entry(0), entry(1), entry(2)]
        )


def test_an_entry_is_kept_retention_days_after_it_is_written_unless_told_later() -> None:
    plain = entry(0)
    assert plain.expires_at - plain.at == timedelta(days=730)
    later = AuditEntry.new(
        "export",
        at=plain.at,
        actor="ops",
        action="cases export",
        input_="",
        outcome="done",
        retention_days=730,
        keep_from=plain.at + timedelta(days=90),
    )
    assert later.expires_at == plain.at + timedelta(days=820)


def test_a_cases_transitions_are_entries_with_stable_ids_kept_from_its_latest_lawful_end() -> None:
    case = open_case(failed(), config(), FAILED_AT, ACTOR).case
    entries = transition_entries(case, 0, 730)
    assert [e.entry_id for e in entries] == ["t00000"]
    assert entries[0].subject == f"case:{case.case_id}"
    assert entries[0].outcome == "WAITING"
    assert entries[0].input == "event event-1"
    # Open: from the last extended deadline (the latest it may lawfully end) ...
    assert retention_start(case) == max(d.latest_due_at for d in case.deadlines)
    assert entries[0].expires_at == retention_start(case) + timedelta(days=730)
    closed = decided(close_by_operator(case, "withdrawn", FAILED_AT, "ops", "cancelled")).case
    # ... ended: from its end. The first entry is the same entry (same id), the new one next.
    assert retention_start(closed) == FAILED_AT
    again = transition_entries(closed, 0, 730)
    assert [e.entry_id for e in again] == ["t00000", "t00001"]
    assert again[1].actor == "ops"
    assert again[1].detail["reason"] == "withdrawn"


def test_an_extension_moves_one_jurisdictions_deadline_once_and_only_before_it_passes() -> None:
    rules = config()
    case = open_case(failed(), rules, FAILED_AT, ACTOR).case
    ccpa = next(d for d in case.deadlines if d.jurisdiction == "ccpa")
    extended = extend(case, "ccpa", "shopper has open returns", rules, FAILED_AT, "ops").case
    moved = next(d for d in extended.deadlines if d.jurisdiction == "ccpa")
    assert moved.extended_at == FAILED_AT
    assert moved.effective_due_at == ccpa.extended_due_at == ccpa.due_at + timedelta(days=45)
    assert extended.transitions[-1].reason.startswith("ccpa deadline extended to ")
    assert extended.transitions[-1].cause.ref == "cases extend --jurisdiction ccpa"
    assert extended.state is CaseState.WAITING
    with pytest.raises(CannotExtend, match="the law allows one extension"):
        extend(extended, "ccpa", "again", rules, FAILED_AT, "ops")
    with pytest.raises(CannotExtend, match="passed on"):
        extend(case, "ccpa", "late", rules, ccpa.due_at + timedelta(seconds=1), "ops")
    with pytest.raises(CannotExtend, match="no quebec deadline"):
        extend(case, "quebec", "x", rules, FAILED_AT, "ops")
    # A corrected receipt keeps the extension taken.
    later = SUBMITTED + timedelta(days=2)
    corrected = decided(set_received(extended, later, "late form", rules, FAILED_AT, "ops")).case
    kept = next(d for d in corrected.deadlines if d.jurisdiction == "ccpa")
    assert kept.extended_at == FAILED_AT
    assert kept.effective_due_at == moved.effective_due_at + timedelta(days=2)


def test_an_operator_close_says_how_the_request_was_answered() -> None:
    case = open_case(failed(), config(), FAILED_AT, ACTOR).case
    denied = decided(
        close_by_operator(case, "identity not verified", FAILED_AT, "ops", "denied", "unverifiable")
    )
    assert (denied.case.closed_as, denied.case.denied_because) == ("denied", "unverifiable")
    assert denied.case.transitions[-1].cause.ref == (
        "cases close --as denied --denied-because unverifiable"
    )
    answered = decided(
        close_by_operator(case, "via merchant support", FAILED_AT, "ops", "completed")
    )
    assert (answered.case.closed_as, answered.case.denied_because) == ("completed", None)
    # A denial carries its ground, and only a denial does.
    with pytest.raises(ValueError, match="only with one"):
        close_by_operator(case, "x", FAILED_AT, "ops", "denied")
    with pytest.raises(ValueError, match="only with one"):
        close_by_operator(case, "x", FAILED_AT, "ops", "cancelled", "exempt")
