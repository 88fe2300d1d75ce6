"""Partner event sources and partner event buses as EventBridge documents them, where moto
differs.

EventBridge: a SaaS partner (Buy with Prime) creates a partner event source
``aws.partner/<partner>/<name>`` in the merchant's account; it stays PENDING until an event bus
*of the same name* is created with ``EventSourceName`` (the association), then it is ACTIVE;
deleting that bus sends it back to PENDING. Rules, archives and replays name the bus by its
full name, slashes included. ``DescribeEventSource`` of an unknown name is a
ResourceNotFoundException.

moto 5.2: a source is ACTIVE from its creation, its ARN repeats ``aws.partner/``, a bus name or
ARN is cut to its last ``/`` segment by rules, targets, ``PutEvents``, archives and replays
(so no rule can be put on a partner bus), any bus name may take any source, and an unknown
source is a KeyError. The sandbox plays the documented behaviour for all of these, so the
local partner bus has the real shape of its name and `bwp-privacy setup` and `doctor` meet
the states a merchant's account shows.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.core.utils import unix_time
from moto.events.models import (
    Archive,
    EventsBackend,
    PartnerEventSource,
    Replay,
    ReplayState,
    events_backends,
)
from moto.moto_api._internal import mock_random as random

_BUS_ARN_MARK = ":event-bus/"
_LOCK = threading.Lock()
PENDING = "PENDING"
ACTIVE = "ACTIVE"


def bus_name(name_or_arn: str | None) -> str:
    """The bus a name or an ARN designates (a partner bus name keeps its slashes)."""
    if name_or_arn is None:
        return "default"
    if name_or_arn.startswith("arn:") and _BUS_ARN_MARK in name_or_arn:
        return name_or_arn.split(_BUS_ARN_MARK, 1)[1]
    return name_or_arn


def install() -> None:
    """Patch the in-process moto (idempotent)."""
    if getattr(EventsBackend, "_bwp_partner_sources", False):
        return
    original_init = Archive.__init__
    original_create_source = EventsBackend.create_partner_event_source
    original_create_bus = EventsBackend.create_event_bus
    original_delete_bus = EventsBackend.delete_event_bus

    def normalize(self: EventsBackend, event_bus_arn: str | None) -> str:
        return bus_name(event_bus_arn)

    def archive_init(self: Archive, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.event_bus_name = bus_name(self.source_arn)

    def replay_events(self: Replay, archive: Archive) -> None:
        # moto's own, with the destination bus read whole from its ARN.
        backend = events_backends[self.account_id][self.region]
        event_bus = backend.describe_event_bus(bus_name(self.destination["Arn"]))
        for event in archive.events:
            for rule in event_bus.rules.values():
                rule.send_to_targets(
                    dict(event, **{"id": str(random.uuid4()), "replay-name": self.name}),  # type: ignore[arg-type]
                    transform_input=False,
                )
        self.state = ReplayState.COMPLETED
        self.end_time = unix_time()

    def create_partner_event_source(
        self: EventsBackend, name: str, account_id: str
    ) -> PartnerEventSource:
        with _LOCK:
            source = original_create_source(self, name, account_id)
            source.arn = f"arn:aws:events:{self.region_name}::event-source/{name}"
            merchant = events_backends[account_id][self.region_name]
            if name not in merchant.event_buses:
                source.state = PENDING
            return source

    def describe_event_source(self: EventsBackend, name: str) -> PartnerEventSource:
        source = self.event_sources.get(name)
        if source is None:
            raise JsonRESTError("ResourceNotFoundException", f"Event source {name} does not exist.")
        return source

    def create_event_bus(self: EventsBackend, name: str, *args: Any, **kwargs: Any) -> Any:
        source_name = kwargs.get("event_source_name") or (args[0] if args else None)
        if source_name and source_name != name:
            raise JsonRESTError(
                "ValidationException",
                f"Event bus name {name} must match the event source name {source_name}.",
            )
        with _LOCK:
            bus = original_create_bus(self, name, *args, **kwargs)
            if source_name:
                self.event_sources[source_name].state = ACTIVE
            return bus

    def delete_event_bus(self: EventsBackend, name: str) -> None:
        with _LOCK:
            original_delete_bus(self, name)
            source = self.event_sources.get(name)
            if source is not None and source.state == ACTIVE:
                source.state = PENDING

    EventsBackend._normalize_event_bus_arn = normalize  # type: ignore[method-assign]
    Archive.__init__ = archive_init  # type: ignore[method-assign]
    Replay.replay_events = replay_events  # type: ignore[method-assign]
    EventsBackend.create_partner_event_source = create_partner_event_source  # type: ignore[method-assign]
    EventsBackend.describe_event_source = describe_event_source  # type: ignore[method-assign]
    EventsBackend.create_event_bus = create_event_bus  # type: ignore[method-assign]
    EventsBackend.delete_event_bus = delete_event_bus  # type: ignore[method-assign]
    EventsBackend._bwp_partner_sources = True  # type: ignore[attr-defined]
