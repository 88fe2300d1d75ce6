"""The router's first stage: a queue message becomes an alert, and the alert the receivers
its routes send it to.

A message is a failure (`TaskFailure`) or the reaction's notice about a case (`CaseNotice`),
told apart by its schema. A firing alert goes where the routing tree sends it (receivers this
stack does not deploy are skipped, and the default route catches what names none); a resolve
is not routed by the tree but offered to every receiver, since only the ledger knows where its
case was opened (a silence's end likewise: only the ledger knows where it muted the case). A
redrive of a parked delivery goes to the one receiver it names.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from bwp_privacy.alerting.alert import Alert, build_alert, build_notice_alert
from bwp_privacy.alerting.routes import RouteMatch, RoutingConfig
from bwp_privacy.common import BwpPrivacyError, MetricsSink, describe_validation_error
from bwp_privacy.contract import CASE_NOTICE_SCHEMA, CaseNotice, TaskFailure

logger = Logger(child=True)

#: Message attribute a redrive of a parked delivery carries: the one receiver to retry.
REDRIVE_ATTRIBUTE = "redriveFor"
#: The route a resolve is delivered under: not a route of the tree (see the module).
RESOLVED_ROUTE = "resolved"
#: The route a silence's end is delivered under: as a resolve's, offered to every receiver.
SILENCE_ENDED_ROUTE = "silence-ended"

#: A record and why it must be delivered again (every stage after this one answers these).
Failure = tuple[SQSRecord, Exception]


class InvalidAlertMessage(BwpPrivacyError, ValueError):
    """A queue message is not a valid failure message; it will end in the DLQ."""


class NoReceiverError(BwpPrivacyError, RuntimeError):
    """No configured receiver for an alert, even on the default route: never drop silently."""


@dataclass(frozen=True)
class Routed:
    """A record's alert and where the routes send it, before its case is known."""

    record: SQSRecord
    alert: Alert
    #: (receiver, the route that chose it), one per receiver.
    targets: tuple[tuple[str, RouteMatch], ...]
    #: The receiver a redrive of a parked delivery names, if the record is one.
    redrive: str | None


class Classifier:
    """Parses and routes one record at a time (the batch processor's record handler)."""

    def __init__(
        self,
        config: RoutingConfig,
        receivers: Sequence[str],
        metrics: MetricsSink,
        now: datetime,
    ) -> None:
        self._config = config
        self._receivers = tuple(receivers)
        self._metrics = metrics
        self._now = now

    def classify(self, record: SQSRecord) -> Routed:
        """The record's alert and its receivers; raises on a message that is not one of
        ours (InvalidAlertMessage) or an alert no deployed receiver would get."""
        alert = self._alert(record.body)
        redrive = redrive_for(record)
        targets = self._targets(alert, redrive)
        self._metrics.count("AlertsRouted")
        return Routed(record, alert, tuple(targets), redrive)

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

    def _targets(self, alert: Alert, redrive: str | None) -> list[tuple[str, RouteMatch]]:
        if alert.resolved or alert.silence_ended is not None:
            # Every receiver is asked; the ledger sends a resolve only where the case was
            # opened, a silence's end only where the silence muted an alert of the case.
            names = [redrive] if redrive in self._receivers else list(self._receivers)
            root = self._config.default_route()
            path = RESOLVED_ROUTE if alert.resolved else SILENCE_ENDED_ROUTE
            route = RouteMatch(path, path, (), (), root.repeat_window_seconds)
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


def redrive_for(record: SQSRecord) -> str | None:
    """The receiver a redrive of a parked delivery names, if the record is one."""
    attributes = record.message_attributes
    if REDRIVE_ATTRIBUTE not in attributes:
        return None
    # Indexed, not .get(): Powertools wraps the attribute in __getitem__ only.
    attribute = attributes[REDRIVE_ATTRIBUTE]
    return (attribute.string_value if attribute is not None else None) or None


def _schema(body: str) -> str | None:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):  # nested past the parser's depth: no schema either
        return None
    schema = parsed.get("schema") if isinstance(parsed, dict) else None
    return schema if isinstance(schema, str) else None
