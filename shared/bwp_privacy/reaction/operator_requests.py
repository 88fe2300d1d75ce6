"""What an operator may ask the reaction to do (`bwp-privacy cases …`, `task cancel`), and the
audit records an operator's own work leaves (a dead-letter redrive, an export): the body of a
request to the reaction's function URL, held to its model before anything is done.

Nothing here says who asks, or when: the caller is the identity AWS authenticated the request
with, and the time is the function's (`operator_endpoint`). A request that names an actor, a
time or a retention is refused (``extra="forbid"``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr

from bwp_privacy.common import IDENTIFIER, clean_text
from bwp_privacy.reaction.case import ClosedAs

#: A case's or a task's id (a case is named after its first task): an identifier's grammar.
Id = Annotated[str, Field(pattern=f"^{IDENTIFIER.pattern}$")]


def _kept(limit: int) -> AfterValidator:
    # Free text an operator typed is kept in the case's record and the audit trail, and shown
    # in alerts and the CLI: masked for emails and on one line where it comes in, as all text
    # from outside is.
    return AfterValidator(lambda text: clean_text(text, limit))


#: An operator's reason.
Reason = Annotated[str, Field(min_length=1, max_length=1000), _kept(1000)]
#: Text of a record the CLI composes (what was asked, what came of it).
RecordText = Annotated[str, Field(max_length=1000), _kept(1000)]


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("must carry a time zone")
    return moment


class _Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class ResubmitRequest(_Request):
    action: Literal["resubmit"]
    case_id: Id = Field(alias="caseId")
    #: The shopper's email when the failed task no longer holds it: passed to the start
    #: mutation in memory, never stored, logged or answered.
    email: SecretStr | None = Field(None, max_length=320)


class CloseRequest(_Request):
    action: Literal["close"]
    case_id: Id = Field(alias="caseId")
    reason: Reason
    closed_as: ClosedAs = Field(alias="closedAs")


class ExtendRequest(_Request):
    action: Literal["extend"]
    case_id: Id = Field(alias="caseId")
    jurisdiction: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_-]+$")
    reason: Reason


class SetReceivedRequest(_Request):
    action: Literal["set-received"]
    case_id: Id = Field(alias="caseId")
    received: Annotated[datetime, AfterValidator(_aware)]
    reason: Reason


class LinkRequest(_Request):
    action: Literal["link"]
    case_id: Id = Field(alias="caseId")
    task_id: Id = Field(alias="taskId")


class TaskCancelRequest(_Request):
    action: Literal["task-cancel"]
    task_id: Id = Field(alias="taskId")
    business_product_id: Id = Field(alias="businessProductId")


class RecordRequest(_Request):
    """An operator's own work on what is not a case, recorded: a dead-letter queue's redrive
    or discard, an export of the request log. A case's history is only ever written by what
    changes the case, so a record may not be about one."""

    action: Literal["record"]
    subject: str = Field(pattern=r"^(dlq:[a-z,-]{1,200}|export)$")
    name: Literal["dlq redrive", "dlq discard", "cases export"]
    input: RecordText
    outcome: Annotated[RecordText, Field(min_length=1)]
    detail: dict[
        Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")],
        Annotated[str, Field(max_length=1000), _kept(1000)],
    ] = Field(default_factory=dict, max_length=20)


OperatorRequest = Annotated[
    ResubmitRequest
    | CloseRequest
    | ExtendRequest
    | SetReceivedRequest
    | LinkRequest
    | TaskCancelRequest
    | RecordRequest,
    Field(discriminator="action"),
]
