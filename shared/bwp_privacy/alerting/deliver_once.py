"""The router's fourth stage: one receiver's groups delivered once each — claim in the
ledger, send, then mark delivered, or park a permanent refusal.

The ledger (`DeliveryLedger`, an item per receiver and case) makes a retry skip what already
went out, lets a resolve go only where its case was opened, and keeps anything from going out
after its case's end. A record fails only when one of its own deliveries fails for a reason a
retry can fix; a receiver's permanent refusal is parked in the dead-letter queue at once. The
answer says what failed and what was sent: nothing is kept for a later stage to read back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from bwp_privacy.alerting.alert import Alert
from bwp_privacy.alerting.classify import Failure
from bwp_privacy.alerting.delivery import DeliveryError, Group, Receiver
from bwp_privacy.alerting.grouping import AlertGroup, Pending
from bwp_privacy.alerting.ledger import Claim, ClaimState, Delivered
from bwp_privacy.common import Budget, BwpPrivacyError, MetricsSink

logger = Logger(child=True)

#: Alerts per grouped message: a batch of up to 100 records is one message per group.
MAX_GROUP_SIZE = 100


class DeliveryInProgress(BwpPrivacyError, RuntimeError):
    """Another invocation holds this delivery; the record is retried after it finishes."""


class Parker(Protocol):
    """Where a delivery a receiver refused for good waits for a person (the router DLQ)."""

    def park(self, record: SQSRecord, receiver: str, reason: str) -> None: ...


class Ledger(Protocol):
    """Who has been told what (`DeliveryLedger`): an item per (receiver, case)."""

    def claim(
        self, receiver: str, case_id: str, transition: str, *, retry_parked: bool = False
    ) -> Claim: ...

    def mark_delivered(
        self, delivered: Sequence[Delivered], repeat_window_seconds: int
    ) -> list[str]: ...

    def mark_ended(self, claim: Claim) -> list[str]: ...

    def mark_parked(self, claim: Claim, repeat_window_seconds: int) -> list[str]: ...

    def unmute(self, claim: Claim, silence_id: str) -> list[str]: ...

    def release(
        self, claim: Claim, *, maybe_sent: bool = False, send_resolved: bool = False
    ) -> None: ...


@dataclass(frozen=True)
class Sent:
    """Alerts that reached a receiver, or were parked for it: what the audit stage records."""

    receiver: str
    route: str
    alerts: tuple[Alert, ...]
    #: "delivered", or "parked: <the receiver's reason>".
    outcome: str
    at: datetime


@dataclass
class Delivery:
    """What a delivery answers: the records to retry and what was sent."""

    failures: list[Failure] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)


_Claimed = list[tuple[Pending, Claim]]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Deliverer:
    """Delivers one receiver's groups of one batch (built per invocation)."""

    def __init__(
        self,
        name: str,
        receiver: Receiver,
        ledger: Ledger,
        metrics: MetricsSink,
        *,
        budget: Budget,
        parker: Parker | None = None,
        now: Callable[[], datetime] = _utcnow,
        active_silences: Callable[[], frozenset[str]] = frozenset,
    ) -> None:
        self.name = name
        self._active_silences = active_silences
        self._receiver = receiver
        self._ledger = ledger
        self._metrics = metrics
        self._budget = budget
        self._parker = parker
        self._now = now

    def deliver(self, groups: Sequence[AlertGroup]) -> Delivery:
        """Every group in order, each case's transitions in turn."""
        out = Delivery()
        for group in groups:
            for turn in group.turns():
                self._deliver_turn(group, turn, out)
        return out

    def _deliver_turn(self, group: AlertGroup, pendings: list[Pending], out: Delivery) -> None:
        claimed: _Claimed = []
        skipped = after_end = 0
        for pending in pendings:
            alert = pending.alert
            try:
                claim = self._ledger.claim(
                    self.name,
                    alert.case_id,
                    alert.transition,
                    retry_parked=self.name in pending.redrive_for,
                )
            except Exception as ledger_error:  # the ledger is unreachable: retry the record later
                out.failures += [(record, ledger_error) for record in pending.records]
                continue
            if claim.state in (ClaimState.ALREADY_DELIVERED, ClaimState.PARKED):
                skipped += 1
            elif claim.state is ClaimState.ENDED:
                # The case's resolve was handled here already: a late trigger or update of an
                # ended case tells nobody anything (the case's record keeps it).
                quiet = alert.resolved or alert.silence_ended is not None
                after_end += not quiet
                skipped += quiet
                if not quiet:
                    logger.info(
                        "Not sent: the case ended before this alert reached the receiver",
                        extra=self._ids(alert),
                    )
            elif claim.state is ClaimState.IN_PROGRESS:
                busy = DeliveryInProgress(
                    f"{self.name}: a delivery for case {alert.case_id} is in progress"
                )
                out.failures += [(record, busy) for record in pending.records]
            elif alert.resolved and not (claim.opened and claim.send_resolved):
                self._end_unopened(pending, claim, out)
            elif alert.silence_ended is None or self._silence_end_owed(pending, claim, out):
                claimed.append((pending, claim))
        if skipped:
            self._metrics.count("DeliveriesSkipped", skipped, receiver=self.name)
        if after_end:
            self._metrics.count("AlertsAfterCaseEnded", after_end, receiver=self.name)
        chunks = (
            [claimed[i : i + MAX_GROUP_SIZE] for i in range(0, len(claimed), MAX_GROUP_SIZE)]
            if self._receiver.grouped
            else [[item] for item in claimed]
        )
        for chunk in chunks:
            self._send(group, chunk, out)

    def _end_unopened(self, pending: Pending, claim: Claim, out: Delivery) -> None:
        """A case ended that no firing alert opened at this receiver (or whose routes do not
        send resolves there): nothing is sent, and a trigger arriving late will not be."""
        try:
            lost = self._ledger.mark_ended(claim)
        except Exception as ledger_error:
            with contextlib.suppress(Exception):  # the lease expires if this fails too
                self._ledger.release(claim)
            out.failures += [(record, ledger_error) for record in pending.records]
            return
        self._lease_lost(lost)
        self._metrics.count("ResolvesNotNeeded", receiver=self.name)

    def _silence_end_owed(self, pending: Pending, claim: Claim, out: Delivery) -> bool:
        """Whether a silence's end is told here: the silence muted an alert of the case here,
        and no other silence still mutes it (that one's end will tell). Otherwise the item
        is given back (the silence taken off it) and nothing is sent: a silence that muted
        nothing here sends nothing."""
        silence = pending.alert.silence_ended
        assert silence is not None
        others = claim.silenced_by - {silence}
        if silence in claim.silenced_by and not others & self._active_silences():
            return True
        try:
            if silence in claim.silenced_by:
                self._lease_lost(self._ledger.unmute(claim, silence))
            else:
                self._ledger.release(claim)
        except Exception as ledger_error:
            with contextlib.suppress(Exception):  # the lease expires if this fails too
                self._ledger.release(claim)
            out.failures += [(record, ledger_error) for record in pending.records]
            return False
        self._metrics.count("SilenceEndsNotNeeded", receiver=self.name)
        return False

    def _send(self, group: AlertGroup, chunk: _Claimed, out: Delivery) -> None:
        alerts = tuple(pending.alert for pending, _ in chunk)
        threads = {pending.alert.case_id: claim.thread for pending, claim in chunk if claim.thread}
        try:
            started = self._receiver.deliver(
                list(alerts),
                Group(route=group.route.name, labels=group.labels),
                budget=self._budget,
                threads=threads,
            )
        except Exception as error:
            self._failed(group, chunk, error, out)
            return
        send_resolved = self._send_resolved(group)
        started = started or {}
        delivered = [
            Delivered(claim, send_resolved, started.get(pending.alert.case_id))
            for pending, claim in chunk
        ]
        # Marked right after the send: a crash now would only resend this one chunk. A mark
        # that fails after the send does not fail the records (that would send them again):
        # it is logged and counted, and the claims expire with their lease.
        try:
            lost = self._ledger.mark_delivered(delivered, group.route.repeat_window_seconds)
        except Exception as ledger_error:
            logger.error(
                "Delivered, but the ledger could not record it",
                extra={
                    "receiver": self.name,
                    "case_ids": [alert.case_id for alert in alerts],
                    "error": type(ledger_error).__name__,
                },
            )
            self._metrics.count("LedgerWriteFailures", receiver=self.name)
            lost = []
        self._lease_lost(lost)
        out.sent.append(Sent(self.name, group.route.name, alerts, "delivered", self._now()))
        resolves = sum(alert.resolved for alert in alerts)
        if resolves:
            self._metrics.count("AlertsResolved", resolves, receiver=self.name)
        if len(alerts) > resolves:
            self._metrics.count("AlertsDelivered", len(alerts) - resolves, receiver=self.name)

    def _failed(self, group: AlertGroup, chunk: _Claimed, error: Exception, out: Delivery) -> None:
        permanent = isinstance(error, DeliveryError) and not error.retryable
        logger.warning(
            "Delivery failed",
            extra={
                "receiver": self.name,
                "reason": str(error) if isinstance(error, DeliveryError) else type(error).__name__,
                "retryable": not permanent,
                "case_ids": [pending.alert.case_id for pending, _ in chunk],
            },
        )
        self._metrics.count("DeliveryFailures", len(chunk), receiver=self.name)
        if permanent and self._parker is not None:
            assert isinstance(error, DeliveryError)
            if self._park(group, chunk, error.reason, out):
                return
        maybe_sent = isinstance(error, DeliveryError) and error.maybe_sent
        send_resolved = self._send_resolved(group)
        for _, claim in chunk:
            with contextlib.suppress(Exception):  # unreleased, the claim expires with its lease
                self._ledger.release(claim, maybe_sent=maybe_sent, send_resolved=send_resolved)
        out.failures += [(record, error) for pending, _ in chunk for record in pending.records]

    def _park(self, group: AlertGroup, chunk: _Claimed, reason: str, out: Delivery) -> bool:
        """Put each refused alert in the dead-letter queue and mark its slot parked, so no
        redelivery sends the receiver the same refused request again. False if parking
        itself failed: the delivery is then retried as any other."""
        assert self._parker is not None
        try:
            for pending, claim in chunk:
                self._parker.park(pending.records[0], self.name, reason)
                lost = self._ledger.mark_parked(claim, group.route.repeat_window_seconds)
                self._lease_lost(lost)
        except Exception as parking_error:
            logger.warning(
                "Could not park a refused delivery; it will be retried",
                extra={"receiver": self.name, "error": type(parking_error).__name__},
            )
            return False
        self._metrics.count("DeliveriesParked", len(chunk), receiver=self.name)
        alerts = tuple(pending.alert for pending, _ in chunk)
        out.sent.append(Sent(self.name, group.route.name, alerts, f"parked: {reason}", self._now()))
        return True

    def _send_resolved(self, group: AlertGroup) -> bool:
        """Whether this route wants resolves at this receiver (the receiver's default when
        the route does not say)."""
        if group.route.send_resolved is None:
            return self._receiver.send_resolved
        return group.route.send_resolved

    def _lease_lost(self, keys: list[str]) -> None:
        """Items whose claim expired before it was written back: a newer delivery holds them,
        and nothing of this one was recorded (it may be sent again)."""
        if keys:
            logger.warning("Ledger lease lost", extra={"receiver": self.name, "keys": keys})
            self._metrics.count("LedgerLeasesLost", len(keys), receiver=self.name)

    def _ids(self, alert: Alert) -> dict[str, str]:
        return {"receiver": self.name, "case_id": alert.case_id, "transition": alert.transition}
