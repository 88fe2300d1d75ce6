"""Legal clocks: when an answer is due under each jurisdiction, from the request's receipt.

Lengths are data, never code: the table of laws ships beside this module
(``jurisdictions.json``, in the layer Lambda loads), and a playbooks file's own
``jurisdictions`` add to it or replace an entry by key. CCPA counts 45 days, GDPR one calendar
month, Iowa 90 days, Brazil's LGPD 15 days for an access request and none for a deletion.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib.resources import files
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

# The submodules, not the package: the compliance views read cases (and so this module) and
# may not depend on the AWS helpers the package brings in.
from bwp_privacy.common.config_file import parse_config
from bwp_privacy.common.errors import BwpPrivacyError
from bwp_privacy.task_kinds import TaskKindName


class Period(BaseModel):
    """A length of time as a law states it: whole days, or calendar months."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: int | None = Field(None, ge=1, le=3650)
    months: int | None = Field(None, ge=1, le=120)

    @model_validator(mode="after")
    def _exactly_one(self) -> Period:
        if (self.days is None) == (self.months is None):
            raise ValueError("give either days or months, not both")
        return self

    def after(self, start: datetime) -> datetime:
        """``start`` plus this period; a month ends on the same day of the month, or on the
        month's last day when it has no such day (31 January + 1 month = 28/29 February), as
        the GDPR counts "one month" (EU Regulation 1182/71); months are counted from ``start``
        at once, so 31 March + 2 months is 31 May, not 30 May."""
        if self.days is not None:
            return start + timedelta(days=self.days)
        months = self.months or 0
        index = start.month - 1 + months
        year, month = start.year + index // 12, index % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        return start.replace(year=year, month=month, day=day)

    def __str__(self) -> str:
        if self.days is not None:
            return f"{self.days} day" + ("s" if self.days != 1 else "")
        return f"{self.months} month" + ("s" if self.months != 1 else "")


#: The kind of request a clock runs for (the case's kind): a kind's name.
RequestKind = TaskKindName

#: A jurisdiction's key: what `applies` and `cases extend --jurisdiction` name.
JurisdictionKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]

#: The figures of a law that a row may mark as inferred (taken from a model law's wording or
#: a default, not read in the statute itself).
Figure = Literal[
    "answer_within",
    "access_answer_within",
    "extension",
    "extension_notice_before_due",
    "appeal_within",
    "appeal_extension",
    "records_kept",
]

Note = Annotated[str, StringConstraints(min_length=1, max_length=300)]


class Jurisdiction(BaseModel):
    """One law's clocks: how long a business has to answer, whether and by how much it may
    extend that once, the appeal it owes, how long it keeps the request's record, and which of
    these figures were read in the statute. Only ``title`` and one answer period are required,
    so a playbooks file written for the first two laws (title, answer_within, extension) still
    loads; the shipped table gives every field (`ShippedJurisdiction`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=100)
    #: How the law is cited (its code or act, and the sections the figures come from).
    citation: str | None = Field(None, min_length=1, max_length=300)
    in_force: date | None = None
    #: The answer period of a deletion, and of an access request unless
    #: ``access_answer_within`` differs; None: the law sets no fixed deletion deadline.
    answer_within: Period | None = None
    #: An access request's (a retrieval's) own answer period, where the law gives it apart.
    access_answer_within: Period | None = None
    #: The one extension the law allows, counted from the first due date; None: none allowed
    #: (or none verified: then ``extension`` is listed in ``inferred``).
    extension: Period | None = None
    #: Whether the shopper must be told of the extension (with its reasons) before the first
    #: period ends, so it must be decided by then.
    extension_notice_before_due: bool = False
    #: How long the business has to answer an appeal of its decision; None: the law gives the
    #: consumer no appeal to the business (CCPA, Utah; GDPR's complaint goes to a regulator).
    appeal_within: Period | None = None
    appeal_extension: Period | None = None
    #: How long the law has the request's record kept; None: the reference names no period.
    records_kept: Period | None = None
    notes: tuple[Note, ...] = Field((), max_length=10)
    #: Where the figures come from.
    source: str | None = Field(None, min_length=1, max_length=500)
    #: The figures not read in the statute: each must be checked before relying on it.
    inferred: tuple[Figure, ...] = Field((), max_length=7)

    @model_validator(mode="after")
    def _consistent(self) -> Jurisdiction:
        if self.answer_within is None and self.access_answer_within is None:
            raise ValueError("give answer_within, access_answer_within or both")
        if self.extension is None and self.extension_notice_before_due:
            raise ValueError("extension_notice_before_due needs an extension")
        if self.appeal_within is None and self.appeal_extension is not None:
            raise ValueError("appeal_extension needs appeal_within")
        if len(set(self.inferred)) != len(self.inferred):
            raise ValueError("inferred names a figure twice")
        return self

    @property
    def checked(self) -> bool:
        """Every figure of the row was read in the statute (none is inferred)."""
        return not self.inferred

    def answer_period(self, kind: RequestKind) -> Period | None:
        """The answer period of a ``kind`` request; None: the law sets no deadline for it."""
        if kind == "retrieval" and self.access_answer_within is not None:
            return self.access_answer_within
        return self.answer_within


class ShippedJurisdiction(Jurisdiction):
    """A row of the shipped table: it says where it comes from, always."""

    citation: str = Field(min_length=1, max_length=300)
    in_force: date
    source: str = Field(min_length=1, max_length=500)


class JurisdictionsError(BwpPrivacyError, ValueError):
    """The shipped table of laws is invalid (a packaging or editing mistake: it names the file
    and the key)."""


class _ShippedTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    about: str = Field(min_length=1, max_length=2000)
    jurisdictions: dict[JurisdictionKey, ShippedJurisdiction] = Field(min_length=1)


#: The shipped table, a data file of this package (the layer copies the package whole, and the
#: wheel takes every file of it).
JURISDICTIONS_FILE = "jurisdictions.json"


@cache
def _shipped_table() -> _ShippedTable:
    text = (files("bwp_privacy.cases") / JURISDICTIONS_FILE).read_text("utf-8")
    return parse_config(
        text, f"bwp_privacy/cases/{JURISDICTIONS_FILE}", _ShippedTable, JurisdictionsError
    )


def shipped_jurisdictions() -> dict[str, Jurisdiction]:
    """The laws the library ships, by key (validated once, at first use; a fresh dict each
    call, so a caller's change never reaches another's)."""
    return dict(_shipped_table().jurisdictions)


class Deadline(BaseModel):
    """One jurisdiction's deadlines for one case."""

    model_config = ConfigDict(frozen=True)

    jurisdiction: str
    due_at: datetime
    #: Where the one extension the law allows would move the deadline; None: the law allows
    #: none (a case stored before such laws were known always has one).
    extended_due_at: datetime | None = None
    #: When an operator extended this deadline (``cases extend``); None: not extended. The laws
    #: allow one extension per request, taken before the first deadline passes.
    extended_at: datetime | None = None

    @property
    def effective_due_at(self) -> datetime:
        """When the answer is legally due now: the extended deadline once extended."""
        if self.extended_at is not None and self.extended_due_at is not None:
            return self.extended_due_at
        return self.due_at

    @property
    def latest_due_at(self) -> datetime:
        """The latest the law lets this deadline run: the extended one, where there is one."""
        return self.extended_due_at or self.due_at


