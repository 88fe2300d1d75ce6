"""The legal deadlines `cases show --json` reports, held against a table computed by hand.

Every shipped law applies to the cases here (a playbooks file whose ``applies`` names them all,
in SSM, as a merchant overrides the shipped one). Each row of the table is a request received
at one moment (month ends, leap days, a year's end; a time given with an offset, which counts
in UTC) and gives, for each law that binds it, the first deadline and where the law's one
extension would move it, as ISO strings worked out on paper.

A law binds a request only if it was in force on the request's UTC received date (the
``in_force`` dates of ``bwp_privacy/cases/jurisdictions.json``): a law not yet in force at
receipt does not bind, and has no deadline in the row. Which laws each row holds is read off
those dates by hand (in the comments of `US_45_DAYS_2023`, `US_45_DAYS_2024` and each row), not
computed. CCPA, the GDPR, UK GDPR, PIPEDA and LGPD were in force before every row; a row
received in 2026 (after the last in-force date, 1 January 2026) holds every law. The periods:

- US states: 45 days, extended by 45 (Iowa: 90 days, extended by 45);
- EU and UK GDPR: one calendar month, extended by two more months counted from the first
  deadline; a month ends on the same day of the month, or on that month's last day;
- PIPEDA: 30 days, extended by 30; Quebec: 30 days, no extension;
- Brazil's LGPD: 15 days for an access request (a retrieval), no extension; no deadline at
  all for a deletion.

Nothing here computes a deadline with the code under test: a wrong figure in the table fails
the test, and so does a wrong figure in the product.

Extensions are taken as an operator takes them, with `cases extend`, at a fixed moment inside
the first period (`_at`): the reaction (its function URL served in this process) and `cases
show` / `cases list` (their ``daysLeft``) read the time through `bwp_privacy.common.utc_now`,
so `use_clock` alone fixes it for both.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import pytest

from bwp_privacy.cases import shipped_jurisdictions
from bwp_privacy.common import use_clock
from bwp_sandbox.admin import admin_client
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.stack import PROJECT_ROOT
from bwp_sandbox.timeline import Timeline
from tests.cli.conftest import Run
from tests.integration.reaction_helpers import BP

pytestmark = pytest.mark.integration

#: The SSM parameter of the playbooks file that binds every shipped law.
ALL_LAWS_PLAYBOOKS = "bwp-privacy-playbooks-all-laws"

#: The laws of 45 days extended by 45 (every US state of the table but Iowa), all in force
#: from 1 January 2026 (Indiana, Kentucky and Rhode Island, the last, on that day).
US_45_DAYS = (
    "ccpa", "colorado", "connecticut", "delaware", "indiana", "kentucky", "maryland",
    "minnesota", "montana", "nebraska", "new-hampshire", "new-jersey", "oregon",
    "rhode-island", "tennessee", "texas", "utah", "virginia",
)  # fmt: skip

#: Those in force on 31 January 2023: CCPA (2020-01-01) and Virginia (2023-01-01); Colorado and
#: Connecticut came on 2023-07-01, Utah on 2023-12-31, the others later still. (Quebec, on
#: 2023-09-22, and Iowa, on 2025-01-01, neither.)
US_45_DAYS_2023 = ("ccpa", "virginia")

#: Those in force from 31 December 2023 to 30 June 2024 (the rows of 31 January and 29 February
#: 2024): CCPA, Virginia, Colorado and Connecticut (2023-07-01), Utah (2023-12-31); Texas and
#: Oregon came on 2024-07-01, Montana on 2024-10-01, the others (and Iowa) in 2025 or 2026.
#: Quebec (2023-09-22) is in force for these rows.
US_45_DAYS_2024 = ("ccpa", "colorado", "connecticut", "utah", "virginia")

#: A law's (first deadline, extended deadline; None: the law allows no extension).
Due = tuple[str, str | None]


def _us_45_days(laws: tuple[str, ...], due: str, extended: str) -> dict[str, Due]:
    """The same two dates for each of ``laws``, 45-day US laws (written once, not computed)."""
    return dict.fromkeys(laws, (due, extended))


@dataclass(frozen=True)
class Row:
    """One request, and what `cases show --json` must report for it."""

    case_id: str
    kind: Literal["deletion", "retrieval"]
    #: The task's submissionDate, as Buy with Prime gives it.
    submitted: str
    #: The case's receivedAt: that moment in UTC.
    received: str
    deadlines: dict[str, Due]
    #: When the operator acts: extends, is refused, reads the case.
    at: str
    #: The laws extended at ``at`` (each then has extended_at == ``at``).
    extend: tuple[str, ...] = ()
    #: Extensions refused at ``at``: law -> the one line of the refusal.
    refuse: dict[str, str] = field(default_factory=dict)
    #: (legalDueAt, daysLeft) at ``at`` before the extensions, where they change it.
    before: tuple[str, int] | None = None
    #: legalDueAt, the earliest deadline in force at ``at`` (after the extensions).
    legal_due: str = ""
    #: daysLeft at ``at``: whole days to ``legal_due``.
    days_left: int = 0


TABLE = (
    # A leap February: 31 January + 1 month = 29 February; 45 days = 16 March; the GDPR's
    # extension counts two months from 29 February: 29 April. In force on 31 January 2024:
    # `US_45_DAYS_2024` (Utah since 31 December 2023), the GDPRs, PIPEDA, Quebec; not Iowa
    # (2025), Texas or Oregon (July 2024), nor any later state.
    Row(
        case_id="received-2024-01-31",
        kind="deletion",
        submitted="2024-01-31T10:00:00Z",
        received="2024-01-31T10:00:00Z",
        deadlines={
            **_us_45_days(US_45_DAYS_2024, "2024-03-16T10:00:00Z", "2024-04-30T10:00:00Z"),
            "gdpr": ("2024-02-29T10:00:00Z", "2024-04-29T10:00:00Z"),
            "uk-gdpr": ("2024-02-29T10:00:00Z", "2024-04-29T10:00:00Z"),
            "pipeda": ("2024-03-01T10:00:00Z", "2024-03-31T10:00:00Z"),
            "quebec": ("2024-03-01T10:00:00Z", None),
        },
        at="2024-02-10T00:00:00Z",
        extend=("gdpr", "uk-gdpr"),
        # The GDPRs' 29 February governs until both are extended; then PIPEDA's and Quebec's
        # 1 March.
        before=("2024-02-29T10:00:00Z", 19),
        legal_due="2024-03-01T10:00:00Z",
        days_left=20,
    ),
    # The same day of a common year: 28 February; 45 days = 17 March. A second before
    # midnight stays on its day. In force on 31 January 2023: `US_45_DAYS_2023` (CCPA,
    # Virginia), the GDPRs, PIPEDA; not Quebec (22 September 2023), Iowa or any other state:
    # Texas, Indiana and the rest came later and do not bind it.
    Row(
        case_id="received-2023-01-31",
        kind="deletion",
        submitted="2023-01-31T23:59:59Z",
        received="2023-01-31T23:59:59Z",
        deadlines={
            **_us_45_days(US_45_DAYS_2023, "2023-03-17T23:59:59Z", "2023-05-01T23:59:59Z"),
            "gdpr": ("2023-02-28T23:59:59Z", "2023-04-28T23:59:59Z"),
            "uk-gdpr": ("2023-02-28T23:59:59Z", "2023-04-28T23:59:59Z"),
            "pipeda": ("2023-03-02T23:59:59Z", "2023-04-01T23:59:59Z"),
        },
        at="2023-02-01T00:00:00Z",
        legal_due="2023-02-28T23:59:59Z",
        days_left=27,
    ),
    # The leap day, an access request: LGPD's 15 days (15 March) govern, and it allows no
    # extension; one month = 29 March. In force on 29 February 2024: as on 31 January 2024
    # (no law came into force between), and LGPD (2020), which binds an access request.
    Row(
        case_id="received-2024-02-29",
        kind="retrieval",
        submitted="2024-02-29T10:00:00Z",
        received="2024-02-29T10:00:00Z",
        deadlines={
            **_us_45_days(US_45_DAYS_2024, "2024-04-14T10:00:00Z", "2024-05-29T10:00:00Z"),
            "gdpr": ("2024-03-29T10:00:00Z", "2024-05-29T10:00:00Z"),
            "uk-gdpr": ("2024-03-29T10:00:00Z", "2024-05-29T10:00:00Z"),
            "pipeda": ("2024-03-30T10:00:00Z", "2024-04-29T10:00:00Z"),
            "quebec": ("2024-03-30T10:00:00Z", None),
            "lgpd": ("2024-03-15T10:00:00Z", None),
        },
        at="2024-03-05T00:00:00Z",
        refuse={
            "lgpd": "Error: case received-2024-02-29: the Brazil LGPD allows no extension",
        },
        legal_due="2024-03-15T10:00:00Z",
        days_left=10,
    ),
    # 31 March: one month = 30 April (April has no 31st), and the GDPR's extension two
    # months from 30 April: 30 June. Every law was in force by 1 January 2026: all bind (but
    # LGPD, which sets no deletion deadline).
    Row(
        case_id="received-2026-03-31",
        kind="deletion",
        submitted="2026-03-31T10:00:00Z",
        received="2026-03-31T10:00:00Z",
        deadlines={
            **_us_45_days(US_45_DAYS, "2026-05-15T10:00:00Z", "2026-06-29T10:00:00Z"),
            "iowa": ("2026-06-29T10:00:00Z", "2026-08-13T10:00:00Z"),
            "gdpr": ("2026-04-30T10:00:00Z", "2026-06-30T10:00:00Z"),
            "uk-gdpr": ("2026-04-30T10:00:00Z", "2026-06-30T10:00:00Z"),
            "pipeda": ("2026-04-30T10:00:00Z", "2026-05-30T10:00:00Z"),
            "quebec": ("2026-04-30T10:00:00Z", None),
        },
        at="2026-04-15T00:00:00Z",
        extend=("gdpr", "pipeda"),
        # UK GDPR and Quebec still end on 30 April.
        legal_due="2026-04-30T10:00:00Z",
        days_left=15,
    ),
    # 30 November: across the year's end; the GDPR's extension ends on 28 February 2027
    # (no 30th), as do Iowa's 90 days and the US extensions. Every law binds (as above).
    Row(
        case_id="received-2026-11-30",
        kind="deletion",
        submitted="2026-11-30T10:00:00Z",
        received="2026-11-30T10:00:00Z",
        deadlines={
            **_us_45_days(US_45_DAYS, "2027-01-14T10:00:00Z", "2027-02-28T10:00:00Z"),
            "iowa": ("2027-02-28T10:00:00Z", "2027-04-14T10:00:00Z"),
            "gdpr": ("2026-12-30T10:00:00Z", "2027-02-28T10:00:00Z"),
            "uk-gdpr": ("2026-12-30T10:00:00Z", "2027-02-28T10:00:00Z"),
            "pipeda": ("2026-12-30T10:00:00Z", "2027-01-29T10:00:00Z"),
            "quebec": ("2026-12-30T10:00:00Z", None),
        },
        at="2026-12-01T00:00:00Z",
        extend=("ccpa", "iowa"),
        refuse={
            "quebec": "Error: case received-2026-11-30: the Quebec Law 25 allows no extension",
        },
        legal_due="2026-12-30T10:00:00Z",
        days_left=29,
    ),
)

#: Received with an offset: the clocks count from that moment in UTC, the laws that bind are
#: those in force on its UTC date, and every time is reported in UTC (docs/cli.md: `--json` times
#: are ISO-8601 UTC).
OFFSET_TABLE = (
    # 23:30 in New York on New Year's Eve is 04:30 UTC on 1 January 2026: the year changes, and
    # Indiana, Kentucky and Rhode Island, in force from 1 January 2026, bind it (on New York's
    # date, 31 December 2025, they would not): every law binds.
    Row(
        case_id="received-2025-12-31-new-york",
        kind="deletion",
        submitted="2025-12-31T23:30:00-05:00",
        received="2026-01-01T04:30:00Z",
        deadlines={
            **_us_45_days(US_45_DAYS, "2026-02-15T04:30:00Z", "2026-04-01T04:30:00Z"),
            "iowa": ("2026-04-01T04:30:00Z", "2026-05-16T04:30:00Z"),
            "gdpr": ("2026-02-01T04:30:00Z", "2026-04-01T04:30:00Z"),
            "uk-gdpr": ("2026-02-01T04:30:00Z", "2026-04-01T04:30:00Z"),
            "pipeda": ("2026-01-31T04:30:00Z", "2026-03-02T04:30:00Z"),
            "quebec": ("2026-01-31T04:30:00Z", None),
        },
        at="2026-01-02T00:00:00Z",
        legal_due="2026-01-31T04:30:00Z",
        days_left=29,
    ),
    # 00:30 in Paris on 1 March 2024 is still the leap day in UTC: one month = 29 March (in
    # Paris time it would be 1 April, two days later). In force on 29 February 2024: as in the
    # leap-day row above, but a deletion (no LGPD).
    Row(
        case_id="received-2024-03-01-paris",
        kind="deletion",
        submitted="2024-03-01T00:30:00+01:00",
        received="2024-02-29T23:30:00Z",
        deadlines={
            **_us_45_days(US_45_DAYS_2024, "2024-04-14T23:30:00Z", "2024-05-29T23:30:00Z"),
            "gdpr": ("2024-03-29T23:30:00Z", "2024-05-29T23:30:00Z"),
            "uk-gdpr": ("2024-03-29T23:30:00Z", "2024-05-29T23:30:00Z"),
            "pipeda": ("2024-03-30T23:30:00Z", "2024-04-29T23:30:00Z"),
            "quebec": ("2024-03-30T23:30:00Z", None),
        },
        at="2024-03-01T00:00:00Z",
        legal_due="2024-03-29T23:30:00Z",
        days_left=28,
    ),
)


@pytest.fixture
def sandbox(sandbox: Sandbox) -> Sandbox:
    """The test's sandbox, its reaction deployed with a playbooks file (an SSM override)
    whose ``applies`` binds every shipped law."""
    playbooks = json.loads((PROJECT_ROOT / "functions/reaction/playbooks.json").read_text())
    playbooks["applies"] = sorted(shipped_jurisdictions())
    admin_client("ssm").put_parameter(
        Name=ALL_LAWS_PLAYBOOKS, Value=json.dumps(playbooks), Type="String", Overwrite=True
    )
    return sandbox.deploy(PlaybooksParameterName=ALL_LAWS_PLAYBOOKS)


def _moment(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


@contextmanager
def _at(moment: str) -> Iterator[None]:
    """The operator acts at ``moment``: the reaction (served in this process) and the `cases`
    commands (their days left) read it through `utc_now`."""
    fixed = _moment(moment)
    with use_clock(lambda: fixed):
        yield


def _open(sandbox: Sandbox, rows: tuple[Row, ...]) -> None:
    """A failed task of each row's kind, submitted at the row's moment (as Buy with Prime
    wrote it), announced on the partner bus; the reaction opens a case for each (a failure no
    playbook covers: escalated, open)."""
    timeline = Timeline(sandbox)
    for row in rows:
        sandbox.emulator.add_task(
            BP,
            {
                "taskId": row.case_id,
                "status": "FAILED",
                "holdingPeriod": 0,
                "submissionDate": row.submitted,
                "dataSubject": {"type": "SHOPPER", "email": "deadline.table@example.com"},
                "errors": [{"code": None, "message": "the task failed"}],
            },
            kind=row.kind,
        )
        event = f"PERSONAL_DATA_{row.kind.upper()}_TASK_FAILED"
        timeline.publish(BP, row.case_id, event)
    timeline.settle()


def _in_force(invoke: Run, case_id: str) -> tuple[str, int]:
    """(legalDueAt, daysLeft) of the case: the earliest deadline in force (`cases list --json`
    reports it; `cases show --json` only its days left)."""
    listed = invoke("cases", "list", "--all", "--json")
    assert listed.exit_code == 0, listed.stderr
    (row,) = (c for c in listed.json()["cases"] if c["caseId"] == case_id)
    shown = invoke("cases", "show", case_id, "--json")
    assert shown.exit_code == 0, shown.stderr
    assert shown.json()["daysLeft"] == row["daysLeft"], case_id
    return row["legalDueAt"], row["daysLeft"]


def _check_table(invoke: Run, row: Row) -> None:
    """The case's whole deadlines list, as `cases show --json` reports it, is the row's."""
    shown = invoke("cases", "show", row.case_id, "--json")
    assert shown.exit_code == 0, shown.stderr
    case = shown.json()["case"]
    reported = {
        d["jurisdiction"]: (d["due_at"], d["extended_due_at"], d["extended_at"])
        for d in case["deadlines"]
    }
    expected = {
        law: (due, extended, row.at if law in row.extend else None)
        for law, (due, extended) in row.deadlines.items()
    }
    assert case["receivedAt"] == row.received, row.case_id
    assert reported == expected, row.case_id
    # Earliest first (ties by key).
    order = sorted(row.deadlines, key=lambda law: (row.deadlines[law][0], law))
    assert [d["jurisdiction"] for d in case["deadlines"]] == order, row.case_id


def test_the_table_covers_every_shipped_law() -> None:
    """A law added to the shipped table needs its column here: every shipped law has a
    deadline in at least one row, and a row received on or after the last in-force date holds
    every law (LGPD only in an access request: it sets no deletion deadline). The earlier rows
    hold fewer, by hand: laws not yet in force at receipt do not bind."""
    shipped = shipped_jurisdictions()
    laws = set(shipped)
    rows = (*TABLE, *OFFSET_TABLE)
    assert set().union(*(row.deadlines for row in rows)) == laws
    last = max(law.in_force for law in shipped.values() if law.in_force is not None)
    late = [row for row in rows if _moment(row.received).date() >= last]
    assert late, f"no row received on or after {last}, when the last shipped law came into force"
    for row in late:
        wanted = laws if row.kind == "retrieval" else laws - {"lgpd"}
        assert set(row.deadlines) == wanted, row.case_id


def test_cases_show_reports_the_hand_computed_deadlines_and_extensions(
    sandbox: Sandbox, invoke: Run
) -> None:
    _open(sandbox, TABLE)
    for row in TABLE:
        with _at(row.at):
            if row.before is not None:
                assert _in_force(invoke, row.case_id) == row.before, row.case_id
            for law in row.extend:
                extended = invoke(
                    "cases", "extend", row.case_id, "--jurisdiction", law,
                    "--reason", "the shopper was told: more time is needed",
                )  # fmt: skip
                assert extended.exit_code == 0, (row.case_id, law, extended.stderr)
            for law, refusal in row.refuse.items():
                refused = invoke(
                    "cases", "extend", row.case_id, "--jurisdiction", law, "--reason", "more time"
                )
                assert (refused.exit_code, refused.stderr.splitlines()) == (1, [refusal])
            assert _in_force(invoke, row.case_id) == (row.legal_due, row.days_left), row.case_id
        _check_table(invoke, row)


def test_a_request_received_with_an_offset_counts_in_utc(sandbox: Sandbox, invoke: Run) -> None:
    _open(sandbox, OFFSET_TABLE)
    for row in OFFSET_TABLE:
        _check_table(invoke, row)
        with _at(row.at):
            assert _in_force(invoke, row.case_id) == (row.legal_due, row.days_left), row.case_id
