"""Playbooks as data: what the reaction does about each error code, for each kind of request
(deletion at the top level, retrieval in its own ``retrieval`` section), and the legal clocks
it plans against: the laws that ``applies`` names, for every business product or per product,
from the table the library ships (`shipped_jurisdictions`) and the file's own
``jurisdictions``. A playbooks file is JSON, validated like the routes: every error names the
file and the key (or the line), so a broken file fails loudly instead of reacting wrongly.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from bwp_privacy.cases.case import CaseKind
from bwp_privacy.cases.clock import (
    Jurisdiction,
    JurisdictionKey,
    RequestKind,
    shipped_jurisdictions,
)
from bwp_privacy.common import BwpPrivacyError, Duration, duration_seconds, parse_config

#: The documented code after which Buy with Prime says the merchant must resubmit.
ORDERS_NOT_CLOSED = "ORDERS_NOT_CLOSED"
#: The documented code for "no data for that email": nothing to delete.
DATA_SUBJECT_NOT_FOUND = "DATA_SUBJECT_NOT_FOUND"


class PlaybooksError(BwpPrivacyError, ValueError):
    """The playbooks file is invalid; the message names the file and the key or line."""


#: The shortest wait before an attempt. Each attempt is a one-time EventBridge Scheduler
#: schedule, ``at(now + wait)`` with ``now`` taken at the decision; CreateSchedule comes after
#: it in the same invocation, with the SDK's retries: a wait of seconds can put ``at()`` in the
#: past by the time the schedule exists. Five minutes is five times the reaction's 60 s
#: timeout (template Globals), and far below any useful wait (the shipped playbook waits 7 days).
MIN_ATTEMPT_DELAY = "5m"


def _not_too_soon(text: str) -> str:
    if duration_seconds(text) < duration_seconds(MIN_ATTEMPT_DELAY):
        raise ValueError(
            f"must be at least {MIN_ATTEMPT_DELAY} (an attempt is a one-time schedule: a "
            "shorter wait may already be past when the schedule is created)"
        )
    return text


#: A wait before an attempt: a duration of at least `MIN_ATTEMPT_DELAY`.
AttemptDelay = Annotated[Duration, AfterValidator(_not_too_soon)]


class Mode(StrEnum):
    """Who starts a resubmission: this stack, or the merchant's own system (told by an event
    and an alert that one is due; the reaction then waits for the new task to be linked)."""

    RESUBMIT = "resubmit"
    ANNOUNCE = "announce"


class Resubmit(BaseModel):
    """Start a new deletion later, then again every interval, while the deadline allows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Literal["resubmit"]
    first_attempt_after: AttemptDelay
    every: AttemptDelay
    max_attempts: int = Field(ge=1, le=50)
    holding_period_days: int = Field(0, ge=0, le=180)
    deadline_margin: Duration

    @property
    def first_delay(self) -> timedelta:
        return timedelta(seconds=duration_seconds(self.first_attempt_after))

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=duration_seconds(self.every))

    @property
    def margin(self) -> timedelta:
        return timedelta(seconds=duration_seconds(self.deadline_margin))


class Close(BaseModel):
    """Nothing is left to delete: the case closes with this basis."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Literal["close"]
    basis: str = Field(min_length=1, max_length=500)


class Escalate(BaseModel):
    """A person must act: a critical alert that says why and what to do."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Literal["escalate"]
    advice: str = Field(min_length=1, max_length=1000)


Playbook = Annotated[Resubmit | Close | Escalate, Field(discriminator="action")]

# When a task fails with several codes, the one that needs the most care decides.
_PRECEDENCE = {"escalate": 0, "resubmit": 1, "close": 2}


