"""What the reaction does about a failed task: resubmit it later, close the case, or escalate
to a person. One of these per error code and task kind in the catalogue."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from bwp_privacy.common import Duration, duration_seconds
from bwp_privacy.task_kinds import TaskKindName

#: The kinds of privacy task an entry holds an action for: a kind's name.
Kind = TaskKindName

#: The shortest wait before an attempt. Each attempt is a one-time EventBridge Scheduler
#: schedule, ``at(now + wait)`` with ``now`` taken at the decision; CreateSchedule comes after
#: it in the same invocation, with the SDK's retries: a wait of seconds can put ``at()`` in the
#: past by the time the schedule exists. Five minutes is five times the reaction's 60 s
#: timeout (template Globals), and far below any useful wait (the shipped catalogue waits 7 days).
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


class Resubmit(BaseModel):
    """Start a new task later, then again every interval, while the deadline allows."""

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
    """Nothing is left to do: the case closes with this basis."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Literal["close"]
    basis: str = Field(min_length=1, max_length=500)


class Escalate(BaseModel):
    """A person must act: a critical alert that says why and what to do."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Literal["escalate"]
    advice: str = Field(min_length=1, max_length=1000)


#: One action, told apart by its ``action`` key (so an error names the kind it expected).
Action = Annotated[Resubmit | Close | Escalate, Field(discriminator="action")]


class CodeActions(BaseModel):
    """An error code's action per task kind; a kind left out takes the default entry's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    deletion: Action | None = None
    retrieval: Action | None = None

    def get(self, kind: Kind) -> Resubmit | Close | Escalate | None:
        """The action for ``kind``; None when this entry leaves it to the default."""
        action: Resubmit | Close | Escalate | None = getattr(self, kind)
        return action


class DefaultActions(CodeActions):
    """The default entry's actions: every kind has one, for every code no entry covers."""

    deletion: Action
    retrieval: Action


class LookupFailedActions(CodeActions):
    """A failed lookup's actions: the task's errors are unknown, so a person decides."""

    deletion: Escalate
    retrieval: Escalate
