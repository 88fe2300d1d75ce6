"""The failure message ``bwp-privacy.deletion-task-failure`` 1.2: what the recorder stores
and publishes, and what every consumer (the alert router, the CLI, other teams) reads.

It depends on nothing of the project: the API client's models may change without changing
what is published, and a consumer can copy this module as it is."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.2"
#: Which privacy task failed. 1.1 added it (a 1.0 message is a deletion): the schema keeps its
#: name, so every 1.0 consumer still reads a 1.1 message; one that handles deletions only
#: filters on ``taskKind`` (or the ``detailType`` attribute).
TaskKind = Literal["deletion", "retrieval"]
#: errorCode attribute value for an error whose code is null.
UNSPECIFIED_CODE = "UNSPECIFIED"
#: errorCode attribute value when there is no task error at all (the lookup failed).
NO_ERROR_CODE = "NONE"
#: An error code (a task error's, or a failed lookup's ``errorCode``) that is not a code: the
#: API's text did not fit the code grammar, so it is not kept, not even in part.
UNRECOGNISED_CODE = "UNRECOGNISED_CODE"
#: ``status`` when the API answered none of the documented statuses (IN_PROGRESS, ON_HOLD,
#: COMPLETED, FAILED): its text is not kept.
UNRECOGNISED_STATUS = "UNRECOGNISED_STATUS"


class TaskError(BaseModel):
    """One of the task's errors as the API gave it (``PersonalDataTaskError``): a code, which
    may be null, and a message (the recorder masks email addresses in it)."""

    model_config = ConfigDict(frozen=True)

    code: str | None = Field(None, max_length=256)
    message: str = Field(max_length=4096)


class LookupStatus(StrEnum):
    """How the personalDataDeletionTask lookup went."""

    OK = "OK"
    RESOURCE_NOT_FOUND = "RESOURCE_NOT_FOUND"
    ACCESS_DENIED = "ACCESS_DENIED"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    UNKNOWN_ERROR = "UNKNOWN_ERROR"


class LookupOutcome(BaseModel):
    """The lookup status and, when it failed, the API's error (emails masked)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    status: LookupStatus
    error_type: str | None = Field(None, alias="errorType")
    error_code: str | None = Field(None, alias="errorCode")
    message: str | None = None


class TaskFailure(BaseModel):
    """A failed task of either kind (deletion or retrieval): the message schema
    ``bwp-privacy.deletion-task-failure`` 1.2 (docs/message-schemas.md). The schema keeps its
    first name so that consumers built against it go on matching; ``taskKind`` says which kind
    failed."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    schema_name: Literal["bwp-privacy.deletion-task-failure"] = Field(
        "bwp-privacy.deletion-task-failure", alias="schema"
    )
    schema_version: str = Field(SCHEMA_VERSION, alias="schemaVersion")
    event_id: str = Field(alias="eventId")
    event_time: str = Field(alias="eventTime")
    detail_type: str = Field(alias="detailType")
    task_kind: TaskKind = Field("deletion", alias="taskKind")
    replay_name: str | None = Field(None, alias="replayName")
    business_product_id: str = Field(alias="businessProductId")
    task_id: str = Field(alias="taskId")
    status: str | None = None
    submission_date: str | None = Field(None, alias="submissionDate")
    last_updated_date: str | None = Field(None, alias="lastUpdatedDate")
    holding_period: int | None = Field(None, alias="holdingPeriod")
    errors: list[TaskError] = Field(default_factory=list)
    #: How many of the task's errors are not in ``errors`` (only its first ones are kept: the
    #: API bounds neither their number nor the message's size). 1.2 added it; a message
    #: without it (1.0, 1.1) left none out.
    errors_omitted: int = Field(0, alias="errorsOmitted", ge=0)
    lookup: LookupOutcome
    received_at: str = Field(alias="receivedAt")

    @property
    def error_codes(self) -> list[str]:
        """Distinct error codes in order, null codes as UNSPECIFIED, none as [NONE]."""
        codes = dict.fromkeys(error.code or UNSPECIFIED_CODE for error in self.errors)
        return list(codes) or [NO_ERROR_CODE]

    def to_json_dict(self) -> dict[str, object]:
        """The published JSON form (camelCase, nulls kept so consumers see every key)."""
        return self.model_dump(mode="json", by_alias=True)
