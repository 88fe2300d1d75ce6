"""Domain logic of the alert router: route a batch of failures, group, deliver once each.

A batch is the event source mapping's batching window, so it is also the grouping wait: the
alerts of one batch that share a route, a receiver and the route's ``group_by`` values go
out together (one Slack message listing its tasks), while per-task receivers (PagerDuty,
Amazon Q, EventBridge) get one call per task. A record fails only when one of its own
deliveries fails; the ledger makes the retry skip the receivers it already reached.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from pydantic import ValidationError

from bwp_privacy.alerting.alert import Alert, build_alert
from bwp_privacy.alerting.ledger import Claim, ClaimState, DeliveryLedger
from bwp_privacy.alerting.receivers.base import DeliveryError, Group, Receiver
from bwp_privacy.alerting.routes import RouteMatch, RoutingConfig
from bwp_privacy.failure import DeletionFailure
from bwp_privacy.observability import MetricsSink
from bwp_privacy.validation import describe_validation_error

logger = Logger(child=True)

#: Alerts per grouped message: a batch of up to 100 records is one message per group.
MAX_GROUP_SIZE = 100
#: Below this much time left, remaining groups are failed back to the queue untouched.
MIN_SECONDS_TO_DELIVER = 3.0


class InvalidAlertMessage(ValueError):
    """A queue message is not a valid failure message; it will end in the DLQ."""


class NoReceiverError(RuntimeError):
    """No configured receiver for an alert, even on the default route: never drop silently."""


class DeliveryInProgress(RuntimeError):
    """Another invocation holds this delivery; the record is retried after it finishes."""


@dataclass
class _Pending:
    alert: Alert
    records: list[Any] = field(default_factory=list)


@dataclass
class _Group:
    receiver: str
    route: RouteMatch
    labels: dict[str, str]
    by_task: dict[str, _Pending] = field(default_factory=dict)


class AlertBatch:
    """One batch: `add` each record (Powertools record handler), then `deliver` once."""

    def __init__(
        self,
        config: RoutingConfig,
        receivers: Mapping[str, Receiver],
        ledger: DeliveryLedger,
        metrics: MetricsSink,
        *,
        deadline: float | None = None,
        now: datetime | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._receivers = receivers
        self._ledger = ledger
        self._metrics = metrics
        self._deadline = deadline
        self._now = now or datetime.now(UTC)
        self._clock = clock
        self._groups: dict[tuple[str, str, tuple[str, ...]], _Group] = {}

    def add(self, record: Any) -> None:
        """Parse one SQS record and place its alert in the groups of its receivers."""
        try:
            failure = DeletionFailure.model_validate_json(record.body)
        except ValidationError as error:
            reason = describe_validation_error(error, subject="message")
            logger.warning("Rejected a queue message", extra={"reason": reason})
            raise InvalidAlertMessage(reason) from None
        severity, runbooks = self._config.classify(failure)
        alert = build_alert(failure, severity, runbooks, self._now)
        targets = self._targets(alert)
        self._metrics.count("AlertsRouted")
        for receiver, route in targets:
            values = tuple(",".join(sorted(alert.labels()[label])) for label in route.group_by)
            group = self._groups.setdefault(
                (receiver, route.path, values),
                _Group(receiver, route, dict(zip(route.group_by, values, strict=True))),
            )
            group.by_task.setdefault(alert.task_id, _Pending(alert)).records.append(record)

    def deliver(self) -> Iterator[tuple[Any, Exception]]:
        """Deliver every group; yield (record, error) for each record that must be retried."""
        for group in self._groups.values():
            if (
                self._deadline is not None
                and self._deadline - self._clock() < MIN_SECONDS_TO_DELIVER
            ):
                error = DeliveryInProgress("invocation is about to time out; retrying later")
                yield from ((r, error) for p in group.by_task.values() for r in p.records)
                continue
            yield from self._deliver_group(group)

    def _targets(self, alert: Alert) -> list[tuple[str, RouteMatch]]:
        chosen: dict[str, RouteMatch] = {}
        matches = self._config.resolve(alert.labels())
        for route in matches:
            for receiver in route.receivers:
                if receiver in self._receivers:
                    chosen.setdefault(receiver, route)
        if not chosen:
            # Routed only to receivers this stack does not deploy: fall back to the default
            # route's deployed ones, so the alert still reaches someone.
            root = self._config.default_route()
            chosen = {r: root for r in root.receivers if r in self._receivers}
            if chosen:
                logger.warning(
                    "Routes name no deployed receiver; using the default route",
                    extra={"task_id": alert.task_id, "routes": [m.name for m in matches]},
                )
        if not chosen:
            self._metrics.count("UnroutableAlerts")
            raise NoReceiverError(
                f"task {alert.task_id}: routes {[m.name for m in matches]} and the default route"
                " name no deployed receiver"
            )
        return list(chosen.items())

    def _deliver_group(self, group: _Group) -> Iterator[tuple[Any, Exception]]:
        receiver = self._receivers[group.receiver]
        claimed: list[tuple[_Pending, Claim]] = []
        skipped = 0
        for task_id, pending in group.by_task.items():
            try:
                claim = self._ledger.claim(group.receiver, task_id)
            except Exception as ledger_error:  # the ledger is unreachable: retry the record later
                yield from ((record, ledger_error) for record in pending.records)
                continue
            if claim.state is ClaimState.ALREADY_DELIVERED:
                skipped += 1
            elif claim.state is ClaimState.IN_PROGRESS:
                busy = DeliveryInProgress(f"{group.receiver}: delivery of {task_id} in progress")
                yield from ((record, busy) for record in pending.records)
            else:
                claimed.append((pending, claim))
        if skipped:
            self._metrics.count("DeliveriesSkipped", skipped, receiver=group.receiver)
        chunks = (
            [claimed[i : i + MAX_GROUP_SIZE] for i in range(0, len(claimed), MAX_GROUP_SIZE)]
            if receiver.grouped
            else [[item] for item in claimed]
        )
        for chunk in chunks:
            yield from self._send(receiver, group, chunk)

    def _send(
        self, receiver: Receiver, group: _Group, chunk: list[tuple[_Pending, Claim]]
    ) -> Iterator[tuple[Any, Exception]]:
        alerts = [pending.alert for pending, _ in chunk]
        try:
            receiver.deliver(
                alerts, Group(route=group.route.name, labels=group.labels), deadline=self._deadline
            )
        except Exception as error:
            retryable = error.retryable if isinstance(error, DeliveryError) else True
            logger.warning(
                "Delivery failed",
                extra={
                    "receiver": group.receiver,
                    "reason": str(error)
                    if isinstance(error, DeliveryError)
                    else type(error).__name__,
                    "retryable": retryable,
                    "task_ids": [alert.task_id for alert in alerts],
                },
            )
            self._metrics.count("DeliveryFailures", len(alerts), receiver=group.receiver)
            for pending, claim in chunk:
                self._ledger.release(claim)
                yield from ((record, error) for record in pending.records)
            return
        # Marked right after the send: a crash now would only resend this one chunk.
        self._ledger.mark_delivered(
            [claim for _, claim in chunk], group.route.repeat_window_seconds
        )
        self._metrics.count("AlertsDelivered", len(alerts), receiver=group.receiver)
