"""Legal clocks: when an answer is due under each jurisdiction, from the request's receipt.

Lengths come from the playbooks file (``jurisdictions``), never from code: CCPA counts 45
days, GDPR one calendar month, each with its own extension.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator


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
        month's last day when it has no such day (31 January + 1 month = 28/29 February)."""
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


class Jurisdiction(BaseModel):
    """How long a business has to answer, and by how much it may extend that once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=100)
    answer_within: Period
    extension: Period


class Deadline(BaseModel):
    """One jurisdiction's deadlines for one case."""

    model_config = ConfigDict(frozen=True)

    jurisdiction: str
    due_at: datetime
    extended_due_at: datetime
    #: When an operator extended this deadline (``cases extend``); None: not extended. The laws
    #: allow one extension per request, taken before the first deadline passes.
    extended_at: datetime | None = None

    @property
    def effective_due_at(self) -> datetime:
        """When the answer is legally due now: the extended deadline once extended."""
        return self.extended_due_at if self.extended_at is not None else self.due_at


def legal_due_at(found: tuple[Deadline, ...] | list[Deadline]) -> datetime:
    """The earliest deadline in force across the jurisdictions (what compliance counts by)."""
    return min(deadline.effective_due_at for deadline in found)


def deadlines(received_at: datetime, jurisdictions: dict[str, Jurisdiction]) -> list[Deadline]:
    """Each jurisdiction's deadline and extended deadline, earliest first."""
    found = []
    for name, law in jurisdictions.items():
        due = law.answer_within.after(received_at)
        found.append(
            Deadline(jurisdiction=name, due_at=due, extended_due_at=law.extension.after(due))
        )
    return sorted(found, key=lambda deadline: (deadline.due_at, deadline.jurisdiction))
