"""Pydantic models of the Buy with Prime privacy-task events: PERSONAL_DATA_DELETION_TASK_FAILED
and _COMPLETED, PERSONAL_DATA_RETRIEVAL_TASK_FAILED and _COMPLETED. One envelope; each function
accepts the detail types it is for (the recorder FAILED, the reaction COMPLETED), and each
parsed event knows which kind of task it is about."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from bwp_privacy.common import IDENTIFIER, BwpPrivacyError, describe_validation_error, quoted
from bwp_privacy.contract import TaskKind
from bwp_privacy.partner_events.resources import (
    ParsedResource,
    ResourceFormatError,
    parse_resource,
)
from bwp_privacy.task_kinds import TASK_KINDS, kind_of_detail_type, task_kind

PARTNER_SOURCE_PREFIX = "aws.partner/buywithprime/"

TaskOutcome = Literal["FAILED", "COMPLETED"]
#: The detail types of the privacy-task events, by what they say happened (each kind's
#: description names its own).
FAILED_DETAIL_TYPES: tuple[str, ...] = tuple(k.failed_detail_type for k in TASK_KINDS.values())
COMPLETED_DETAIL_TYPES: tuple[str, ...] = tuple(
    k.completed_detail_type for k in TASK_KINDS.values()
)
if TYPE_CHECKING:
    FailedDetailType = str
    CompletedDetailType = str
else:
    # Literals built from the kinds' descriptions, so a detail type of no kind is refused
    # with the list of those accepted.
    FailedDetailType = Literal[FAILED_DETAIL_TYPES]
    CompletedDetailType = Literal[COMPLETED_DETAIL_TYPES]


def detail_type(kind: TaskKind, outcome: TaskOutcome) -> str:
    """The detail type of the event Buy with Prime publishes when a ``kind`` task ends so."""
    described = task_kind(kind)
    return described.failed_detail_type if outcome == "FAILED" else described.completed_detail_type


def task_kind_of(name: str) -> TaskKind | None:
    """The kind of task the detail type ``name`` is about (None: no privacy-task event)."""
    described = kind_of_detail_type(name)
    return None if described is None else described.name


# Bounds on what is accepted: an envelope from EventBridge is at most 256 KB, and nothing
# legitimate comes close to these.
MAX_RESOURCES = 20
MAX_DATA_DEPTH = 32
ShortStr = Annotated[str, StringConstraints(min_length=1, max_length=256)]
ResourceStr = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
# What EventBridge itself sets (not the partner): held to its grammar, as each is kept (the
# event id keys the failures item and is a case's cause) and logged.
EventId = Annotated[str, StringConstraints(pattern=f"^{IDENTIFIER.pattern}$")]
AccountId = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$")]
ReplayName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$")]


class InvalidEventError(BwpPrivacyError, ValueError):
    """The event cannot be processed; the message says what is wrong and where. It goes to
    the logs and the dead-letter queue: what it quotes of the event is `quoted` (emails masked,
    no control character, bounded), never the event's text as it came."""


