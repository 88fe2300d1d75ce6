"""Buy with Prime event subscriptions: the four event types the stack consumes, sent to one
partner event source (the events interface's createEventSubscription, eventSubscription,
eventSubscriptions and deleteEventSubscription).

The mutation writes its input inline, as every documented example does: the input's GraphQL
type name is not documented, and a wrong guess would fail every request. Each value is held
to its grammar first (a 12-digit account, the documented region pattern, a source name of
EventBridge's characters, one of four event types), so nothing else can reach the query text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from bwp_privacy.bwp_api import AccessDeniedApiError, BwpApiError, BwpClient
from bwp_privacy.common import BwpPrivacyError
from bwp_privacy.task_kinds import TASK_KINDS

#: The stack's event types, each kind's FAILED (to the recorder) and COMPLETED (to the
#: reaction).
EVENT_TYPES = tuple(
    detail_type
    for kind in TASK_KINDS.values()
    for detail_type in (kind.failed_detail_type, kind.completed_detail_type)
)
SOURCE_PREFIX = "aws.partner/buywithprime/"
#: The docs' pattern for `region` (a ValidationError otherwise).
_REGION = re.compile(r"^(us(-gov)?|ap|ca|cn|eu|sa|af)-(central|(north|south)?(east|west)?)-[0-9]$")
_ACCOUNT = re.compile(r"^[0-9]{12}$")
#: What follows aws.partner/buywithprime/ in a partner event source's name (EventBridge's
#: characters; the bus takes the whole name, 256 characters at most).
_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,200}$")
ALREADY_SUBSCRIBED = "SubscriptionAlreadyExists"
NAME_TAKEN = "DestinationNameAlreadyExists"


class SubscriptionError(BwpPrivacyError):
    """A subscription could not be made or read; the message says why and what to do."""


@dataclass(frozen=True)
class Destination:
    """A partner event source: where Buy with Prime sends the events, in an account and
    region."""

    account: str
    region: str
    name: str

    def __post_init__(self) -> None:
        # fullmatch: `$` would let a trailing newline through.
        if not _ACCOUNT.fullmatch(self.account):
            raise SubscriptionError(
                f"account {_shown(self.account)}: an AWS account id is 12 digits"
            )
        if not _REGION.fullmatch(self.region):
            raise SubscriptionError(
                f"region {_shown(self.region)} is not one Buy with Prime sends to"
            )
        if not _NAME.fullmatch(self.name):
            raise SubscriptionError(
                f"source name {_shown(self.name)}: 1 to 200 letters, digits and . - _ (it"
                f" follows {SOURCE_PREFIX})"
            )

    @property
    def source(self) -> str:
        """The partner event source's name, and its bus's."""
        return SOURCE_PREFIX + self.name

    @property
    def arn(self) -> str:
        return f"arn:aws:events:{self.region}::event-source/{self.source}"

    @classmethod
    def of_source(cls, source: str, account: str, region: str) -> Destination:
        """The destination of a source or bus named ``aws.partner/buywithprime/NAME``."""
        if not source.startswith(SOURCE_PREFIX):
            raise SubscriptionError(
                f"{_shown(source)} is not a Buy with Prime partner event source"
                f" ({SOURCE_PREFIX}NAME)"
            )
        return cls(account, region, source.removeprefix(SOURCE_PREFIX))


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    event_type: str
    #: The destination's ARN (an EventBridge partner event source).
    destination_arn: str


SUBSCRIPTION_QUERY = """
query EventSubscription($subscriptionId: String!) {
  eventSubscription(subscriptionId: $subscriptionId) {
    subscriptionId
    eventSubscriptionDetails {
      eventType
      destination { ... on EventBridgeData { arn } }
    }
  }
}
""".strip()
LIST_QUERY = "query EventSubscriptions { eventSubscriptions { totalCount edges { node { id } } } }"
DELETE_MUTATION = """
mutation DeleteEventSubscription($subscriptionId: String!) {
  deleteEventSubscription(subscriptionId: $subscriptionId) { subscriptionId }
}
""".strip()


def create_mutation(destination: Destination, event_type: str) -> str:
    """The documented mutation for one event type, its input written inline (see the
    module): every value was held to its grammar before."""
    if event_type not in EVENT_TYPES:
        raise SubscriptionError(f"event type {event_type!r} is not one the stack consumes")
    source = f"{{account: {json.dumps(destination.account)}, name: {json.dumps(destination.name)}}}"
    bridge = f"{{region: {json.dumps(destination.region)}, partnerEventSource: {source}}}"
    return (
        "mutation CreateEventSubscription { createEventSubscription(input: {"
        f"destination: {{eventBridge: {bridge}}}, eventType: {json.dumps(event_type)}"
        "}) { subscriptionId } }"
    )


class Subscriptions:
    """One business product's event subscriptions, through the API client."""

    def __init__(self, client: BwpClient, target_id: str) -> None:
        self._client = client
        self._target = target_id

    def create(self, destination: Destination, event_type: str) -> str | None:
        """Subscribe; the new subscription's id, or None when it already existed."""
        try:
            data = self._client.execute(create_mutation(destination, event_type), {}, self._target)
        except BwpApiError as error:
            if _is(error, ALREADY_SUBSCRIBED):
                return None
            raise _explained(error, destination, event_type) from None
        created = data.get("createEventSubscription")
        if not isinstance(created, dict) or not isinstance(created.get("subscriptionId"), str):
            raise SubscriptionError("createEventSubscription answered no subscriptionId")
        return str(created["subscriptionId"])

    def list(self) -> tuple[list[Subscription], int]:
        """Every subscription of the business product, and the total the API counts (more
        than the list when the answer is paged)."""
        try:
            data = self._client.execute(LIST_QUERY, {}, self._target)
            connection = data.get("eventSubscriptions") or {}
            ids = [str(edge["node"]["id"]) for edge in connection.get("edges") or []]
            total = int(connection.get("totalCount", len(ids)))
            return [self.get(subscription_id) for subscription_id in ids], total
        except AccessDeniedApiError:
            raise SubscriptionError(
                "Buy with Prime refused to list the event subscriptions (AccessDeniedError):"
                " give these credentials the event-subscription view permission in the"
                " merchant console"
            ) from None
        except (KeyError, TypeError, ValueError):
            raise SubscriptionError("eventSubscriptions answered an unexpected shape") from None

    def get(self, subscription_id: str) -> Subscription:
        data = self._client.execute(
            SUBSCRIPTION_QUERY, {"subscriptionId": subscription_id}, self._target
        )
        found = data.get("eventSubscription") or {}
        details = found.get("eventSubscriptionDetails") or {}
        destination = details.get("destination") or {}
        return Subscription(
            subscription_id=str(found.get("subscriptionId", subscription_id)),
            event_type=str(details.get("eventType", "")),
            destination_arn=str(destination.get("arn", "")),
        )

    def delete(self, subscription_id: str) -> None:
        self._client.execute(DELETE_MUTATION, {"subscriptionId": subscription_id}, self._target)


