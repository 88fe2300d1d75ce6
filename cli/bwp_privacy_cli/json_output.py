"""The --json vocabulary the commands share with the modules below them: the base of every
--json model (the types are the documented ones: integers, null, ISO-8601 UTC), the target, a
stored failure, a replayed event's result and a dead letter. Each command declares its own
top-level models beside it and registers them (`command_registry`); `schemas/` holds their
JSON Schemas (`make cli-schemas`)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bwp_privacy.contract import TaskFailure

__all__ = [
    "CaseEffectOut",
    "DlqMessageOut",
    "DlqRedrivenOut",
    "JsonOut",
    "ReplayResultOut",
    "RunEffect",
    "StoredFailure",
    "TargetOut",
    "iso_from_epoch",
    "iso_from_millis",
]


class JsonOut(BaseModel):
    """The base of every --json model: fields by their alias or name, nothing unknown."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class TargetOut(JsonOut):
    """Where the command acted: the sandbox, or a deployed stack in a region."""

    env: str
    stack: str | None
    region: str | None


class StoredFailure(TaskFailure):
    """A stored failure: the published message (schema 1.x, every key, nulls kept) and what
    the failures table adds to it."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    codes: list[str] = Field(alias="errorCodes")
    received_day: str = Field(alias="receivedDay")
    expires_at: str = Field(alias="expiresAt", description="ISO-8601 UTC: when TTL removes it")
    published_at: str | None = Field(alias="publishedAt")
    message_id: str | None = Field(alias="messageId")

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> StoredFailure:
        """A failures-table item (as the store reads it) in the documented types."""
        values = {key: _plain(value) for key, value in item.items()}
        values.pop("primaryErrorCode", None)
        values["expiresAt"] = iso_from_epoch(values.get("expiresAt"))
        values.setdefault("publishedAt", None)
        values.setdefault("messageId", None)
        return cls.model_validate(values)


class RunEffect(JsonOut):
    """What one run of the handler did (or found already done) for an event."""

    stored: bool
    published: bool
    message_id: str | None = Field(alias="messageId")


class CaseEffectOut(JsonOut):
    """What ReactionFunction did with a COMPLETED event."""

    outcome: str = Field(
        description="moved (its case completed), kept (no case holds the task yet: applied when "
        "one links it) or unchanged"
    )
    case_id: str | None = Field(alias="caseId")
    state: str | None = Field(description="the case's state after it")


class ReplayResultOut(JsonOut):
    origin: str
    outcome: Literal[
        "published", "stored", "duplicate", "reacted", "looked-up", "rejected", "failed", "held"
    ] = Field(
        description="FAILED events go to RecorderFunction (published, stored, duplicate), "
        "COMPLETED events to ReactionFunction (reacted), as the template's rules route them"
    )
    detail: str
    task_id: str | None = Field(alias="taskId")
    event_id: str | None = Field(alias="eventId")
    this_run: RunEffect | None = Field(alias="thisRun", description="null when nothing ran")
    earlier: RunEffect | None = Field(description="for a duplicate: what an earlier run did")
    failure: TaskFailure | None = Field(description="a dry run's failure message")
    held_until: str | None = Field(alias="heldUntil", description="ISO-8601 UTC, for held")
    case: CaseEffectOut | None = Field(
        description="for a COMPLETED event: what the reaction did with it"
    )


class DlqMessageOut(JsonOut):
    queue: Literal[
        "rule-dlq", "on-failure", "router-dlq", "reaction-dlq", "schedule-dlq", "inbound-dlq"
    ]
    message_id: str = Field(alias="messageId")
    sent_at: str | None = Field(alias="sentAt", description="ISO-8601 UTC")
    task_id: str | None = Field(alias="taskId")
    event_id: str | None = Field(alias="eventId")
    reason: str
    receiver: str | None = Field(description="router-dlq: the receiver that refused it")


class DlqRedrivenOut(DlqMessageOut):
    redriven: bool
    detail: str


def iso_from_epoch(value: Any) -> str:
    """An epoch (seconds) as ISO-8601 UTC; an ISO string stays as it is."""
    if isinstance(value, str) and not value.isdigit():
        return value
    return datetime.fromtimestamp(int(value), UTC).isoformat().replace("+00:00", "Z")


def iso_from_millis(value: Any) -> str | None:
    """SQS's SentTimestamp (epoch milliseconds, as a string) as ISO-8601 UTC."""
    if value in (None, ""):
        return None
    moment = datetime.fromtimestamp(int(value) / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _plain(value: Any) -> Any:
    """DynamoDB's numbers (Decimal) as int or float, in nested values too."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value
