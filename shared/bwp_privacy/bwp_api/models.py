"""What the API answers about a privacy task (never the data subject, never a retrieval's link)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bwp_privacy.common import mask_emails


class TaskError(BaseModel):
    """`PersonalDataTaskError`: code is nullable, message is not (masked for emails)."""

    model_config = ConfigDict(frozen=True)

    code: str | None = Field(None, max_length=256)
    message: str = Field(max_length=4096)

    @field_validator("message", mode="before")
    @classmethod
    def _mask(cls, value: object) -> object:
        return mask_emails(value[:4096]) if isinstance(value, str) else value


class PrivacyTask(BaseModel):
    """What a deletion and a retrieval task share, as our queries select it; unknown fields
    are dropped (the data subject and a retrieval's link are never selected, and would not be
    kept if an answer carried them)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    task_id: str = Field(alias="taskId")
    status: str
    submission_date: str | None = Field(None, alias="submissionDate")
    last_updated_date: str | None = Field(None, alias="lastUpdatedDate")
    errors: list[TaskError] = Field(default_factory=list)

    @field_validator("errors", mode="before")
    @classmethod
    def _null_is_empty(cls, value: object) -> object:
        if isinstance(value, list):
            return [item for item in value if item is not None]
        return [] if value is None else value


class DeletionTask(PrivacyTask):
    """`PersonalDataDeletionTask`: a privacy task with a holding period."""

    holding_period: int | None = Field(None, alias="holdingPeriod")


class RetrievalTask(PrivacyTask):
    """`PersonalDataRetrievalTask`: no holding period; its `dataRetrievalLink` (a pre-signed
    link to the shopper's data) is never requested."""
