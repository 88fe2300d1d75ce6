"""What every receiver is: a name, whether it takes groups, and a deliver call that either
delivers or says, with a DeliveryError, whether a later attempt may succeed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bwp_privacy.alerting.alert import Alert
from bwp_privacy.common import Budget, BwpPrivacyError


class DeliveryError(BwpPrivacyError):
    """A delivery did not happen. ``retryable`` errors may succeed on a later attempt (after
    ``retry_after`` seconds when the receiver said so); the others are permanent refusals.
    ``maybe_sent``: an attempt's answer was lost (a timeout, a reset, a 5xx), so the receiver
    may have acted on it all the same."""

    def __init__(
        self,
        receiver: str,
        reason: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        maybe_sent: bool = False,
    ) -> None:
        self.receiver = receiver
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent
        super().__init__(f"{receiver}: {reason}")


@dataclass(frozen=True)
class Group:
    """The alerts one route sends to one receiver together, and the labels they share."""

    route: str
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ThreadRef:
    """Where a receiver that edits its messages keeps a case's (Slack: channel and ts)."""

    channel: str
    ts: str


#: The messages a receiver keeps per case (by case id): what a delivery edits or started.
Threads = Mapping[str, ThreadRef]


class Receiver(Protocol):
    """A destination. Grouped receivers get a whole group per call; others one alert.

    ``send_resolved`` is the receiver's default for routes that do not set it."""

    name: str
    grouped: bool
    send_resolved: bool

    def deliver(
        self,
        alerts: Sequence[Alert],
        group: Group,
        *,
        budget: Budget,
        threads: Threads | None = None,
    ) -> Threads | None:
        """Deliver ``alerts`` (exactly one when not grouped) within ``budget``, or raise
        DeliveryError; no request may start that cannot end within the budget. A receiver
        that edits its messages gets the cases' ``threads`` and returns those it started."""
        ...
