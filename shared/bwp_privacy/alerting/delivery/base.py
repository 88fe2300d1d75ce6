"""What every receiver is: a name, whether it takes groups, and a deliver call that either
delivers or says, with a DeliveryError, whether a later attempt may succeed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bwp_privacy.alerting.alert import Alert
from bwp_privacy.common import Budget, BwpPrivacyError


class DeliveryError(BwpPrivacyError):
    """A delivery did not happen. ``retryable`` errors may succeed on a later attempt (after
    ``retry_after`` seconds when the receiver said so); the others are permanent refusals."""

    def __init__(
        self, receiver: str, reason: str, *, retryable: bool, retry_after: float | None = None
    ) -> None:
        self.receiver = receiver
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
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

    def deliver(self, alerts: Sequence[Alert], group: Group, *, budget: Budget) -> None:
        """Deliver ``alerts`` (exactly one when not grouped) within ``budget``, or raise
        DeliveryError; no request may start that cannot end within the budget."""
        ...