def missing_types(found: list[Subscription], destination: Destination) -> list[str]:
    """The stack's event types not yet sent to ``destination``."""
    sent = {s.event_type for s in found if s.destination_arn == destination.arn}
    return [event_type for event_type in EVENT_TYPES if event_type not in sent]


def _shown(value: str) -> str:
    """A value refused for its grammar, quoted and cut (it is what someone typed)."""
    return repr(value if len(value) <= 60 else value[:60] + "…")


def _is(error: BwpApiError, name: str) -> bool:
    # Assumed (docs/api-assumptions.md): the error's classification code carries the name; the
    # message is read too, in case the code is elsewhere.
    return error.code == name or name in error.message


def _explained(error: BwpApiError, destination: Destination, event_type: str) -> SubscriptionError:
    if _is(error, NAME_TAKEN):
        return SubscriptionError(
            f"the source name {destination.name!r} is taken: partner event source names are"
            " unique across Buy with Prime, choose another --source-name"
        )
    if isinstance(error, AccessDeniedApiError):
        # The docs: an invalid eventType answers 403 too, but ours are the documented ones.
        return SubscriptionError(
            f"Buy with Prime refused to subscribe to {event_type} (AccessDeniedError): give these"
            " credentials the event-subscription permissions (create, view) in the merchant"
            " console"
        )
    return SubscriptionError(
        f"Buy with Prime refused to subscribe to {event_type}: {error.classification}:"
        f" {error.message}"
    )
