"""Long-lived parts of the alert router, built once per execution environment."""

from __future__ import annotations

from pathlib import Path

import boto3

from bwp_privacy.alerting.ledger import DeliveryLedger
from bwp_privacy.alerting.queues import DeadLetterParker, VisibilityDelayer
from bwp_privacy.alerting.receiver_config import build_receivers
from bwp_privacy.alerting.receivers.http import JsonPoster
from bwp_privacy.alerting.router import AlertBatch
from bwp_privacy.alerting.routes_source import RoutesSource
from bwp_privacy.aws_config import AWS_CLIENT_CONFIG
from bwp_privacy.budget import Budget
from bwp_privacy.observability import MetricsSink
from bwp_privacy.retry import Backoff
from bwp_privacy.secrets import JsonSecrets
from bwp_privacy.settings import RouterSettings


class RouterRuntime:
    """Clients, HTTP session, ledger and routes; `new_batch` per invocation."""

    def __init__(
        self, settings: RouterSettings, bundled_routes: Path, metrics: MetricsSink
    ) -> None:
        self._settings = settings
        self._metrics = metrics
        # Every AWS client is made here, at cold start, and only for what this stack deploys:
        # each costs cold-start time.
        ssm = (
            boto3.client("ssm", config=AWS_CLIENT_CONFIG)
            if settings.routes_parameter_name
            else None
        )
        self._routes = RoutesSource(bundled_routes, settings.routes_parameter_name, ssm)
        self._secrets = (
            JsonSecrets(boto3.client("secretsmanager", config=AWS_CLIENT_CONFIG))
            if settings.receiver_secret_ids()
            else None
        )
        self._poster = JsonPoster(
            timeout_seconds=settings.http_timeout_seconds,
            backoff=Backoff(
                max_attempts=3, base_seconds=settings.retry_base_seconds, cap_seconds=4
            ),
        )
        self._sns = (
            boto3.client("sns", config=AWS_CLIENT_CONFIG) if settings.amazon_q_topic_arn else None
        )
        self._events = (
            boto3.client("events", config=AWS_CLIENT_CONFIG)
            if settings.alert_event_bus_name
            else None
        )
        self._ledger = DeliveryLedger(
            boto3.client("dynamodb", config=AWS_CLIENT_CONFIG),
            settings.ledger_table_name,
            lease_seconds=settings.ledger_lease_seconds,
        )
        sqs = (
            boto3.client("sqs", config=AWS_CLIENT_CONFIG)
            if settings.alert_queue_url or settings.alert_dlq_url
            else None
        )
        #: Where permanent refusals wait for a person, and how Retry-After outlives a batch.
        self.parker = (
            DeadLetterParker(sqs, settings.alert_dlq_url) if settings.alert_dlq_url else None
        )
        self.delayer = (
            VisibilityDelayer(sqs, settings.alert_queue_url) if settings.alert_queue_url else None
        )

    def new_batch(self, budget: Budget) -> AlertBatch:
        """A batch with the current routes and receivers (secrets and SSM are cached)."""
        return AlertBatch(
            self._routes.get(),
            build_receivers(self._settings, self._poster, self._secrets, self._sns, self._events),
            self._ledger,
            self._metrics,
            budget=budget,
            parker=self.parker,
        )
