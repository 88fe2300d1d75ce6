"""The laws that bind each business product (the playbooks' ``applies`` and ``jurisdictions``):
the earliest deadline governing, a law without an extension, a stored deadline, the playbooks
file's errors. The shipped table itself and the clocks' arithmetic are test_case_clock's. Pure:
no AWS, an explicit clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bwp_privacy.cases import Case, Deadline, Period, shipped_jurisdictions
from bwp_privacy.reaction import (
    CannotExtend,
    PlaybooksConfig,
    PlaybooksError,
    TaskFailed,
    extend,
    load_playbooks,
    open_case,
)

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_PLAYBOOKS = ROOT / "functions" / "reaction" / "playbooks.json"
RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FAILED_AT = RECEIVED + timedelta(days=10)


def shipped_playbooks() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(SHIPPED_PLAYBOOKS.read_text())
    return raw


def config(**changes: Any) -> PlaybooksConfig:
    raw = shipped_playbooks()
    raw.update(changes)
    return load_playbooks(json.dumps(raw), "playbooks.json")


def failed(product: str = "bp-us", kind: str = "deletion") -> TaskFailed:
    return TaskFailed(
        task_id="task-1",
        business_product_id=product,
        codes=("ORDERS_NOT_CLOSED",),
        lookup_ok=True,
        submitted_at=RECEIVED,
        event_id="event-1",
        event_time=FAILED_AT,
        kind="retrieval" if kind == "retrieval" else "deletion",
    )


# ---- which laws bind a case -------------------------------------------------------------


def test_applies_per_business_product_with_a_default_for_the_others() -> None:
    rules = config(applies={"default": ["ccpa"], "bp-eu": ["gdpr", "ccpa"]})
    assert list(rules.applying("bp-us")) == ["ccpa"]
    assert list(rules.applying("bp-eu")) == ["gdpr", "ccpa"]
    us = open_case(failed("bp-us"), rules, FAILED_AT, "reaction").case
    eu = open_case(failed("bp-eu"), rules, FAILED_AT, "reaction").case
    assert [d.jurisdiction for d in us.deadlines] == ["ccpa"]
    assert [d.jurisdiction for d in eu.deadlines] == ["gdpr", "ccpa"]


def test_the_list_form_binds_every_business_product() -> None:
    rules = config(applies=["ccpa", "iowa"])
    assert list(rules.applying("any-product")) == ["ccpa", "iowa"]


def test_every_deadline_is_kept_and_the_earliest_governs() -> None:
    rules = config(applies={"default": ["iowa", "gdpr", "ccpa"]})
    case = open_case(failed(), rules, FAILED_AT, "reaction").case
    assert [(d.jurisdiction, d.due_at) for d in case.deadlines] == [
        ("gdpr", datetime(2026, 4, 1, 12, tzinfo=UTC)),
        ("ccpa", RECEIVED + timedelta(days=45)),
        ("iowa", RECEIVED + timedelta(days=90)),
    ]
    assert case.legal_due_at == datetime(2026, 4, 1, 12, tzinfo=UTC)
    # Planned within the earliest extended deadline: CCPA's 45 + 45 days (30 May) comes before
    # GDPR's 1 + 2 months (1 June), though GDPR's first deadline is the earliest.
    assert case.plan_deadline_at == RECEIVED + timedelta(days=90)


def test_a_law_sets_its_deadline_only_for_the_kinds_it_has_a_period_for() -> None:
    rules = config(applies=["ccpa", "lgpd"])
    deletion = open_case(failed(kind="deletion"), rules, FAILED_AT, "reaction").case
    access = open_case(failed(kind="retrieval"), rules, FAILED_AT, "reaction").case
    assert [d.jurisdiction for d in deletion.deadlines] == ["ccpa"]
    assert [(d.jurisdiction, d.due_at, d.extended_due_at) for d in access.deadlines] == [
        ("lgpd", RECEIVED + timedelta(days=15), None),
        ("ccpa", RECEIVED + timedelta(days=45), RECEIVED + timedelta(days=90)),
    ]
    # A deadline without an extension plans as it is: the LGPD's 15 days govern.
    assert access.plan_deadline_at == RECEIVED + timedelta(days=15)
    assert access.legal_due_at == RECEIVED + timedelta(days=15)


def test_a_law_without_an_extension_refuses_one_in_one_line() -> None:
    rules = config(applies=["ccpa", "lgpd"])
    case = open_case(failed(kind="retrieval"), rules, FAILED_AT, "reaction").case
    with pytest.raises(CannotExtend) as refused:
        extend(case, "lgpd", "identity check", rules, FAILED_AT, "operator")
    assert str(refused.value) == "case task-1: the Brazil LGPD allows no extension"
    extended = extend(case, "ccpa", "identity check", rules, FAILED_AT, "operator").case
    assert extended.legal_due_at == RECEIVED + timedelta(days=15)


def test_an_extension_of_an_unknown_law_or_one_that_does_not_bind_says_which() -> None:
    rules = config(applies=["ccpa"])
    case = open_case(failed(), rules, FAILED_AT, "reaction").case
    with pytest.raises(CannotExtend) as unknown:
        extend(case, "narnia", "why", rules, FAILED_AT, "operator")
    assert str(unknown.value) == (
        "no law has the key narnia (docs/compliance.md lists them); case task-1 has its deadlines"
        " under: ccpa"
    )
    with pytest.raises(CannotExtend) as unbound:
        extend(case, "virginia", "why", rules, FAILED_AT, "operator")
    assert str(unbound.value) == (
        "case task-1 has no virginia deadline: that law does not bind it (its deadlines: ccpa)"
    )


def test_a_file_entry_adds_a_law_or_replaces_a_shipped_one_whole() -> None:
    rules = config(
        jurisdictions={
            "ccpa": {"title": "CCPA (stricter house rule)", "answer_within": {"days": 30}},
            "house": {"title": "House rule", "answer_within": {"days": 20}},
        },
        applies={"default": ["ccpa"], "bp-x": ["house", "gdpr"]},
    )
    ccpa = rules.table()["ccpa"]
    assert (ccpa.answer_within, ccpa.extension, ccpa.records_kept) == (Period(days=30), None, None)
    assert rules.table()["gdpr"] == shipped_jurisdictions()["gdpr"]
    case = open_case(failed(), rules, FAILED_AT, "reaction").case
    assert [(d.due_at, d.extended_due_at) for d in case.deadlines] == [
        (RECEIVED + timedelta(days=30), None)
    ]


# ---- stored cases -----------------------------------------------------------------------


def test_a_stored_deadline_loads_with_or_without_an_extended_date() -> None:
    old = Deadline.model_validate(
        {
            "jurisdiction": "ccpa",
            "due_at": "2026-04-15T12:00:00Z",
            "extended_due_at": "2026-05-30T12:00:00Z",
            "extended_at": "2026-04-01T00:00:00Z",
        }
    )
    assert old.effective_due_at == datetime(2026, 5, 30, 12, tzinfo=UTC)
    none = Deadline.model_validate({"jurisdiction": "lgpd", "due_at": "2026-03-16T12:00:00Z"})
    assert none.extended_due_at is None
    assert none.effective_due_at == none.latest_due_at == datetime(2026, 3, 16, 12, tzinfo=UTC)
    case = open_case(failed(), config(), FAILED_AT, "reaction").case
    assert Case.model_validate(case.to_json_dict()) == case


# ---- the playbooks file's errors --------------------------------------------------------


def broken(**changes: Any) -> str:
    with pytest.raises(PlaybooksError) as invalid:
        config(**changes)
    return str(invalid.value)


def test_an_unknown_law_for_one_product_is_named_by_its_key() -> None:
    said = broken(applies={"default": ["ccpa"], "bp-eu": ["gdpr", "eu-gdpr"]})
    assert said == (
        "playbooks.json: applies.bp-eu: eu-gdpr: no such jurisdiction (neither shipped nor in "
        "this file's jurisdictions)"
    )


def test_an_applies_set_without_a_deadline_for_a_kind_is_refused() -> None:
    said = broken(applies={"default": ["ccpa"], "bp-br": ["lgpd"]})
    assert said == (
        "playbooks.json: applies.bp-br: lgpd give no deletion deadline: add a law that sets one"
    )
    assert "playbooks.json: applies: lgpd give no deletion deadline" in broken(applies=["lgpd"])


def test_applies_per_product_needs_a_default() -> None:
    assert broken(applies={"bp-eu": ["gdpr"]}).startswith(
        "playbooks.json: applies: needs a 'default' list"
    )


def test_a_file_entry_is_validated_where_it_stands() -> None:
    said = broken(jurisdictions={"house": {"title": "House rule", "extension": {"days": 5}}})
    assert said.startswith("playbooks.json: jurisdictions.house: ")
    assert "answer_within" in said


def test_the_shipped_playbooks_rely_on_the_shipped_table() -> None:
    raw = shipped_playbooks()
    assert "jurisdictions" not in raw
    assert raw["applies"] == ["ccpa"]
    assert config().applying("bp-1") == {"ccpa": shipped_jurisdictions()["ccpa"]}
