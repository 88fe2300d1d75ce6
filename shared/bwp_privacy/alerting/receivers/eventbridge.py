"""Amazon EventBridge: one event per alert on a bus that other teams' rules can route."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from bwp_privacy.alerting.alert import Alert
from bwp_privacy.alerting.delivery import (
    DeliveryError,
    Group,
    Receiver,
    ReceiverContext,
    ReceiverSpec,
    Threads,
    aws_error_retryable,
    delivery_errors,
)
from bwp_privacy.common import Budget

DETAIL_TYPE = "Personal Data Deletion Failure Alert"
SOURCE = "bwp-privacy"


class EventPutter(Protocol):
    """The one call this receiver makes on a boto3 EventBridge client."""

    def put_events(self, **kwargs: Any) -> Any:
        """EventBridge PutEvents."""
        ...


class EventBridgeReceiver:
    """Puts each alert on an event bus as detail type "Personal Data Deletion Failure Alert"."""

    name: str = "eventbridge"
    grouped: bool = False
    send_resolved: bool = True

    def __init__(self, events_client: EventPutter, bus_name: str, source: str = SOURCE) -> None:
        self._events = events_client
        self._bus_name = bus_name
        self._source = source

    def deliver(
        self,
        alerts: Sequence[Alert],
        group: Group,
        *,
        budget: Budget,
        threads: Threads | None = None,
    ) -> Threads | None:
        """Put one entry per alert; the client's own timeouts and retries bound the call."""
        for alert in alerts:
            entry = eventbridge_entry(alert, self._bus_name, self._source)
            with delivery_errors(self.name, "PutEvents", budget):
                response = self._events.put_events(Entries=[entry])
            if response.get("FailedEntryCount", 0):
                failed = (response.get("Entries") or [{}])[0]
                code = str(failed.get("ErrorCode") or "Unknown")
                raise DeliveryError(
                    self.name,
                    f"PutEvents entry failed: {code}",
                    retryable=aws_error_retryable(code, None),
                )
        return None


def _build(bus_name: str, context: ReceiverContext) -> Receiver:
    return EventBridgeReceiver(context.clients("events"), bus_name)


#: Deployed with AlertEventBusName: a bus other teams' rules route from.
SPEC = ReceiverSpec(
    name="eventbridge",
    grouped=False,
    setting="ALERT_EVENT_BUS_NAME",
    parameter="AlertEventBusName",
    resource="event-bus",
    build=_build,
)


def eventbridge_entry(alert: Alert, bus_name: str, source: str = SOURCE) -> dict[str, Any]:
    """The PutEvents entry for ``alert``: its full JSON as the detail, with its ``status``
    (firing or resolved) and the case's ``fingerprint`` (rules can match either)."""
    detail = {**alert.model_dump(mode="json"), "fingerprint": alert.fingerprint}
    return {
        "Source": source,
        "DetailType": DETAIL_TYPE,
        "Detail": json.dumps(detail, separators=(",", ":")),
        "EventBusName": bus_name,
        "Resources": [],
    }
