"""What the API answers about a privacy task (never the data subject, never a retrieval's link).

These models are where the API's text comes in: every string is held to its grammar (codes,
status, dates, the task id) or masked, put on one line and bounded (messages) here, so that
what they keep is safe wherever it goes (the message, its attributes, the item, metrics, logs,
alerts, a case's reason, a terminal)."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bwp_privacy.common import IDENTIFIER, clean_text, held_to, parse_iso
from bwp_privacy.contract import UNRECOGNISED_CODE, UNRECOGNISED_STATUS
from bwp_privacy.task_kinds import task_kind

#: The longest error message kept (characters; the published contract's bound).
MESSAGE_LIMIT = 4096
#: A task error's code: what the API documents (ORDERS_NOT_CLOSED, DATA_SUBJECT_NOT_FOUND) and
#: any code like them. Anything else is kept as `UNRECOGNISED_CODE`, without its text: a code
#: goes where free text must not (a metric dimension, a message attribute, a route's label).
ERROR_CODE = re.compile(r"[A-Z0-9_]{1,64}")
#: The statuses the API documents for a privacy task; any other is `UNRECOGNISED_STATUS`.
STATUSES = frozenset({"IN_PROGRESS", "ON_HOLD", "COMPLETED", "FAILED"})
#: A date as the API writes one (ISO-8601: ``2026-10-02T09:12:44.638498Z``), offset optional.
#: Anything else, or no real time, is kept as None (unknown).
ISO_DATE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})?"
)
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


def task_date(value: object) -> str | None:
    """An API date as kept: the API's text when it is an ISO-8601 time, else None."""
    if isinstance(value, str) and ISO_DATE.fullmatch(value) and parse_iso(value) is not None:
        return value
    return None


class TaskError(BaseModel):
    """`PersonalDataTaskError`: code is nullable (held to `ERROR_CODE`), message is not (emails
    masked, one line, at most `MESSAGE_LIMIT` characters)."""

    model_config = ConfigDict(frozen=True)

    code: str | None = Field(None, pattern=f"^{ERROR_CODE.pattern}$")
    message: str = Field(max_length=MESSAGE_LIMIT)

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, value: object) -> object:
        return None if value is None else held_to(value, ERROR_CODE, UNRECOGNISED_CODE)

    @field_validator("message", mode="before")
    @classmethod
    def _message(cls, value: object) -> object:
        return clean_text(value, MESSAGE_LIMIT) if isinstance(value, str) else value


class PrivacyTask(BaseModel):
    """What a deletion and a retrieval task share, as our queries select it; unknown fields
    are dropped (the data subject and a retrieval's link are never selected, and would not be
    kept if an answer carried them). Only the first errors are kept (`MAX_TASK_ERRORS`,
    `MAX_TASK_ERRORS_BYTES`); ``errors_omitted`` counts the others."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    #: An id as events name tasks (`IDENTIFIER`): one that is not is an answer of the wrong
    #: shape, refused like any other.
    task_id: str = Field(alias="taskId", pattern=f"^{IDENTIFIER.pattern}$")
    status: str
    submission_date: str | None = Field(None, alias="submissionDate")
    last_updated_date: str | None = Field(None, alias="lastUpdatedDate")
    errors: list[TaskError] = Field(default_factory=list)
    #: Not the API's: how many of its errors were left out.
    errors_omitted: int = Field(0, alias="errorsOmitted", ge=0)

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: object) -> str:
        return value if isinstance(value, str) and value in STATUSES else UNRECOGNISED_STATUS

    @field_validator("submission_date", "last_updated_date", mode="before")
    @classmethod
    def _date(cls, value: object) -> str | None:
        return task_date(value)

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


def task_model(kind: str) -> type[PrivacyTask]:
    """The model a task of ``kind`` is read into: a task with a holding period keeps it
    (`DeletionTask`), one without has none to keep (`RetrievalTask`)."""
    return DeletionTask if task_kind(kind).holding_period else RetrievalTask
