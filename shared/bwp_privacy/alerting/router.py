"""Domain logic of the alert router: route a batch of failures (and the reaction's case
notices), group, deliver once each.

A batch is the event source mapping's batching window, so it is also the grouping wait: the
alerts of one batch that share a route, a receiver and the route's ``group_by`` values go
out together (one Slack message listing its tasks), while per-task receivers (PagerDuty,
Amazon Q, EventBridge) get one call per task. Receivers are delivered side by side, so a
slow one holds no other back, and the answer is ready before the invocation's time is up
whatever a receiver does. A record fails only when one of its own deliveries fails for a
reason a retry can fix; the ledger makes the retry skip the receivers it already reached. A
receiver's permanent refusal parks that delivery in the dead-letter queue at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from bwp_privacy.alerting.alert import Alert, build_alert, build_notice_alert
from bwp_privacy.alerting.delivery import DeliveryError, Group, Receiver
from bwp_privacy.alerting.ledger import Claim, ClaimState
from bwp_privacy.alerting.routes import RouteMatch, RoutingConfig
from bwp_privacy.common import Budget, BwpPrivacyError, MetricsSink, describe_validation_error
from bwp_privacy.contract import CASE_NOTICE_SCHEMA, CaseNotice, DeletionFailure

logger = Logger(child=True)

#: Alerts per grouped message: a batch of up to 100 records is one message per group.
MAX_GROUP_SIZE = 100
#: Receivers delivered at once (there are six kinds): a thread each.
MAX_PARALLEL_RECEIVERS = 6
#: Message attribute a redrive of a parked delivery carries: the one receiver to retry.
REDRIVE_ATTRIBUTE = "redriveFor"

Failure = tuple[SQSRecord, Exception]


class InvalidAlertMessage(BwpPrivacyError, ValueError):
    """A queue message is not a valid failure message; it will end in the DLQ."""


class NoReceiverError(BwpPrivacyError, RuntimeError):
    """No configured receiver for an alert, even on the default route: never drop silently."""


class DeliveryInProgress(BwpPrivacyError, RuntimeError):
    """Another invocation holds this delivery; the record is retried after it finishes."""


class DeliveryOutOfTime(BwpPrivacyError, RuntimeError):
    """The delivery had not ended when the answer was due; the record is retried later."""


class Parker(Protocol):
    """Where a delivery a receiver refused for good waits for a person (the router DLQ)."""

    def park(self, record: SQSRecord, receiver: str, reason: str) -> None: ...


class Ledger(Protocol):
    """Who has been told what (`DeliveryLedger`): a claim per (receiver, task) slot."""

    def claim(self, receiver: str, task_id: str, *, retry_parked: bool = False) -> Claim: ...

    def mark_delivered(self, claims: Sequence[Claim], repeat_window_seconds: int) -> None: ...

    def mark_parked(self, claim: Claim, repeat_window_seconds: int) -> None: ...

    def release(self, claim: Claim) -> None: ...


@dataclass
class _Pending:
    alert: Alert
    records: list[SQSRecord] = field(default_factory=list)
    redrive_for: set[str] = field(default_factory=set)


@dataclass
class _Group:
    receiver: str
    route: RouteMatch
    labels: dict[str, str]
    by_task: dict[str, _Pending] = field(default_factory=dict)

    def records(self) -> list[SQSRecord]:
        return [record for pending in self.by_task.values() for record in pending.records]


class AlertBatch:
    """One batch: `add` each record (Powertools record handler), then `deliver` once."""

    def __init__(
        self,
        config: RoutingConfig,
        receivers: Mapping[str, Receiver],
        ledger: Ledger,
        metrics: MetricsSink,
        *,
        budget: Budget,
        parker: Parker | None = None,
        now: datetime | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._receivers = receivers
        self._ledger = ledger
        self._metrics = metrics
        self._budget = budget
        self._parker = parker
        self._now = now or datetime.now(UTC)
        self._clock = clock
        self._groups: dict[tuple[str, str, tuple[str, ...]], _Group] = {}

    def add(self, record: SQSRecord) -> None:
        """Parse one SQS record and place its alert in the groups of its receivers."""
        alert = self._alert(record.body)
        redrive = _redrive_for(record)
        targets = self._targets(alert, redrive)
        self._metrics.count("AlertsRouted")
        for receiver, route in targets:
            values = tuple(",".join(sorted(alert.labels()[label])) for label in route.group_by)
            group = self._groups.setdefault(
                (receiver, route.path, values),
                _Group(receiver, route, dict(zip(route.group_by, values, strict=True))),
            )
            pending = group.by_task.setdefault(alert.key, _Pending(alert))
            pending.records.append(record)
            if redrive == receiver:
                pending.redrive_for.add(receiver)

    def _alert(self, body: str) -> Alert:
        """A failure message or a case notice (told apart by its schema) as an alert."""
        try:
            if _schema(body) == CASE_NOTICE_SCHEMA:
                notice = CaseNotice.model_validate_json(body)
                return build_notice_alert(notice, self._config.notice_severity(notice), self._now)
            failure = DeletionFailure.model_validate_json(body)
        except ValidationError as error:
            reason = describe_validation_error(error, subject="message")
            logger.warning("Rejected a queue message", extra={"reason": reason})
            raise InvalidAlertMessage(reason) from None
        severity, runbooks = self._config.classify(failure)
        return build_alert(failure, severity, runbooks, self._now)

    def deliver(self) -> list[Failure]:
        """Deliver every group, each receiver in a thread of its own, within the budget.

        Returns (record, error) for each delivery a retry may fix. A receiver still busy when
        the answer is due fails its records (DeliveryOutOfTime): their claims expire with
        their lease, and the ledger keeps what did go out from going out again.
        """
        by_receiver: dict[str, list[_Group]] = {}
        for group in self._groups.values():
            by_receiver.setdefault(group.receiver, []).append(group)
        if not by_receiver:
            return []
        pool = ThreadPoolExecutor(
            max_workers=min(MAX_PARALLEL_RECEIVERS, len(by_receiver)),
            thread_name_prefix="receiver",
        )
        futures = {
            pool.submit(self._deliver_receiver, groups): receiver
            for receiver, groups in by_receiver.items()
        }
        left = self._budget.left()
        done, late = wait(futures, timeout=None if left is None else max(left, 0.0))
        pool.shutdown(wait=False, cancel_futures=True)
        failures: list[Failure] = []
        for future in done:
            failures += future.result()
        for future in late:
            receiver = futures[future]
            error = DeliveryOutOfTime(f"{receiver}: still delivering when the answer was due")
            logger.warning("Receiver out of time", extra={"receiver": receiver})
            failures += [(r, error) for g in by_receiver[receiver] for r in g.records()]
        return failures

    def _deliver_receiver(self, groups: list[_Group]) -> list[Failure]:
        failures: list[Failure] = []
        for group in groups:
            failures += self._deliver_group(group)
        return failures

    def _targets(self, alert: Alert, redrive: str | None) -> list[tuple[str, RouteMatch]]:
        chosen: dict[str, RouteMatch] = {}
        matches = self._config.resolve(alert.labels())
        for route in matches:
            for receiver in route.receivers:
                if receiver in self._receivers:
                    chosen.setdefault(receiver, route)
        if redrive is not None and redrive in self._receivers:
            # A redrive of a parked delivery retries that receiver alone.
            return [(redrive, chosen.get(redrive) or self._config.default_route())]
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

    def _deliver_group(self, group: _Group) -> list[Failure]:
        receiver = self._receivers[group.receiver]
        failures: list[Failure] = []
        claimed: list[tuple[_Pending, Claim]] = []
        skipped = 0
        for task_id, pending in group.by_task.items():
            try:
                claim = self._ledger.claim(
                    group.receiver, task_id, retry_parked=group.receiver in pending.redrive_for
                )
            except Exception as ledger_error:  # the ledger is unreachable: retry the record later
                failures += [(record, ledger_error) for record in pending.records]
                continue
            if claim.state in (ClaimState.ALREADY_DELIVERED, ClaimState.PARKED):
                skipped += 1
            elif claim.state is ClaimState.IN_PROGRESS:
                busy = DeliveryInProgress(f"{group.receiver}: delivery of {task_id} in progress")
                failures += [(record, busy) for record in pending.records]
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
            failures += self._send(receiver, group, chunk)
        return failures

    def _send(
        self, receiver: Receiver, group: _Group, chunk: list[tuple[_Pending, Claim]]
    ) -> list[Failure]:
        alerts = [pending.alert for pending, _ in chunk]
        try:
            receiver.deliver(
                alerts, Group(route=group.route.name, labels=group.labels), budget=self._budget
            )
        except Exception as error:
            return self._failed(receiver, group, chunk, error)
        # Marked right after the send: a crash now would only resend this one chunk.
        self._ledger.mark_delivered(
            [claim for _, claim in chunk], group.route.repeat_window_seconds
        )
        self._metrics.count("AlertsDelivered", len(alerts), receiver=group.receiver)
        return []

    def _failed(
        self,
        receiver: Receiver,
        group: _Group,
        chunk: list[tuple[_Pending, Claim]],
        error: Exception,
    ) -> list[Failure]:
        permanent = isinstance(error, DeliveryError) and not error.retryable
        logger.warning(
            "Delivery failed",
            extra={
                "receiver": group.receiver,
                "reason": str(error) if isinstance(error, DeliveryError) else type(error).__name__,
                "retryable": not permanent,
                "task_ids": [pending.alert.task_id for pending, _ in chunk],
            },
        )
        self._metrics.count("DeliveryFailures", len(chunk), receiver=group.receiver)
        if permanent and self._parker is not None:
            assert isinstance(error, DeliveryError)
            parked = self._park(group, chunk, error.reason)
            if parked is not None:
                return parked
        for _, claim in chunk:
            self._ledger.release(claim)
        return [(record, error) for pending, _ in chunk for record in pending.records]

    def _park(
        self, group: _Group, chunk: list[tuple[_Pending, Claim]], reason: str
    ) -> list[Failure] | None:
        """Put each refused alert in the dead-letter queue and mark its slot parked, so no
        redelivery sends the receiver the same refused request again. None if parking itself
        failed: the delivery is then retried as any other."""
        assert self._parker is not None
        try:
            for pending, claim in chunk:
                self._parker.park(pending.records[0], group.receiver, reason)
                self._ledger.mark_parked(claim, group.route.repeat_window_seconds)
        except Exception as parking_error:
            logger.warning(
                "Could not park a refused delivery; it will be retried",
                extra={"receiver": group.receiver, "error": type(parking_error).__name__},
            )
            return None
        self._metrics.count("DeliveriesParked", len(chunk), receiver=group.receiver)
        return []


def _schema(body: str) -> str | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    schema = parsed.get("schema") if isinstance(parsed, dict) else None
    return schema if isinstance(schema, str) else None


def _redrive_for(record: SQSRecord) -> str | None:
    """The receiver a redrive of a parked delivery names, if the record is one."""
    attributes = record.message_attributes
    if REDRIVE_ATTRIBUTE not in attributes:
        return None
    # Indexed, not .get(): Powertools wraps the attribute in __getitem__ only.
    attribute = attributes[REDRIVE_ATTRIBUTE]
    return (attribute.string_value if attribute is not None else None) or None
