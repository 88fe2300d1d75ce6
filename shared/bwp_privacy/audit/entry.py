"""One entry of the audit trail, and the entries a case's transitions make."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bwp_privacy.common import iso_z

#: What an entry is about: ``case:<case id>`` (most), ``task:<task id>`` (a task no case
#: holds), ``dlq:<queue>`` (a redrive or discard), ``export`` (an auditor's export).
SUBJECT_CASE = "case"
SUBJECT_TASK = "task"
SUBJECT_DLQ = "dlq"
SUBJECT_EXPORT = "export"
#: A silence's entries: made, expired, ended (``silence:<id>``).
SUBJECT_SILENCE = "silence"


def subject(kind: str, ref: str = "") -> str:
    """The partition an entry is kept under (``case:abc``; ``export`` has no ref)."""
    return f"{kind}:{ref}" if ref else kind


class AuditEntry(BaseModel):
    """What was done, when, by whom, on what input, and what came of it.

    ``entry_id`` is what makes an entry once: a case's transition has a stable one (its
    index), so writing it again (a retried input) is refused as a duplicate, not doubled."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    subject: str = Field(min_length=1, max_length=300)
    at: datetime
    entry_id: str = Field(alias="entryId", min_length=1, max_length=100)
    actor: str = Field(min_length=1, max_length=300)
    action: str = Field(min_length=1, max_length=100)
    input: str = Field(max_length=2000)
    outcome: str = Field(max_length=2000)
    detail: dict[str, str] = Field(default_factory=dict)
    expires_at: datetime = Field(alias="expiresAt")

    @property
    def sort_key(self) -> str:
        """Entries of a subject sort by time, then id (the same for every write of it)."""
        return f"{iso_z(self.at, 'milliseconds')}#{self.entry_id}"

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def new(
        cls,
        subject_: str,
        *,
        at: datetime,
        actor: str,
        action: str,
        input_: str,
        outcome: str,
        retention_days: int,
        detail: Mapping[str, str] | None = None,
        keep_from: datetime | None = None,
    ) -> AuditEntry:
        """An entry with a fresh id (one per operator command or delivery), kept
        ``retention_days`` after ``keep_from`` (default: its own time)."""
        return cls(
            subject=subject_,
            at=at,
            entry_id=uuid.uuid4().hex,
            actor=actor,
            action=action,
            input=input_,
            outcome=outcome,
            detail=dict(detail or {}),
            expires_at=max(keep_from or at, at) + timedelta(days=retention_days),
        )
