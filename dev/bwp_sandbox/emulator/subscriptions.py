"""Event subscriptions, as the Buy with Prime events interface documents them.

One subscription is one event type sent to one destination, an EventBridge partner event
source ``aws.partner/buywithprime/<name>`` in an account and a region. The first subscription
to a destination creates that partner event source in the account (PENDING until a bus of the
same name takes it): the emulator tells whoever plays AWS (`on_source_created`). What the docs
say, played here:

- ``region`` must match the documented pattern (a ValidationError otherwise);
- a source name is globally unique: another destination with the same name is
  ``DestinationNameAlreadyExists``;
- the same type to the same destination again is ``SubscriptionAlreadyExists``;
- an invalid ``eventType`` answers AccessDeniedError (403), not a validation error, and so does
  an unknown ``subscriptionId``.

Assumed (docs/api-assumptions.md): the two "already exists" errors are ValidationErrors whose
``code`` is their name; an account must be 12 digits and a name EventBridge's source grammar.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bwp_sandbox.emulator.errors import BwpError

#: The event types the emulator knows (an invalid one is refused as the docs say).
EVENT_TYPES = frozenset(
    {
        "PERSONAL_DATA_DELETION_TASK_FAILED",
        "PERSONAL_DATA_DELETION_TASK_COMPLETED",
        "PERSONAL_DATA_RETRIEVAL_TASK_FAILED",
        "PERSONAL_DATA_RETRIEVAL_TASK_COMPLETED",
        "ORDER_CREATED",
        "ORDER_UPDATED",
    }
)
SOURCE_PREFIX = "aws.partner/buywithprime/"
REGION = re.compile(r"^(us(-gov)?|ap|ca|cn|eu|sa|af)-(central|(north|south)?(east|west)?)-[0-9]$")
ACCOUNT = re.compile(r"^[0-9]{12}$")
NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,200}$")
ACCESS_DENIED = "You are not authorized to perform this operation."


@dataclass(frozen=True)
class Destination:
    """A partner event source in an account and a region."""

    account: str
    region: str
    name: str

    @property
    def source(self) -> str:
        return SOURCE_PREFIX + self.name

    @property
    def arn(self) -> str:
        return f"arn:aws:events:{self.region}::event-source/{self.source}"


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    target_id: str
    event_type: str
    destination: Destination

    def as_graphql(self) -> dict[str, Any]:
        return {
            "subscriptionId": self.subscription_id,
            "targetId": self.target_id,
            "eventSubscriptionDetails": {
                "eventType": self.event_type,
                "destination": {"arn": self.destination.arn},
            },
        }


SourceCreated = Callable[[Destination], None]


class SubscriptionStore:
    """Every business product's subscriptions; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: dict[str, Subscription] = {}
        #: Which business product owns each source name (names are global).
        self._owners: dict[str, tuple[str, Destination]] = {}
        #: Told once per new destination: the source exists in that account from then on.
        self.on_source_created: SourceCreated | None = None

    def create(self, target_id: str, input_: dict[str, Any]) -> str:
        """createEventSubscription: the new subscription's id."""
        event_type = input_["eventType"]
        bridge = input_["destination"]["eventBridge"]
        source = bridge["partnerEventSource"]
        destination = Destination(source["account"], bridge["region"], source["name"])
        if event_type not in EVENT_TYPES:
            raise BwpError("AccessDeniedError", ACCESS_DENIED)
        if not REGION.fullmatch(destination.region):
            raise BwpError(
                "ValidationError", f"region {destination.region!r} is not a valid region."
            )
        if not ACCOUNT.fullmatch(destination.account):
            raise BwpError("ValidationError", "account must be a 12-digit AWS account id.")
        if not NAME.fullmatch(destination.name):
            raise BwpError("ValidationError", "name must be 1 to 200 of . - _ letters and digits.")
        with self._lock:
            owner = self._owners.get(destination.name)
            if owner is not None and owner != (target_id, destination):
                raise BwpError(
                    "ValidationError",
                    f"A destination named {destination.name} already exists.",
                    "DestinationNameAlreadyExists",
                )
            for existing in self._subscriptions.values():
                if (existing.target_id, existing.destination, existing.event_type) == (
                    target_id,
                    destination,
                    event_type,
                ):
                    raise BwpError(
                        "ValidationError",
                        f"A subscription to {event_type} for this destination already exists.",
                        "SubscriptionAlreadyExists",
                    )
            subscription = Subscription(str(uuid.uuid4()), target_id, event_type, destination)
            self._subscriptions[subscription.subscription_id] = subscription
            new_source = owner is None
            self._owners[destination.name] = (target_id, destination)
            created = self.on_source_created
        if new_source and created is not None:
            created(destination)
        return subscription.subscription_id

    def get(self, target_id: str, subscription_id: str) -> Subscription:
        """eventSubscription; an unknown id (or another product's) is AccessDeniedError."""
        with self._lock:
            found = self._subscriptions.get(subscription_id)
        if found is None or found.target_id != target_id:
            raise BwpError("AccessDeniedError", ACCESS_DENIED)
        return found

    def list(self, target_id: str) -> list[Subscription]:
        """eventSubscriptions: this business product's, oldest first."""
        with self._lock:
            return [s for s in self._subscriptions.values() if s.target_id == target_id]

    def delete(self, target_id: str, subscription_id: str) -> str:
        """deleteEventSubscription: the id deleted. The source name stays taken."""
        self.get(target_id, subscription_id)
        with self._lock:
            del self._subscriptions[subscription_id]
        return subscription_id

    def clear(self) -> None:
        with self._lock:
            self._subscriptions.clear()
            self._owners.clear()
