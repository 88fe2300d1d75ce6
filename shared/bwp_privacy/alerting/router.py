"""Domain logic of the alert router: route a batch of failures (and the reaction's case
notices), group, deliver once each, and resolve a case's incident where it was opened.

The unit of alerting is the case: a failure of a task the reaction started for a case goes to
that case's incident (the task's link in the cases table says which), an escalation updates
it, and the notice of the case's end resolves it in every receiver a firing alert of the case
reached, once, and nowhere else. A resolve is not routed by the tree: the ledger knows where
the case was opened and whether that route wanted the resolve (``send_resolved``).

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

import contextlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from bwp_privacy.alerting.alert import FAILED_TRANSITION as FAILED
from bwp_privacy.alerting.alert import Alert, build_alert, build_notice_alert
from bwp_privacy.alerting.delivery import DeliveryError, Group, Receiver
from bwp_privacy.alerting.ledger import Claim, ClaimState, Delivered
from bwp_privacy.alerting.routes import RouteMatch, RoutingConfig
from bwp_privacy.audit import SUBJECT_CASE, AuditEntry, AuditWriter, NoAudit, subject
from bwp_privacy.common import Budget, BwpPrivacyError, MetricsSink, describe_validation_error
from bwp_privacy.contract import CASE_NOTICE_SCHEMA, CaseNotice, TaskFailure

logger = Logger(child=True)

#: Alerts per grouped message: a batch of up to 100 records is one message per group.
MAX_GROUP_SIZE = 100
#: Receivers delivered at once (there are six kinds): a thread each.
MAX_PARALLEL_RECEIVERS = 6
#: Message attribute a redrive of a parked delivery carries: the one receiver to retry.
REDRIVE_ATTRIBUTE = "redriveFor"

Failure = tuple[SQSRecord, Exception]


#: An alert does not carry its case's deadlines: its audit entry is kept as long as one of a
#: case that ran the longest the shipped jurisdictions allow (GDPR: three months), counted
#: from when it was sent.
ALERT_ENTRY_MARGIN = timedelta(days=92)


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
    """Who has been told what (`DeliveryLedger`): an item per (receiver, case)."""

    def claim(
        self, receiver: str, case_id: str, transition: str, *, retry_parked: bool = False
    ) -> Claim: ...

    def mark_delivered(
        self, delivered: Sequence[Delivered], repeat_window_seconds: int
    ) -> list[str]: ...

    def mark_ended(self, claim: Claim) -> list[str]: ...

    def mark_parked(self, claim: Claim, repeat_window_seconds: int) -> list[str]: ...

    def release(
        self, claim: Claim, *, maybe_sent: bool = False, send_resolved: bool = False
    ) -> None: ...


class CaseLinks(Protocol):
    """Which case each task belongs to (the reaction's task index); a task no case has
    linked is missing (it is its own case: a case is named after its first task)."""

    def cases_of(self, task_ids: Sequence[str]) -> dict[str, str]: ...


#: The route a resolve is delivered under: not a route of the tree (see the module).
RESOLVED_ROUTE = "resolved"


@dataclass
class _Pending:
    alert: Alert
    records: list[SQSRecord] = field(default_factory=list)
    redrive_for: set[str] = field(default_factory=set)


@dataclass
class _Routed:
    """A record's alert and where the routes send it, before its case is known."""

    record: SQSRecord
    alert: Alert
    targets: list[tuple[str, RouteMatch]]
    redrive: str | None


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
        links: CaseLinks | None = None,
        audit: AuditWriter | None = None,
        actor: str = "bwp-privacy-alert-router",
        retention_days: int = 730,
        now: datetime | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._receivers = receivers
        self._ledger = ledger
        self._metrics = metrics
        self._budget = budget
        self._parker = parker
        self._links = links
        self._audit = audit or NoAudit()
        self._actor = actor
        self._retention_days = retention_days
        self._entries: list[AuditEntry] = []
        self._now = now or datetime.now(UTC)
        self._clock = clock
        self._groups: dict[tuple[str, str, tuple[str, ...]], _Group] = {}
        self._routed: list[_Routed] = []

    def add(self, record: SQSRecord) -> None:
        """Parse one SQS record and route its alert (placed in its groups by `deliver`, once
        the batch's failed tasks are looked up in their cases all at once)."""
        alert = self._alert(record.body)
        redrive = _redrive_for(record)
        targets = self._targets(alert, redrive)
        self._metrics.count("AlertsRouted")
        self._routed.append(_Routed(record, alert, targets, redrive))

    def _place(self, routed: _Routed, alert: Alert) -> None:
        for receiver, route in routed.targets:
            values = tuple(",".join(sorted(alert.labels()[label])) for label in route.group_by)
            group = self._groups.setdefault(
                (receiver, route.path, values),
                _Group(receiver, route, dict(zip(route.group_by, values, strict=True))),
            )
            pending = group.by_task.setdefault(
                f"{alert.case_id}#{alert.transition}", _Pending(alert)
            )
            pending.records.append(routed.record)
            if routed.redrive == receiver:
                pending.redrive_for.add(receiver)

    def _place_all(self) -> list[Failure]:
        """Put each routed alert of the batch on its case (one read of the task index for all
        the failed tasks) and in its groups. A batch whose cases cannot be read fails its
        failures (retried), never delivers them as cases of their own."""
        failed_tasks = [
            r.alert.task_id for r in self._routed if r.alert.transition.startswith(FAILED)
        ]
        try:
            cases = self._links.cases_of(failed_tasks) if self._links and failed_tasks else {}
        except Exception as error:
            logger.warning(
                "Could not read the cases of failed tasks", extra={"error": type(error).__name__}
            )
            cases = None
            failures = [
                (r.record, error) for r in self._routed if r.alert.transition.startswith(FAILED)
            ]
        else:
            failures = []
        for routed in self._routed:
            alert = routed.alert
            if alert.transition.startswith(FAILED):
                if cases is None:
                    continue
                alert = alert.model_copy(
                    update={"case_id": cases.get(alert.task_id, alert.task_id)}
                )
            self._place(routed, alert)
        self._routed = []
        return failures

    def _alert(self, body: str) -> Alert:
        """A failure message or a case notice (told apart by its schema) as an alert."""
        try:
            if _schema(body) == CASE_NOTICE_SCHEMA:
                notice = CaseNotice.model_validate_json(body)
                return build_notice_alert(notice, self._config.notice_severity(notice), self._now)
            failure = TaskFailure.model_validate_json(body)
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
        unplaced = self._place_all()
        by_receiver: dict[str, list[_Group]] = {}
        for group in self._groups.values():
            by_receiver.setdefault(group.receiver, []).append(group)
        if not by_receiver:
            return unplaced
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
        failures: list[Failure] = list(unplaced)
        for future in done:
            failures += future.result()
        for future in late:
            receiver = futures[future]
            error = DeliveryOutOfTime(f"{receiver}: still delivering when the answer was due")
            logger.warning("Receiver out of time", extra={"receiver": receiver})
            failures += [(r, error) for g in by_receiver[receiver] for r in g.records()]
        self._record_actions()
        return failures

    def _recorded(self, group: _Group, alerts: Sequence[Alert], outcome: str) -> None:
        """An audit entry per alert of a case that reached (or was parked for) a receiver,
        written once the batch is delivered."""
        at = datetime.now(UTC)
        for alert in alerts:
            self._entries.append(
                AuditEntry.new(
                    subject(SUBJECT_CASE, alert.case_id),
                    at=at,
                    actor=self._actor,
                    action=f"alert.{alert.status.value}",
                    input_=alert.transition,
                    outcome=outcome,
                    retention_days=self._retention_days,
                    detail={"receiver": group.receiver, "route": group.route.name},
                    keep_from=at + ALERT_ENTRY_MARGIN,
                )
            )

    def _record_actions(self) -> None:
        """Write the batch's audit entries. A send is not undone by a failed write (that would
        send it again): the failure is logged with the case ids and counted."""
        entries, self._entries = self._entries, []
        if not entries:
            return
        try:
            self._audit.append(entries)
        except Exception as error:
            logger.error(
                "Delivered, but the audit trail could not record it",
                extra={
                    "case_ids": sorted({e.subject for e in entries}),
                    "error": type(error).__name__,
                },
            )
            self._metrics.count("AuditWriteFailures")

    def _deliver_receiver(self, groups: list[_Group]) -> list[Failure]:
        # Firing alerts first: a case that ended within the batch is opened, then resolved,
        # rather than told nothing.
        ordered = sorted(groups, key=lambda group: group.route.path == RESOLVED_ROUTE)
        failures: list[Failure] = []
        for group in ordered:
            failures += self._deliver_group(group)
        return failures

    def _targets(self, alert: Alert, redrive: str | None) -> list[tuple[str, RouteMatch]]:
        if alert.resolved:
            # Every receiver is asked; the ledger sends it only where the case was opened.
            names = [redrive] if redrive in self._receivers else list(self._receivers)
            root = self._config.default_route()
            route = RouteMatch(RESOLVED_ROUTE, RESOLVED_ROUTE, (), (), root.repeat_window_seconds)
            return [(name, route) for name in names if name is not None]
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
        """Each case's transitions in turn (one claim holds a case's item at a time): first
        every case's first, then the seconds, and so on."""
        rounds: list[list[_Pending]] = []
        seen: dict[str, int] = {}
        for pending in group.by_task.values():
            turn = seen.get(pending.alert.case_id, 0)
            seen[pending.alert.case_id] = turn + 1
            if turn == len(rounds):
                rounds.append([])
            rounds[turn].append(pending)
        failures: list[Failure] = []
        for pendings in rounds:
            failures += self._deliver_round(group, pendings)
        return failures

    def _deliver_round(self, group: _Group, pendings: list[_Pending]) -> list[Failure]:
        receiver = self._receivers[group.receiver]
        failures: list[Failure] = []
        claimed: list[tuple[_Pending, Claim]] = []
        skipped = after_end = 0
        for pending in pendings:
            alert = pending.alert
            try:
                claim = self._ledger.claim(
                    group.receiver,
                    alert.case_id,
                    alert.transition,
                    retry_parked=group.receiver in pending.redrive_for,
                )
            except Exception as ledger_error:  # the ledger is unreachable: retry the record later
                failures += [(record, ledger_error) for record in pending.records]
                continue
            if claim.state in (ClaimState.ALREADY_DELIVERED, ClaimState.PARKED):
                skipped += 1
            elif claim.state is ClaimState.ENDED:
                # The case's resolve was handled here already: a late trigger or update of an
                # ended case tells nobody anything (the case's record keeps it).
                after_end += not alert.resolved
                skipped += alert.resolved
                if not alert.resolved:
                    logger.info(
                        "Not sent: the case ended before this alert reached the receiver",
                        extra=_ids(group.receiver, alert),
                    )
            elif claim.state is ClaimState.IN_PROGRESS:
                busy = DeliveryInProgress(
                    f"{group.receiver}: a delivery for case {alert.case_id} is in progress"
                )
                failures += [(record, busy) for record in pending.records]
            elif alert.resolved and not (claim.opened and claim.send_resolved):
                failures += self._end_unopened(group, pending, claim)
            else:
                claimed.append((pending, claim))
        if skipped:
            self._metrics.count("DeliveriesSkipped", skipped, receiver=group.receiver)
        if after_end:
            self._metrics.count("AlertsAfterCaseEnded", after_end, receiver=group.receiver)
        chunks = (
            [claimed[i : i + MAX_GROUP_SIZE] for i in range(0, len(claimed), MAX_GROUP_SIZE)]
            if receiver.grouped
            else [[item] for item in claimed]
        )
        for chunk in chunks:
            failures += self._send(receiver, group, chunk)
        return failures

    def _end_unopened(self, group: _Group, pending: _Pending, claim: Claim) -> list[Failure]:
        """A case ended that no firing alert opened at this receiver (or whose routes do not
        send resolves there): nothing is sent, and a trigger arriving late will not be."""
        try:
            lost = self._ledger.mark_ended(claim)
        except Exception as ledger_error:
            with contextlib.suppress(Exception):  # the lease expires if this fails too
                self._ledger.release(claim)
            return [(record, ledger_error) for record in pending.records]
        self._lease_lost(group.receiver, lost)
        self._metrics.count("ResolvesNotNeeded", receiver=group.receiver)
        return []

    def _send(
        self, receiver: Receiver, group: _Group, chunk: list[tuple[_Pending, Claim]]
    ) -> list[Failure]:
        alerts = [pending.alert for pending, _ in chunk]
        threads = {pending.alert.case_id: claim.thread for pending, claim in chunk if claim.thread}
        try:
            started = receiver.deliver(
                alerts,
                Group(route=group.route.name, labels=group.labels),
                budget=self._budget,
                threads=threads,
            )
        except Exception as error:
            return self._failed(receiver, group, chunk, error)
        send_resolved = self._send_resolved(receiver, group)
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
                    "receiver": group.receiver,
                    "case_ids": [alert.case_id for alert in alerts],
                    "error": type(ledger_error).__name__,
                },
            )
            self._metrics.count("LedgerWriteFailures", receiver=group.receiver)
            lost = []
        self._lease_lost(group.receiver, lost)
        self._recorded(group, alerts, "delivered")
        resolves = sum(alert.resolved for alert in alerts)
        if resolves:
            self._metrics.count("AlertsResolved", resolves, receiver=group.receiver)
        if len(alerts) > resolves:
            self._metrics.count("AlertsDelivered", len(alerts) - resolves, receiver=group.receiver)
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
                "case_ids": [pending.alert.case_id for pending, _ in chunk],
            },
        )
        self._metrics.count("DeliveryFailures", len(chunk), receiver=group.receiver)
        if permanent and self._parker is not None:
            assert isinstance(error, DeliveryError)
            parked = self._park(group, chunk, error.reason)
            if parked is not None:
                return parked
        maybe_sent = isinstance(error, DeliveryError) and error.maybe_sent
        send_resolved = self._send_resolved(receiver, group)
        for _, claim in chunk:
            with contextlib.suppress(Exception):  # unreleased, the claim expires with its lease
                self._ledger.release(claim, maybe_sent=maybe_sent, send_resolved=send_resolved)
        return [(record, error) for pending, _ in chunk for record in pending.records]

    def _send_resolved(self, receiver: Receiver, group: _Group) -> bool:
        """Whether this route wants resolves at this receiver (the receiver's default when
        the route does not say)."""
        if group.route.send_resolved is None:
            return receiver.send_resolved
        return group.route.send_resolved

    def _lease_lost(self, receiver: str, keys: list[str]) -> None:
        """Items whose claim expired before it was written back: a newer delivery holds them,
        and nothing of this one was recorded (it may be sent again)."""
        if keys:
            logger.warning("Ledger lease lost", extra={"receiver": receiver, "keys": keys})
            self._metrics.count("LedgerLeasesLost", len(keys), receiver=receiver)

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
                lost = self._ledger.mark_parked(claim, group.route.repeat_window_seconds)
                self._lease_lost(group.receiver, lost)
        except Exception as parking_error:
            logger.warning(
                "Could not park a refused delivery; it will be retried",
                extra={"receiver": group.receiver, "error": type(parking_error).__name__},
            )
            return None
        self._metrics.count("DeliveriesParked", len(chunk), receiver=group.receiver)
        self._recorded(group, [pending.alert for pending, _ in chunk], f"parked: {reason}")
        return []


def _ids(receiver: str, alert: Alert) -> dict[str, str]:
    return {"receiver": receiver, "case_id": alert.case_id, "transition": alert.transition}


def _schema(body: str) -> str | None:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):  # nested past the parser's depth: no schema either
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
