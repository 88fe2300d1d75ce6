"""The catalogue: one entry per error code with its severity, its runbook text and its action
per task kind, then the default entry (every code no entry names) and the lookup-failed entry
(a failed task whose errors could not be read), in the same shape. The alert router reads the
severities and runbooks, the reaction the actions.

A catalogue is JSON, validated at load; every error names the file and the key (or the line,
for JSON syntax), so a broken catalogue fails loudly instead of alerting or reacting wrongly.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from bwp_privacy.catalogue.actions import (
    Close,
    CodeActions,
    DefaultActions,
    Escalate,
    Kind,
    LookupFailedActions,
    Resubmit,
)
from bwp_privacy.catalogue.severity import Severity
from bwp_privacy.common import BwpPrivacyError, parse_config

#: The documented code after which Buy with Prime says the merchant must resubmit.
ORDERS_NOT_CLOSED = "ORDERS_NOT_CLOSED"
#: The documented code for "no data for that email": nothing to delete or retrieve.
DATA_SUBJECT_NOT_FOUND = "DATA_SUBJECT_NOT_FOUND"

ErrorCode = Annotated[str, Field(min_length=1, max_length=200)]


class CatalogueError(BwpPrivacyError, ValueError):
    """The catalogue is invalid; the message names the file and the key or line."""


class Entry(BaseModel):
    """One error code: how loud its alert is, what on-call reads, what the reaction does."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    severity: Severity
    runbook: str = Field(min_length=1, max_length=1000)
    runbook_url: str | None = Field(None, pattern=r"^https://")
    #: Per task kind; a kind left out takes the default entry's action. A code only alerted
    #: about (a case notice's code, CASE_ESCALATED) needs none.
    actions: CodeActions = Field(default_factory=CodeActions)


class DefaultEntry(Entry):
    """The entry of every code the catalogue does not name: an action for every kind."""

    actions: DefaultActions


class LookupFailedEntry(Entry):
    """The entry of a failed task that could not be looked up: its errors are unknown."""

    actions: LookupFailedActions


class Catalogue(BaseModel):
    """The whole catalogue file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    codes: dict[ErrorCode, Entry] = Field(default_factory=dict)
    default: DefaultEntry
    lookup_failed: LookupFailedEntry

    @model_validator(mode="after")
    def _retrieval_holds_no_task(self) -> Catalogue:
        # A ValidationError with its own locations names the key that is wrong
        # (`codes.EXPORT_FAILED.actions.retrieval.holding_period_days`), as parse_config says it.
        named: list[tuple[tuple[str, ...], Entry]] = [
            (("codes", code), entry) for code, entry in self.codes.items()
        ]
        named.append((("default",), self.default))
        held = [
            InitErrorDetails(
                type=PydanticCustomError(
                    "holding_period", "must be 0 (a retrieval task has no holding period)"
                ),
                loc=(*loc, "actions", "retrieval", "holding_period_days"),
                input=action.holding_period_days,
            )
            for loc, entry in named
            if isinstance(action := entry.actions.retrieval, Resubmit)
            and action.holding_period_days
        ]
        if held:
            raise ValidationError.from_exception_data(type(self).__name__, held)
        return self

    def entry(self, code: str) -> Entry:
        """The entry of ``code``: its own, else the default one."""
        return self.codes.get(code, self.default)

    def action(self, code: str, kind: Kind) -> Resubmit | Close | Escalate:
        """What the reaction does about ``code`` for a ``kind`` task (the default's action when
        the code's entry has none for that kind)."""
        found = self.codes.get(code)
        own = found.actions.get(kind) if found is not None else None
        return own if own is not None else self.default_action(kind)

    def actions(self, kind: Kind) -> dict[str, Resubmit | Close | Escalate]:
        """Every code that names its own action for a ``kind`` task, with that action."""
        return {
            code: action
            for code, entry in self.codes.items()
            if (action := entry.actions.get(kind)) is not None
        }

    def default_action(self, kind: Kind) -> Resubmit | Close | Escalate:
        """The action of every code without one of its own for a ``kind`` task."""
        action: Resubmit | Close | Escalate = getattr(self.default.actions, kind)
        return action

    def lookup_failed_action(self, kind: Kind) -> Escalate:
        """The action when a failed ``kind`` task could not be looked up."""
        action: Escalate = getattr(self.lookup_failed.actions, kind)
        return action


def load_catalogue(text: str, source: str) -> Catalogue:
    """Parse and validate a catalogue; raise CatalogueError naming ``source`` and the key."""
    return parse_config(text, source, Catalogue, CatalogueError)