class PlaybookSet(BaseModel):
    """What to do about each error code of one kind of task: one entry per code, a default,
    and what a failed lookup does."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    playbooks: dict[str, Playbook] = Field(default_factory=dict)
    default: Playbook
    lookup_failed: Escalate

    def choose(
        self, codes: list[str], *, lookup_ok: bool
    ) -> tuple[str, Resubmit | Close | Escalate]:
        """The (code, playbook) that decides for a task failing with ``codes``: a failed
        lookup escalates; else escalate before resubmit before close, then code order."""
        if not lookup_ok:
            return "LOOKUP_FAILED", self.lookup_failed
        chosen = [(code, self.get(code)) for code in codes]
        return min(chosen, key=lambda pair: _PRECEDENCE[pair[1].action])

    def get(self, code: str) -> Resubmit | Close | Escalate:
        """The playbook of ``code`` (the default when none names it)."""
        return self.playbooks.get(code, self.default)


#: The retrieval playbooks of a file that has no ``retrieval`` section (one written before
#: retrieval cases existed): nothing to retrieve closes; every other code escalates.
DEFAULT_RETRIEVAL = PlaybookSet(
    playbooks={
        DATA_SUBJECT_NOT_FOUND: Close(
            action="close",
            basis="Buy with Prime holds no personal data for this shopper: nothing to retrieve.",
        )
    },
    default=Escalate(
        action="escalate",
        advice=(
            "The retrieval (access request) task failed for a reason no playbook covers, and "
            "the shopper still awaits an answer. Read its errors (`bwp-privacy cases show "
            "CASE`), fix the cause, then resubmit (`bwp-privacy cases resubmit CASE`) or close "
            "the case with its basis (`bwp-privacy cases close CASE --reason ...`)."
        ),
    ),
    lookup_failed=Escalate(
        action="escalate",
        advice=(
            "The failed retrieval task could not be read from the Buy with Prime API, so its "
            "errors are unknown. Check the API credentials and the task (`bwp-privacy task show "
            "TASK --kind retrieval`), then resubmit (`bwp-privacy cases resubmit CASE`) or close "
            "the case (`bwp-privacy cases close CASE --reason ...`)."
        ),
    ),
)


#: The laws that bind a set of cases, by key.
AppliesSet = Annotated[list[JurisdictionKey], Field(min_length=1, max_length=30)]
#: The ``applies`` key that names the laws of every business product the object does not name.
APPLIES_DEFAULT = "default"
ProductKey = Annotated[str, Field(min_length=1, max_length=200)]


class PlaybooksConfig(BaseModel):
    """The whole playbooks file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    mode: Mode = Mode.RESUBMIT
    #: Laws added to the shipped table, or replacing one of its entries whole, by key.
    jurisdictions: dict[JurisdictionKey, Jurisdiction] = Field(default_factory=dict)
    #: The laws that bind every case (a list), or per business product: an object with a
    #: ``default`` list and a list per business product id (a merchant with a US and an EU
    #: storefront).
    applies: AppliesSet | dict[ProductKey, AppliesSet]
    plan_within: Literal["initial", "extended"] = "extended"
    playbooks: dict[str, Playbook] = Field(default_factory=dict)
    default: Playbook
    lookup_failed: Escalate
    #: The retrieval (access request) playbooks; a file without the section gets the default.
    retrieval: PlaybookSet = DEFAULT_RETRIEVAL

    @model_validator(mode="after")
    def _applies_names_known_laws_with_deadlines(self) -> PlaybooksConfig:
        # A ValueError here would be reported at the top level; a ValidationError with its own
        # locations names the key that is wrong (`applies.bp-eu`), as parse_config says it.
        problems = [
            InitErrorDetails(type=PydanticCustomError("applies", message), loc=loc, input=names)
            for loc, names, message in self._applies_problems()
        ]
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self

    def _applies_sets(self) -> list[tuple[tuple[str, ...], list[str]]]:
        if isinstance(self.applies, list):
            return [(("applies",), self.applies)]
        return [(("applies", product), names) for product, names in self.applies.items()]

    def _applies_problems(self) -> list[tuple[tuple[str, ...], list[str], str]]:
        if isinstance(self.applies, dict) and APPLIES_DEFAULT not in self.applies:
            return [
                (
                    ("applies",),
                    [],
                    f"needs a {APPLIES_DEFAULT!r} list: the laws of every other business product",
                )
            ]
        table = self.table()
        problems: list[tuple[tuple[str, ...], list[str], str]] = []
        for loc, names in self._applies_sets():
            unknown = [name for name in names if name not in table]
            if unknown:
                problems.append(
                    (
                        loc,
                        names,
                        f"{', '.join(unknown)}: no such jurisdiction (neither shipped nor in "
                        "this file's jurisdictions)",
                    )
                )
                continue
            kinds: tuple[RequestKind, ...] = ("deletion", "retrieval")
            for kind in kinds:
                if all(table[name].answer_period(kind) is None for name in names):
                    problems.append(
                        (
                            loc,
                            names,
                            f"{', '.join(names)} give no {kind} deadline: add a law that sets one",
                        )
                    )
        return problems

    @model_validator(mode="after")
    def _retrieval_has_no_holding_period(self) -> PlaybooksConfig:
        retrieval = self.retrieval
        held = [
            code
            for code, playbook in [*retrieval.playbooks.items(), ("default", retrieval.default)]
            if isinstance(playbook, Resubmit) and playbook.holding_period_days
        ]
        if held:
            raise ValueError(
                f"retrieval: {', '.join(held)}: holding_period_days must be 0 "
                "(a retrieval task has no holding period)"
            )
        return self

    def for_kind(self, kind: CaseKind) -> PlaybookSet:
        """The playbooks of one kind of request (deletion: the file's top level)."""
        if kind == "retrieval":
            return self.retrieval
        return PlaybookSet(
            playbooks=self.playbooks, default=self.default, lookup_failed=self.lookup_failed
        )

    def table(self) -> dict[str, Jurisdiction]:
        """Every law this file can name: the shipped table, then the file's own entries (an
        entry of the same key replaces the shipped one whole)."""
        return {**shipped_jurisdictions(), **self.jurisdictions}

    def applying(self, business_product_id: str) -> dict[str, Jurisdiction]:
        """The jurisdictions whose deadlines bind the cases of ``business_product_id``: its own
        list in ``applies``, else the ``default`` one (or the one list, for every product)."""
        if isinstance(self.applies, list):
            names = self.applies
        else:
            names = self.applies.get(business_product_id, self.applies[APPLIES_DEFAULT])
        table = self.table()
        return {name: table[name] for name in names}

    def choose(
        self, codes: list[str], *, lookup_ok: bool, kind: CaseKind = "deletion"
    ) -> tuple[str, Resubmit | Close | Escalate]:
        """The (code, playbook) that decides for a ``kind`` task failing with ``codes``."""
        return self.for_kind(kind).choose(codes, lookup_ok=lookup_ok)


def load_playbooks(text: str, source: str) -> PlaybooksConfig:
    """Parse and validate a playbooks file; raise PlaybooksError naming ``source`` and the key."""
    return parse_config(text, source, PlaybooksConfig, PlaybooksError)
