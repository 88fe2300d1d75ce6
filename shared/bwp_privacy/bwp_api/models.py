"""What the API answers about a privacy task (never the data subject, never a retrieval's link)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bwp_privacy.common import mask_emails

#: The longest error message kept (characters; the published contract's bound).
MESSAGE_LIMIT = 4096
#: A message is masked on this much more than is kept, so that an address the cut falls in is
#: whole when it is masked (RFC 5321: a 64-character local part, "@", a 255-character domain).
_EMAIL_SPAN = 64 + 1 + 255
#: The errors kept of one task: its first ones. Buy with Prime sets no bound on a task's
#: errors, and each copy of a failure has a hard size limit: the SNS message and an
#: EventBridge PutEvents entry 256 KB, the failures-table item 400 KB, the alert with its
#: runbooks and codes on top. On-call acts on the first few; the others are counted
#: (``errorsOmitted``), never dropped unsaid. Twenty is what Teams shows of a task.
MAX_TASK_ERRORS = 20
#: ...and no more of them than this as published JSON, escapes included (a message of 4,096
#: characters takes up to 49 KB escaped): an eighth of the SNS and EventBridge limits, which
#: leaves room for the codes (again in the errorCode attribute and the alert) and runbooks.
#: The first error is kept whatever its size, so that its code always routes the failure.
MAX_TASK_ERRORS_BYTES = 32 * 1024


class TaskError(BaseModel):
    """`PersonalDataTaskError`: code is nullable, message is not (masked for emails)."""

    model_config = ConfigDict(frozen=True)

    code: str | None = Field(None, max_length=256)
    message: str = Field(max_length=MESSAGE_LIMIT)

    @field_validator("message", mode="before")
    @classmethod
    def _mask(cls, value: object) -> object:
        # Cut after masking too: a mask can be longer than the address it hides.
        if not isinstance(value, str):
            return value
        return mask_emails(value[: MESSAGE_LIMIT + _EMAIL_SPAN])[:MESSAGE_LIMIT]


class PrivacyTask(BaseModel):
    """What a deletion and a retrieval task share, as our queries select it; unknown fields
    are dropped (the data subject and a retrieval's link are never selected, and would not be
    kept if an answer carried them). Only the first errors are kept (`MAX_TASK_ERRORS`,
    `MAX_TASK_ERRORS_BYTES`); ``errors_omitted`` counts the others."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    task_id: str = Field(alias="taskId")
    status: str
    submission_date: str | None = Field(None, alias="submissionDate")
    last_updated_date: str | None = Field(None, alias="lastUpdatedDate")
    errors: list[TaskError] = Field(default_factory=list)
    #: Not the API's: how many of its errors were left out.
    errors_omitted: int = Field(0, alias="errorsOmitted", ge=0)

    @model_validator(mode="before")
    @classmethod
    def _first_errors(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("errors"), list):
            return data
        listed = [item for item in data["errors"] if item is not None]
        kept = first_errors(listed)
        return {**data, "errors": kept, "errorsOmitted": len(listed) - len(kept)}

    @field_validator("errors", mode="before")
    @classmethod
    def _null_is_empty(cls, value: object) -> object:
        if isinstance(value, list):
            return [item for item in value if item is not None]
        return [] if value is None else value


def first_errors(listed: list[Any]) -> list[Any]:
    """The first of ``listed`` within `MAX_TASK_ERRORS` and `MAX_TASK_ERRORS_BYTES` (the
    first one always). One that is not a valid error is kept as it is: the field's own
    validation then says which and why."""
    kept: list[Any] = []
    size = 0
    for item in listed[:MAX_TASK_ERRORS]:
        try:
            error = TaskError.model_validate(item)
        except ValidationError:
            kept.append(item)
            continue
        # As published: compact JSON, every character beyond ASCII escaped (the largest form).
        size += len(json.dumps(error.model_dump(), separators=(",", ":"))) + 1
        if kept and size > MAX_TASK_ERRORS_BYTES:
            break
        kept.append(error)
    return kept


class DeletionTask(PrivacyTask):
    """`PersonalDataDeletionTask`: a privacy task with a holding period."""

    holding_period: int | None = Field(None, alias="holdingPeriod")


class RetrievalTask(PrivacyTask):
    """`PersonalDataRetrievalTask`: no holding period; its `dataRetrievalLink` (a pre-signed
    link to the shopper's data) is never requested."""