class TaskEventDetail(BaseModel):
    """`detail`: `{}` on the privacy event pages, or the 2024-11-01 rich form."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    idempotency_key: ShortStr | None = Field(None, alias="idempotencyKey")
    event_descriptor: ShortStr | None = Field(None, alias="eventDescriptor")
    resources: list[ResourceStr] = Field(default_factory=list, max_length=MAX_RESOURCES)
    event_id: ShortStr | None = Field(None, alias="eventId")
    api_version: ShortStr | None = Field(None, alias="apiVersion")
    subscription_id: ShortStr | None = Field(None, alias="subscriptionId")
    event_time: datetime | None = Field(None, alias="eventTime")
    data: dict[str, Any] | None = None

    @field_validator("data")
    @classmethod
    def _bounded(cls, data: dict[str, Any] | None) -> dict[str, Any] | None:
        # Never read, only accepted: still, bound its shape so it costs nothing to hold.
        if data is not None and _depth(data) > MAX_DATA_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DATA_DEPTH} levels")
        return data


class PrivacyTaskEvent(BaseModel):
    """The whole EventBridge envelope, `resources` kept (Powertools' EventBridgeEnvelope drops
    it). The fields of Powertools' `EventBridgeModel`, in its order and with its aliases, each
    bounded here; a plain pydantic model, because subclassing that one imports Powertools'
    whole parser package at every cold start for a class whose every field is overridden."""

    model_config = ConfigDict(populate_by_name=True)

    version: ShortStr
    id: EventId
    source: ShortStr
    account: AccountId
    time: datetime
    region: Region
    resources: list[ResourceStr] = Field(max_length=MAX_RESOURCES)
    detail_type: str = Field(alias="detail-type")
    detail: TaskEventDetail
    replay_name: ReplayName | None = Field(None, alias="replay-name")

    @field_validator("source")
    @classmethod
    def _from_buy_with_prime(cls, source: str) -> str:
        if not source.startswith(PARTNER_SOURCE_PREFIX) or source == PARTNER_SOURCE_PREFIX:
            raise ValueError(f"must start with '{PARTNER_SOURCE_PREFIX}' and name the source")
        return source

    @property
    def task_kind(self) -> TaskKind:
        """Which kind of privacy task the event is about, by its detail type (a detail type
        that names none is refused by the subclasses before this is read)."""
        kind = task_kind_of(self.detail_type)
        if kind is None:
            raise InvalidEventError(
                f"detail-type: {quoted(self.detail_type, 80)} is no privacy task"
            )
        return kind

    def task_resource(self) -> ParsedResource:
        """Return the one resource that names a task of the event's kind
        (``{resource_key}/{id}`` of its kind's description)."""
        key = task_kind(self.task_kind).resource_key
        candidates = self.resources or self.detail.resources
        found: list[ParsedResource] = []
        for index, resource in enumerate(candidates):
            try:
                parsed = parse_resource(resource)
            except ResourceFormatError as error:
                raise InvalidEventError(f"resources[{index}]: {error}") from None
            if parsed.get(key) is not None:
                found.append(parsed)
        if len(found) != 1:
            raise InvalidEventError(
                f"resources: expected exactly one '{key}/{{taskId}}' resource, found {len(found)}"
            )
        return found[0]


class TaskFailedEvent(PrivacyTaskEvent):
    """PERSONAL_DATA_DELETION_TASK_FAILED or PERSONAL_DATA_RETRIEVAL_TASK_FAILED: what the
    recorder takes."""

    detail_type: FailedDetailType = Field(alias="detail-type")


class TaskCompletedEvent(PrivacyTaskEvent):
    """PERSONAL_DATA_DELETION_TASK_COMPLETED or PERSONAL_DATA_RETRIEVAL_TASK_COMPLETED: what
    completes a case."""

    detail_type: CompletedDetailType = Field(alias="detail-type")


class TaskRef(BaseModel):
    """What the event tells us: which task (of which kind) of which business product."""

    model_config = ConfigDict(frozen=True)

    event: PrivacyTaskEvent
    business_product_id: str
    task_id: str

    @property
    def task_kind(self) -> TaskKind:
        return self.event.task_kind


class SpoofedEventError(InvalidEventError):
    """The event does not come from Buy with Prime (source) or from the expected account."""


def parse_event(
    raw: Any,
    *,
    expected_account: str | None = None,
    model: type[PrivacyTaskEvent] = TaskFailedEvent,
) -> TaskRef:
    """Validate a raw event as ``model`` (by default a FAILED event, of either kind) and locate
    its task; raise InvalidEventError on any problem.

    Who sent it is checked first (SpoofedEventError), before anything else is read.
    """
    if not isinstance(raw, dict):
        raise InvalidEventError(f"event: expected a JSON object, got {type(raw).__name__}")
    _check_sender(raw, expected_account)
    try:
        event = model.model_validate(raw)
    except ValidationError as error:
        raise InvalidEventError(describe_validation_error(error)) from None
    except RecursionError:
        raise InvalidEventError("event: nested too deeply") from None
    resource = event.task_resource()
    task_id = resource.get(task_kind(event.task_kind).resource_key)
    assert task_id is not None  # task_resource() only returns resources that hold one
    return TaskRef(event=event, business_product_id=resource.business_product_id, task_id=task_id)


def _depth(value: Any) -> int:
    """Nesting depth of JSON-like data, without recursion (it may be arbitrarily deep)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_DATA_DEPTH:
            return deepest
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        )
        stack.extend((child, level + 1) for child in children)
    return deepest


def _check_sender(raw: dict[Any, Any], expected_account: str | None) -> None:
    if "source" not in raw:
        raise SpoofedEventError(
            f"source: missing (a Buy with Prime event names its partner source,"
            f" {PARTNER_SOURCE_PREFIX}…)"
        )
    source = raw["source"]
    if not isinstance(source, str):
        raise SpoofedEventError(f"source: expected a string, got {type(source).__name__}")
    if not source.startswith(PARTNER_SOURCE_PREFIX):
        raise SpoofedEventError(
            f"source: {quoted(source, 80)} is not a Buy with Prime partner source"
            f" ({PARTNER_SOURCE_PREFIX}…)"
        )
    account = raw.get("account")
    if expected_account and account != expected_account:
        shown = quoted(account, 20) if isinstance(account, str) else type(account).__name__
        raise SpoofedEventError(f"account: {shown} is not the expected account {expected_account}")