def legal_due_at(found: tuple[Deadline, ...] | list[Deadline]) -> datetime:
    """The earliest deadline in force across the jurisdictions (what compliance counts by)."""
    return min(deadline.effective_due_at for deadline in found)


def deadlines(
    received_at: datetime, jurisdictions: dict[str, Jurisdiction], kind: RequestKind
) -> list[Deadline]:
    """The deadline of each jurisdiction that sets one for a ``kind`` request and was in force
    when it was received, with its extended deadline where the law allows an extension,
    earliest first. Counted in UTC from the moment of receipt (`Period.after`). When none of
    them was in force yet (a merchant who names only laws that came later), the case counts by
    them all the same: a stricter clock, never none."""
    found = _deadlines(received_at, in_force(jurisdictions, received_at), kind)
    # The laws in force may set none for this kind (Brazil's LGPD alone, for a deletion, before
    # a later law came): the others count, as when none was in force. A case never has none.
    return found or _deadlines(received_at, jurisdictions, kind)


def _deadlines(
    received_at: datetime, jurisdictions: dict[str, Jurisdiction], kind: RequestKind
) -> list[Deadline]:
    found = []
    for name, law in jurisdictions.items():
        period = law.answer_period(kind)
        if period is None:
            continue
        due = period.after(received_at)
        extended = law.extension.after(due) if law.extension is not None else None
        found.append(Deadline(jurisdiction=name, due_at=due, extended_due_at=extended))
    return sorted(found, key=lambda deadline: (deadline.due_at, deadline.jurisdiction))


def in_force(jurisdictions: dict[str, Jurisdiction], at: datetime) -> dict[str, Jurisdiction]:
    """The laws in force on ``at``'s UTC date (a law without an in-force date always is); all
    of them when none was yet."""
    day = at.astimezone(UTC).date()
    found = {
        name: law
        for name, law in jurisdictions.items()
        if law.in_force is None or law.in_force <= day
    }
    return found or dict(jurisdictions)


def appeal_deadlines(
    received_at: datetime, jurisdictions: dict[str, Jurisdiction]
) -> list[Deadline]:
    """The deadline to answer an appeal received at ``received_at``, under each jurisdiction
    that gives one (its appeal period, and the appeal extension where it allows one), earliest
    first; empty when none of them gives the consumer an appeal to the business. The caller
    passes the laws that bound the request (in force when it was received)."""
    found = []
    for name, law in jurisdictions.items():
        if law.appeal_within is None:
            continue
        due = law.appeal_within.after(received_at)
        extension = law.appeal_extension
        extended = extension.after(due) if extension is not None else None
        found.append(Deadline(jurisdiction=name, due_at=due, extended_due_at=extended))
    return sorted(found, key=lambda deadline: (deadline.due_at, deadline.jurisdiction))
