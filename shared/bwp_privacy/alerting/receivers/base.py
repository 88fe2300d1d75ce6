"""What every receiver is: a name, whether it takes groups, and a deliver call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bwp_privacy.alerting.alert import Alert


class DeliveryError(Exception):
    """A delivery did not happen. ``retryable`` errors may succeed on a later attempt."""

    def __init__(self, receiver: str, reason: str, *, retryable: bool) -> None:
        self.receiver = receiver
        self.reason = reason
        self.retryable = retryable
        super().__init__(f"{receiver}: {reason}")


@dataclass(frozen=True)
class Group:
    """The alerts one route sends to one receiver together, and the labels they share."""

    route: str
    labels: dict[str, str] = field(default_factory=dict)


class Receiver(Protocol):
    """A destination. Grouped receivers get a whole group per call; others one alert."""

    name: str
    grouped: bool

    def deliver(self, alerts: Sequence[Alert], group: Group, *, deadline: float | None) -> None:
        """Deliver ``alerts`` (exactly one when not grouped) or raise DeliveryError."""
        ...
