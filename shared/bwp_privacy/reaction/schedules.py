"""One-time EventBridge Scheduler schedules, one per attempt and one per silence's end:
``at(...)`` in UTC, deleted after they fire, with a retry policy and a dead-letter queue. The
target is the reaction; the input names the case and the attempt (or the silence), nothing
about the shopper."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

ATTEMPT_DUE = "bwp-privacy.attempt-due"


SILENCE_ENDED = "bwp-privacy.silence-ended"


class SilenceEndedInput(BaseModel):
    """A silence's end schedule's ``Input``: which silence ended (its open cases are
    released: the router tells the receivers where it muted their alerts)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    kind: str = Field(SILENCE_ENDED, pattern=f"^{SILENCE_ENDED}$")
    silence_id: str = Field(alias="silenceId", pattern=r"^s[0-9a-f]{16}$")


class AttemptDueInput(BaseModel):
    """The schedule's ``Input``: which attempt of which case is due."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    kind: str = Field(ATTEMPT_DUE, pattern=f"^{ATTEMPT_DUE}$")
    #: A case's id is its first task's: as long as an id may be (256, `IDENTIFIER`), or the
    #: schedule of a case with a longer one could never be made.
    case_id: str = Field(alias="caseId", min_length=1, max_length=256)
    attempt: int = Field(ge=1, le=1000)


#: Scheduler's largest flexible window (24 hours).
MAX_WINDOW_MINUTES = 1440


def flexible_window(at: datetime, latest: datetime | None, window_minutes: int) -> dict[str, Any]:
    """The schedule's ``FlexibleTimeWindow``: Scheduler invokes the target at a time it picks
    between ``at`` and ``at`` + the window, so a storm's attempts, planned for the same
    second a week after the storm, reach the API spread over the window instead of at once.
    The window never reaches past ``latest`` (the planning deadline less the playbook's
    margin); ``OFF`` when less than a minute is left or no window is asked."""
    if latest is None or window_minutes <= 0:
        return {"Mode": "OFF"}
    room = (latest - at) // timedelta(minutes=1)
    minutes = min(window_minutes, MAX_WINDOW_MINUTES, room)
    if minutes < 1:
        return {"Mode": "OFF"}
    return {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": minutes}


@dataclass(frozen=True, slots=True)
class SchedulerTarget:
    """Where schedules send their input and with which role (from the stack)."""

    group: str
    target_arn: str
    role_arn: str
    dead_letter_arn: str
    #: Scheduler's own retries when the target refuses (its maximum is 185 attempts in 24 h).
    max_retry_attempts: int = 185
    max_event_age_seconds: int = 86400
    #: Attempts' flexible window (template AttemptWindowMinutes; 0: fired at their second).
    attempt_window_minutes: int = 0


class AttemptScheduler:
    """Creates and deletes the attempt schedules; both are safe to repeat."""

    def __init__(self, client: Any, target: SchedulerTarget) -> None:
        self._client = client
        self._target = target

    def schedule(
        self,
        name: str,
        case_id: str,
        attempt: int,
        at: datetime,
        *,
        latest: datetime | None = None,
    ) -> bool:
        """Create the attempt's schedule, due from ``at`` within the flexible window (never
        past ``latest``); False when it exists already (an earlier try created it)."""
        payload = AttemptDueInput(case_id=case_id, attempt=attempt)
        window = flexible_window(at, latest, self._target.attempt_window_minutes)
        return self.schedule_input(name, payload.model_dump(by_alias=True), at, window=window)

    def schedule_input(
        self,
        name: str,
        payload: dict[str, Any],
        at: datetime,
        *,
        window: dict[str, Any] | None = None,
    ) -> bool:
        """A one-time schedule in the group that hands ``payload`` to the reaction at ``at``
        (an attempt, a silence's end: at its second unless a ``window`` is given); False when
        it exists already."""
        try:
            self._client.create_schedule(
                Name=name,
                GroupName=self._target.group,
                ScheduleExpression=f"at({at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow=window or {"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                State="ENABLED",
                Target={
                    "Arn": self._target.target_arn,
                    "RoleArn": self._target.role_arn,
                    "Input": json.dumps(payload),
                    "RetryPolicy": {
                        "MaximumRetryAttempts": self._target.max_retry_attempts,
                        "MaximumEventAgeInSeconds": self._target.max_event_age_seconds,
                    },
                    "DeadLetterConfig": {"Arn": self._target.dead_letter_arn},
                },
            )
        except self._client.exceptions.ConflictException:
            return False
        return True

    def cancel(self, name: str) -> bool:
        """Delete the schedule; False when it is gone already (fired, or deleted before)."""
        try:
            self._client.delete_schedule(Name=name, GroupName=self._target.group)
        except self._client.exceptions.ResourceNotFoundException:
            return False
        return True
