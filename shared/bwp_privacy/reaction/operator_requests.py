"""What an operator may ask the reaction to do (`bwp-privacy cases …`, `task cancel`,
`silence add|expire`), and the audit records an operator's own work leaves (a dead-letter
redrive, an export): the body of a request to the reaction's function URL, held to its model
before anything is done.

Nothing here says who asks, or when: the caller is the identity AWS authenticated the request
with, and the time is the function's (`operator_endpoint`). A request that names an actor, a
time or a retention is refused (``extra="forbid"``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, model_validator

from bwp_privacy.cases import ClosedAs, DeniedBecause
from bwp_privacy.common import IDENTIFIER, clean_text
from bwp_privacy.silences import MAX_SECONDS, MIN_SECONDS, SILENCE_ID, Matchers, SilenceReason

#: A case's or a task's id (a case is named after its first task): an identifier's grammar.
Id = Annotated[str, Field(pattern=f"^{IDENTIFIER.pattern}$")]


def _kept(limit: int, *, required: bool = False) -> AfterValidator:
    # Free text an operator typed is kept in the case's record and the audit trail, and shown
    # in alerts and the CLI: masked for emails and on one line where it comes in, as all text
    # from outside is. A required text must still say something once cleaned (spaces or
    # control characters alone are no reason).
    def clean(text: str) -> str:
        kept = clean_text(text, limit)
        if required and not kept:
            raise ValueError("must hold text, not only spaces or control characters")
        return kept

    return AfterValidator(clean)


#: An operator's reason.
Reason = Annotated[str, Field(min_length=1, max_length=1000), _kept(1000, required=True)]
#: Text of a record the CLI composes (what was asked, what came of it).
RecordText = Annotated[str, Field(max_length=1000), _kept(1000)]


def _aware(moment: datetime) -> datetime:
    """A moment with its zone, in UTC (a date at the calendar's edge that UTC cannot hold is
    refused here, not by whatever computes with it later)."""
    if moment.tzinfo is None:
        raise ValueError("must carry a time zone")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None


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
    #: Required, with no default: a request answered through other means (merchant support)
    #: must never be counted as cancelled because the caller left it out.
    closed_as: ClosedAs = Field(alias="closedAs")
    #: A denial's category (CCPA § 7102's), given with a denial and only with one.
    denied_because: DeniedBecause | None = Field(None, alias="deniedBecause")

    @model_validator(mode="after")
    def _category_with_a_denial(self) -> CloseRequest:
        if self.closed_as == "denied" and self.denied_because is None:
            raise ValueError(
                "deniedBecause: a denial says on what ground: unverifiable, not-a-consumer,"
                " exempt or other"
            )
        if self.closed_as != "denied" and self.denied_because is not None:
            raise ValueError(f"deniedBecause: only a denial has one (closedAs is {self.closed_as})")
        return self


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


class AppealRequest(_Request):
    """The shopper appealed how their request was answered (`cases appeal`)."""

    action: Literal["appeal"]
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
    outcome: Annotated[str, Field(min_length=1, max_length=1000), _kept(1000, required=True)]
    detail: dict[
        Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")],
        Annotated[str, Field(max_length=1000), _kept(1000)],
    ] = Field(default_factory=dict, max_length=20)


class RedriveRequest(_Request):
    """A parked asynchronous input of the reaction sent to it again (`dlq redrive`): an
    attempt schedule's input or a COMPLETED event, as Lambda or Scheduler parked it. Operators
    may not invoke the reaction directly (`AuditGuardPolicy`): that would let anyone hand it a
    request naming any caller. Carried out here, the redrive is the operator's, and recorded."""

    action: Literal["redrive"]
    #: The parked message's id: where the input came from, for the record.
    origin: Id
    input: dict[str, Any]


class InboundRedriveRequest(_Request):
    """Carry out again the inbound actions parked in InboundQueue's dead-letter queue
    (`dlq redrive --queue inbound-dlq`): named by their message ids, or the first ``limit``.
    The reaction reads them from the queue itself: an operator never hands it an action's body,
    which names who acted (`bwp_privacy.reaction.inbound_redrive`)."""

    action: Literal["inbound-redrive"]
    message_ids: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,100}$")]] = Field(
        default_factory=list, alias="messageIds", max_length=100
    )
    limit: int = Field(10, ge=1, le=100)


class SilenceAddRequest(_Request):
    """Mute the alerts whose labels all match ``match`` for ``forSeconds`` (`silence add`,
    Slack's "silence" button: the same body)."""

    action: Literal["silence-add"]
    #: 1 to 5 of the router's alert labels, each value held to its label's grammar.
    match: Matchers
    #: From a quarter of an hour to a week.
    for_seconds: int = Field(alias="forSeconds", ge=MIN_SECONDS, le=MAX_SECONDS)
    reason: SilenceReason


class SilenceExpireRequest(_Request):
    """End a silence now (`silence expire`): its cases' alerts are told at once."""

    action: Literal["silence-expire"]
    silence_id: str = Field(alias="silenceId", pattern=f"^{SILENCE_ID.pattern}$")
    reason: SilenceReason | None = None


OperatorRequest = Annotated[
    ResubmitRequest
    | CloseRequest
    | ExtendRequest
    | SetReceivedRequest
    | AppealRequest
    | LinkRequest
    | TaskCancelRequest
    | RecordRequest
    | RedriveRequest
    | InboundRedriveRequest
    | SilenceAddRequest
    | SilenceExpireRequest,
    Field(discriminator="action"),
]
