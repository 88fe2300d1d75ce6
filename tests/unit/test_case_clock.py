"""The legal clocks as data (bwp_privacy.cases.clock): the shipped table of laws (every row
of the reference table, with its figures and which were read in the statute), periods and
calendar months, the laws in force on a request's receipt, and the compliance page's table
of the same laws. Pure: no AWS, an explicit clock."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from bwp_privacy.cases import Jurisdiction, Period, deadlines, shipped_jurisdictions
from bwp_privacy.common import parse_iso

ROOT = Path(__file__).resolve().parents[2]
SUBMITTED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

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


# ---- periods and calendar months ---------------------------------------------------------


def test_a_calendar_month_ends_on_the_same_day_or_the_last_day_of_a_shorter_month() -> None:
    month = Period(months=1)
    assert month.after(datetime(2026, 1, 31, tzinfo=UTC)) == datetime(2026, 2, 28, tzinfo=UTC)
    assert month.after(datetime(2028, 1, 31, tzinfo=UTC)) == datetime(2028, 2, 29, tzinfo=UTC)
    assert Period(months=2).after(datetime(2026, 11, 15, tzinfo=UTC)) == datetime(
        2027, 1, 15, tzinfo=UTC
    )
    assert Period(days=45).after(SUBMITTED) == SUBMITTED + timedelta(days=45)


def test_a_period_is_days_or_months_never_both() -> None:
    with pytest.raises(ValueError, match="either days or months"):
        Period(days=1, months=1)


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


# ---- the laws in force ------------------------------------------------------------------


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


# ---- docs/compliance.md -------------------------------------------------------------------------


def _span(law: Period | None) -> str:
    return str(law) if law is not None else "none"


def page_row(key: str, law: Jurisdiction) -> list[str]:
    """The cells the compliance page's table holds for ``law``, from the data."""
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


def page_rows() -> dict[str, list[str]]:
    text = (ROOT / "docs" / "compliance.md").read_text()
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 8:
            rows[cells[0].strip("`")] = cells
    return rows


def test_the_compliance_page_lists_every_shipped_law_with_the_figures_the_data_holds() -> None:
    rows = page_rows()
    table = shipped_jurisdictions()
    assert list(rows) == list(table)
    for key, law in table.items():
        assert rows[key] == page_row(key, law), key
