"""The legal clocks as data: the shipped table of laws (every row of the reference table, with
its figures and which were read in the statute), calendar months, the laws that bind each
business product, the earliest deadline governing, a law without an extension, the playbooks
file's errors, and README's table of the same laws. Pure: no AWS, an explicit clock."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from bwp_privacy.cases import Case, Deadline, Jurisdiction, Period, deadlines, shipped_jurisdictions
from bwp_privacy.common import parse_iso
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

# The reference table, written out by hand (not read from the JSON): key -> (answer within,
# access answer within, extension, notice of it before the first period ends, appeal within,
# appeal extension, records kept, the figures inferred rather than read in the statute). "45d"
# is 45 days, "1m" one calendar month, None: absent.
VA_MODEL = ("extension", "extension_notice_before_due", "appeal_within", "appeal_extension")
EXPECTED: dict[str, tuple[Any, ...]] = {
    "ccpa": ("45d", None, "45d", True, None, None, "24m", ()),
    "virginia": (
        "45d",
        None,
        "45d",
        True,
        "60d",
        None,
        None,
        ("extension", "extension_notice_before_due", "appeal_extension"),
    ),
    "colorado": ("45d", None, "45d", True, "45d", "60d", "24m", ("extension_notice_before_due",)),
    "connecticut": (
        "45d",
        None,
        "45d",
        True,
        "60d",
        None,
        None,
        ("extension", "extension_notice_before_due", "appeal_extension"),
    ),
    "utah": ("45d", None, "45d", True, None, None, None, ()),
    "texas": ("45d", None, "45d", True, "60d", None, None, VA_MODEL),
    "oregon": ("45d", None, "45d", True, "60d", None, None, VA_MODEL),
    "montana": ("45d", None, "45d", True, "60d", None, None, VA_MODEL),
    "delaware": ("45d", None, "45d", True, "60d", None, None, VA_MODEL),
    "nebraska": ("45d", None, "45d", True, "60d", None, None, VA_MODEL),
    "new-hampshire": ("45d", None, "45d", True, "60d", None, None, VA_MODEL),
    "new-jersey": ("45d", None, "45d", True, "60d", None, None, VA_MODEL[1:]),
    "iowa": ("90d", None, "45d", True, "60d", None, None, VA_MODEL[1:]),
    "tennessee": ("45d", None, "45d", True, "60d", None, None, VA_MODEL),
    "minnesota": ("45d", None, "45d", True, "60d", None, None, VA_MODEL),
    "maryland": ("45d", None, "45d", True, "60d", None, None, VA_MODEL),
    "indiana": ("45d", None, "45d", True, "60d", None, None, VA_MODEL),
    "kentucky": ("45d", None, "45d", True, "60d", None, None, VA_MODEL),
    "rhode-island": ("45d", None, "45d", True, "60d", None, None, VA_MODEL),
    "gdpr": ("1m", None, "2m", True, None, None, None, ()),
    "uk-gdpr": ("1m", None, "2m", True, None, None, None, ()),
    "pipeda": ("30d", None, "30d", True, None, None, None, ("extension_notice_before_due",)),
    "quebec": ("30d", None, None, False, None, None, None, ("extension",)),
    "lgpd": (None, "15d", None, False, None, None, None, ()),
}
TITLES = {
    "ccpa": "California CCPA/CPRA",
    "virginia": "Virginia VCDPA",
    "colorado": "Colorado CPA",
    "connecticut": "Connecticut CTDPA",
    "utah": "Utah UCPA",
    "texas": "Texas TDPSA",
    "oregon": "Oregon OCPA",
    "montana": "Montana MCDPA",
    "iowa": "Iowa ICDPA",
    "gdpr": "EU GDPR",
    "uk-gdpr": "UK GDPR",
    "pipeda": "Canada PIPEDA",
    "quebec": "Quebec Law 25",
    "lgpd": "Brazil LGPD",
}
IN_FORCE = {"utah": "2023-12-31", "new-jersey": "2025-01-15", "minnesota": "2025-07-31"}


def period(text: str | None) -> Period | None:
    if text is None:
        return None
    unit = "days" if text.endswith("d") else "months"
    return Period.model_validate({unit: int(text[:-1])})


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


# ---- the shipped table ------------------------------------------------------------------


def test_every_law_of_the_reference_table_ships_with_its_figures() -> None:
    table = shipped_jurisdictions()
    assert list(table) == list(EXPECTED)
    for key, (
        answer,
        access,
        ext,
        notice,
        appeal,
        appeal_ext,
        records,
        inferred,
    ) in EXPECTED.items():
        law = table[key]
        found = (
            law.answer_within,
            law.access_answer_within,
            law.extension,
            law.extension_notice_before_due,
            law.appeal_within,
            law.appeal_extension,
            law.records_kept,
            law.inferred,
        )
        wanted = (
            period(answer),
            period(access),
            period(ext),
            notice,
            period(appeal),
            period(appeal_ext),
            period(records),
            inferred,
        )
        assert found == wanted, key
        assert law.title == TITLES.get(key, law.title), key
        assert law.citation, key
        assert law.source, key
        assert law.in_force is not None, key
        if key in IN_FORCE:
            assert law.in_force.isoformat() == IN_FORCE[key]


def test_only_the_rows_the_reference_marks_as_read_in_the_statute_are_checked() -> None:
    checked = [key for key, law in shipped_jurisdictions().items() if law.checked]
    assert checked == ["ccpa", "utah", "gdpr", "uk-gdpr", "lgpd"]


def test_the_notes_keep_what_the_reference_says_beside_the_figures() -> None:
    table = shipped_jurisdictions()
    assert any("10 business days" in note for note in table["ccpa"].notes)
    assert any("10 business days" in note for note in table["new-jersey"].notes)
    assert any("pauses the clock" in note for note in table["uk-gdpr"].notes)
    for key in ("pipeda", "quebec"):
        assert any("counts as a refusal" in note for note in table[key].notes), key
    assert any("No fixed deletion deadline" in note for note in table["lgpd"].notes)


def test_the_table_is_a_data_file_of_the_package_the_layer_and_the_wheel_ship() -> None:
    shipped = files("bwp_privacy.cases") / "jurisdictions.json"
    assert shipped.is_file()
    # The layer copies the package folder whole (shared/Makefile); the wheel takes every file
    # of its packages that git does not ignore (hatch), so a JSON beside the modules ships.
    assert (
        'cp -R bwp_privacy "$(ARTIFACTS_DIR)/python/"' in (ROOT / "shared" / "Makefile").read_text()
    )
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]
    assert "shared/bwp_privacy" in wheel["targets"]["wheel"]["packages"]
    assert "only-include" not in wheel["targets"]["wheel"]
    assert not re.search(r"^\*?\.json$|jurisdictions", (ROOT / ".gitignore").read_text(), re.M)


# ---- calendar months --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (datetime(2026, 1, 31, 9, tzinfo=UTC), 1, datetime(2026, 2, 28, 9, tzinfo=UTC)),
        (datetime(2028, 1, 31, 9, tzinfo=UTC), 1, datetime(2028, 2, 29, 9, tzinfo=UTC)),
        (datetime(2026, 3, 31, 9, tzinfo=UTC), 2, datetime(2026, 5, 31, 9, tzinfo=UTC)),
        (datetime(2026, 11, 30, 9, tzinfo=UTC), 1, datetime(2026, 12, 30, 9, tzinfo=UTC)),
        (datetime(2026, 12, 31, 9, tzinfo=UTC), 1, datetime(2027, 1, 31, 9, tzinfo=UTC)),
        (datetime(2026, 11, 30, 9, tzinfo=UTC), 3, datetime(2027, 2, 28, 9, tzinfo=UTC)),
    ],
)
def test_a_month_ends_on_the_same_day_or_the_shorter_months_last_day(
    start: datetime, months: int, end: datetime
) -> None:
    assert Period(months=months).after(start) == end


def test_the_gdpr_deadline_of_a_request_received_on_31_january_is_28_february() -> None:
    gdpr = shipped_jurisdictions()["gdpr"]
    [found] = deadlines(datetime(2026, 1, 31, tzinfo=UTC), {"gdpr": gdpr}, "deletion")
    assert found.due_at == datetime(2026, 2, 28, tzinfo=UTC)
    assert found.extended_due_at == datetime(2026, 4, 28, tzinfo=UTC)


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
        "no law has the key narnia (README's table lists them); case task-1 has its deadlines"
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


# ---- README -----------------------------------------------------------------------------


def _span(law: Period | None) -> str:
    return str(law) if law is not None else "none"


def readme_row(key: str, law: Jurisdiction) -> list[str]:
    """The cells README's table holds for ``law``, from the data."""
    answer = _span(law.answer_within)
    if law.access_answer_within is not None:
        answer = f"{answer} (deletion); {law.access_answer_within} (access)"
    extension = _span(law.extension)
    if law.extension is not None and law.extension_notice_before_due:
        extension += ", notice before the first period ends"
    appeal = _span(law.appeal_within)
    if law.appeal_extension is not None:
        appeal += f" (+{law.appeal_extension})"
    figures = "checked" if law.checked else "inferred*: " + ", ".join(law.inferred)
    return [
        f"`{key}`",
        law.title,
        answer,
        extension,
        appeal,
        str(law.records_kept) if law.records_kept is not None else "—",
        law.citation or "",
        figures,
    ]


