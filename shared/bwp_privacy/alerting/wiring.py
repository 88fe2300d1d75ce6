"""Long-lived parts of the alert router, built once per execution environment (cold start)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bwp_privacy.alerting.auditing import AlertAudit
from bwp_privacy.alerting.case_links import CasesTableLinks
from bwp_privacy.alerting.classify import Classifier
from bwp_privacy.alerting.deliver_once import Deliverer
from bwp_privacy.alerting.delivery import JsonPoster, Receiver, ReceiverContext
from bwp_privacy.alerting.drill import TEST_ALERT_KEY, TestAlertRequest, send_test_alert
from bwp_privacy.alerting.ledger import DeliveryLedger
from bwp_privacy.alerting.queues import DeadLetterParker, VisibilityDelayer
from bwp_privacy.alerting.receivers import RECEIVERS
from bwp_privacy.alerting.routes_source import RoutesSource
from bwp_privacy.alerting.settings import RouterSettings, deployed_receivers
from bwp_privacy.alerting.silencing import BatchSilences, Silencer
from bwp_privacy.alerting.sqs_batch import RouterStages
from bwp_privacy.audit import AuditTrail
from bwp_privacy.common import Backoff, Budget, JsonSecrets, MetricsSink, aws_client
from bwp_privacy.silences import SilenceStore

#: The AWS client each kind of receiver setting needs.
_SERVICES = {"sns-topic": "sns", "event-bus": "events"}


class RouterRuntime:
    """Clients, HTTP sessions, ledger and routes; `stages` per invocation."""

    def __init__(
        self,
        settings: RouterSettings,
        bundled_routes: Path,
        metrics: MetricsSink,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        environ = dict(os.environ if environ is None else environ)
        self._metrics = metrics
        self._deployed = deployed_receivers(environ)
        kinds = {RECEIVERS[name].resource for name in self._deployed}
        # Every AWS client is made here, at cold start, and only for what this stack deploys:
        # each costs cold-start time.
        self._routes = RoutesSource.from_settings(bundled_routes, settings)
        clients = {
            service: aws_client(service) for kind, service in _SERVICES.items() if kind in kinds
        }
        self._context = ReceiverContext(
            poster=JsonPoster(
                timeout_seconds=settings.http_timeout_seconds,
                backoff=Backoff(
                    max_attempts=3, base_seconds=settings.retry_base_seconds, cap_seconds=4
                ),
            ),
            secrets=JsonSecrets(aws_client("secretsmanager")) if "secret" in kinds else None,
            clients=clients.__getitem__,
            environ=environ,
        )
        dynamodb = aws_client("dynamodb")
        self._ledger = DeliveryLedger(
            dynamodb, settings.ledger_table_name, lease_seconds=settings.ledger_lease_seconds
        )
        self._links = (
            CasesTableLinks(dynamodb, settings.cases_table_name)
            if settings.cases_table_name
            else None
        )
        self._audit = (
            AuditTrail(dynamodb, settings.audit_table_name) if settings.audit_table_name else None
        )
        self._silences = (
            SilenceStore(dynamodb, settings.silences_table_name)
            if settings.silences_table_name
            else None
        )
        self._due_soon_days = settings.due_soon_days
        self._actor = settings.actor
        self._retention_days = settings.retention_days
        sqs = aws_client("sqs") if settings.alert_queue_url or settings.alert_dlq_url else None
        #: Where permanent refusals wait for a person, and how Retry-After outlives a batch.
        self.parker = (
            DeadLetterParker(sqs, settings.alert_dlq_url) if settings.alert_dlq_url else None
        )
        self.delayer = (
            VisibilityDelayer(sqs, settings.alert_queue_url) if settings.alert_queue_url else None
        )

    def receivers(self) -> dict[str, Receiver]:
        """Every deployed receiver, built anew (secrets are cached, so a rotated one is used
        within five minutes; sessions and clients are kept)."""
        return {name: build() for name, build in self.builders().items()}

    def builders(self) -> dict[str, Callable[[], Receiver]]:
        """How to build each deployed receiver, by name (a test alert builds each on its own,
        so that one whose secret cannot be read fails alone)."""
        return {
            name: functools.partial(RECEIVERS[name].build, value, self._context)
            for name, value in self._deployed.items()
        }

    def test_alert(self, event: dict[str, Any], budget: Budget) -> dict[str, Any]:
        """Send a test alert (`bwp-privacy doctor --send-test-alert`) to every deployed
        receiver; the answer lists what each said."""
        request = TestAlertRequest.from_event(event)
        deliveries = send_test_alert(self.builders(), request, budget, datetime.now(UTC))
        return {
            TEST_ALERT_KEY: {
                "id": request.id,
                "deliveries": [delivery.model_dump() for delivery in deliveries],
            }
        }

    def stages(self, budget: Budget) -> RouterStages:
        """The router's stages for one invocation, with the current routes and receivers
        (secrets and SSM are cached)."""
        receivers = self.receivers()
        now = datetime.now(UTC)
        silences = BatchSilences(self._silences, now, self._metrics)
        return RouterStages(
            classifier=Classifier(self._routes.get(), list(receivers), self._metrics, now),
            links=self._links,
            deliverers={
                name: Deliverer(
                    name,
                    receiver,
                    self._ledger,
                    self._metrics,
                    budget=budget,
                    parker=self.parker,
                    active_silences=silences.ids,
                )
                for name, receiver in receivers.items()
            },
            audit=AlertAudit(
                self._audit, self._metrics, actor=self._actor, retention_days=self._retention_days
            ),
            budget=budget,
            silencer=Silencer(
                silences, self._links, self._ledger, self._metrics, now, self._due_soon_days
            )
            if self._silences is not None
            else None,
        )
