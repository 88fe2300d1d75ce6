"""The reaction's playbooks: who starts a resubmission (``mode``), the legal clocks it plans
against (the laws that ``applies`` names, for every business product or per product, from the
table the library ships, `shipped_jurisdictions`, and the file's own ``jurisdictions``) and
which deadline it plans within; with the catalogue's action per error code and task kind
(`bwp_privacy.catalogue`) they decide each case. A playbooks file is JSON, validated like the
routes: every error names the file and the key (or the line), so a broken file fails loudly
instead of reacting wrongly.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from bwp_privacy.cases.case import CaseKind
from bwp_privacy.cases.clock import (
    Jurisdiction,
    JurisdictionKey,
    RequestKind,
    shipped_jurisdictions,
)
from bwp_privacy.catalogue import (
    DATA_SUBJECT_NOT_FOUND,
    ORDERS_NOT_CLOSED,
    Action,
    Catalogue,
    Close,
    Escalate,
    Resubmit,
    refuse_moved_keys,
    shipped_catalogue,
)
from bwp_privacy.common import BwpPrivacyError, parse_config


class PlaybooksError(BwpPrivacyError, ValueError):
    """The playbooks file is invalid; the message names the file and the key or line."""


class Mode(StrEnum):
    """Who starts a resubmission: this stack, or the merchant's own system (told by an event
    and an alert that one is due; the reaction then waits for the new task to be linked)."""

    RESUBMIT = "resubmit"
    ANNOUNCE = "announce"


# When a task fails with several codes, the one that needs the most care decides.
_PRECEDENCE = {"escalate": 0, "resubmit": 1, "close": 2}


class PlaybookSet(BaseModel):
    """The catalogue's actions for one kind of task: each code's own, the default, and what
    a failed lookup does."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    playbooks: dict[str, Action] = Field(default_factory=dict)
    default: Action
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


#: The laws that bind a set of cases, by key.
AppliesSet = Annotated[list[JurisdictionKey], Field(min_length=1, max_length=30)]
#: The ``applies`` key that names the laws of every business product the object does not name.
APPLIES_DEFAULT = "default"
ProductKey = Annotated[str, Field(min_length=1, max_length=200)]


#: The keys a playbooks file held before the catalogue took them (the actions per code).
MOVED_TO_CATALOGUE = ("playbooks", "default", "lookup_failed", "retrieval")


class PlaybooksFile(BaseModel):
    """The whole playbooks file: the reaction's settings, and nothing about the codes."""

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

    @model_validator(mode="before")
    @classmethod
    def _actions_live_in_the_catalogue(cls, raw: Any) -> Any:
        refuse_moved_keys(raw, MOVED_TO_CATALOGUE, cls.__name__)
        return raw

    @model_validator(mode="after")
    def _applies_names_known_laws_with_deadlines(self) -> PlaybooksFile:
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


@dataclass(frozen=True)
class PlaybooksConfig:
    """What the decisions read: the playbooks file (mode, laws, plan) and the catalogue's
    action per error code and task kind."""

    settings: PlaybooksFile
    catalogue: Catalogue

    @property
    def mode(self) -> Mode:
        return self.settings.mode

    @property
    def plan_within(self) -> Literal["initial", "extended"]:
        return self.settings.plan_within

    def table(self) -> dict[str, Jurisdiction]:
        """Every law the playbooks can name (`PlaybooksFile.table`)."""
        return self.settings.table()

    def applying(self, business_product_id: str) -> dict[str, Jurisdiction]:
        """The laws binding the cases of ``business_product_id`` (`PlaybooksFile.applying`)."""
        return self.settings.applying(business_product_id)

    def for_kind(self, kind: CaseKind) -> PlaybookSet:
        """The catalogue's actions for one kind of request."""
        return PlaybookSet(
            playbooks=self.catalogue.actions(kind),
            default=self.catalogue.default_action(kind),
            lookup_failed=self.catalogue.lookup_failed_action(kind),
        )

    def choose(
        self, codes: list[str], *, lookup_ok: bool, kind: CaseKind = "deletion"
    ) -> tuple[str, Resubmit | Close | Escalate]:
        """The (code, playbook) that decides for a ``kind`` task failing with ``codes``."""
        return self.for_kind(kind).choose(codes, lookup_ok=lookup_ok)


def parse_playbooks(text: str, source: str) -> PlaybooksFile:
    """Parse and validate a playbooks file; raise PlaybooksError naming ``source`` and the key."""
    return parse_config(text, source, PlaybooksFile, PlaybooksError)


def load_playbooks(text: str, source: str, catalogue: Catalogue | None = None) -> PlaybooksConfig:
    """The playbooks file ``text`` with ``catalogue`` (default: the shipped one); raise
    PlaybooksError naming ``source`` and the key."""
    return PlaybooksConfig(parse_playbooks(text, source), catalogue or shipped_catalogue())


__all__ = [
    "DATA_SUBJECT_NOT_FOUND",
    "ORDERS_NOT_CLOSED",
    "Close",
    "Escalate",
    "Mode",
    "PlaybookSet",
    "PlaybooksConfig",
    "PlaybooksError",
    "PlaybooksFile",
    "Resubmit",
    "load_playbooks",
    "parse_playbooks",
]