def readme_rows() -> dict[str, list[str]]:
    text = (ROOT / "README.md").read_text()
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 8:
            rows[cells[0].strip("`")] = cells
    return rows


def test_readme_lists_every_shipped_law_with_the_figures_the_data_holds() -> None:
    rows = readme_rows()
    table = shipped_jurisdictions()
    assert list(rows) == list(table)
    for key, law in table.items():
        assert rows[key] == readme_row(key, law), key


def test_a_law_binds_the_requests_received_once_it_is_in_force() -> None:
    table = shipped_jurisdictions()
    laws = {name: table[name] for name in ("ccpa", "indiana")}  # Indiana: 1 Jan 2026
    before = deadlines(datetime(2025, 12, 31, 23, 0, tzinfo=UTC), laws, "deletion")
    assert [d.jurisdiction for d in before] == ["ccpa"]
    after = deadlines(datetime(2026, 1, 1, 0, 0, tzinfo=UTC), laws, "deletion")
    assert [d.jurisdiction for d in after] == ["ccpa", "indiana"]
    # A merchant naming only laws that came later still gets a clock: theirs, stricter.
    alone = deadlines(datetime(2025, 6, 1, tzinfo=UTC), {"indiana": table["indiana"]}, "deletion")
    assert [(d.jurisdiction, d.due_at.date().isoformat()) for d in alone] == [
        ("indiana", "2025-07-16")
    ]


def test_a_received_time_with_an_offset_counts_in_utc() -> None:
    # 23:30 in New York on New Year's Eve is already 1 January in UTC.
    assert parse_iso("2025-12-31T23:30:00-05:00") == datetime(2026, 1, 1, 4, 30, tzinfo=UTC)
    assert parse_iso("0001-01-01T00:30:00+01:00") is None  # before UTC's calendar begins


def test_laws_in_force_that_set_no_deadline_for_the_kind_leave_the_others_counting() -> None:
    # A Brazilian and Indiana storefront, a deletion in 2025: only LGPD was in force, and it
    # sets no deletion deadline. The case still gets one (Indiana's): never none.
    table = shipped_jurisdictions()
    laws = {name: table[name] for name in ("lgpd", "indiana")}
    found = deadlines(datetime(2025, 6, 1, tzinfo=UTC), laws, "deletion")
    assert [(d.jurisdiction, d.due_at.date().isoformat()) for d in found] == [
        ("indiana", "2025-07-16")
    ]
    # An access request then: LGPD's 15 days bind, Indiana's law not yet.
    access = deadlines(datetime(2025, 6, 1, tzinfo=UTC), laws, "retrieval")
    assert [d.jurisdiction for d in access] == ["lgpd"]
