"""Playbooks as data: what the reaction does about each error code, for each kind of request
(deletion at the top level, retrieval in its own ``retrieval`` section), and the legal clocks
it plans against (the same for both: an access request has the same 45 days under CCPA and
one month under GDPR). A playbooks file is JSON, validated like the routes: every error names
the file and the key (or the line), so a broken file fails loudly instead of reacting wrongly.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from bwp_privacy.common import BwpPrivacyError, Duration, duration_seconds, parse_config
from bwp_privacy.reaction.case import CaseKind
from bwp_privacy.reaction.clock import Jurisdiction

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


class PlaybooksConfig(BaseModel):
    """The whole playbooks file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    mode: Mode = Mode.RESUBMIT
    jurisdictions: dict[str, Jurisdiction] = Field(min_length=1)
    applies: list[str] = Field(min_length=1)
    plan_within: Literal["initial", "extended"] = "extended"
    playbooks: dict[str, Playbook] = Field(default_factory=dict)
    default: Playbook
    lookup_failed: Escalate
    #: The retrieval (access request) playbooks; a file without the section gets the default.
    retrieval: PlaybookSet = DEFAULT_RETRIEVAL

    @model_validator(mode="after")
    def _applies_names_jurisdictions(self) -> PlaybooksConfig:
        unknown = [name for name in self.applies if name not in self.jurisdictions]
        if unknown:
            raise ValueError(
                f"applies: {', '.join(unknown)} is not in jurisdictions "
                f"({', '.join(sorted(self.jurisdictions))})"
            )
        return self

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

    def applying(self) -> dict[str, Jurisdiction]:
        """The jurisdictions whose deadlines bind a case."""
        return {name: self.jurisdictions[name] for name in self.applies}

    def choose(
        self, codes: list[str], *, lookup_ok: bool, kind: CaseKind = "deletion"
    ) -> tuple[str, Resubmit | Close | Escalate]:
        """The (code, playbook) that decides for a ``kind`` task failing with ``codes``."""
        return self.for_kind(kind).choose(codes, lookup_ok=lookup_ok)


def load_playbooks(text: str, source: str) -> PlaybooksConfig:
    """Parse and validate a playbooks file; raise PlaybooksError naming ``source`` and the key."""
    return parse_config(text, source, PlaybooksConfig, PlaybooksError)
