"""Lambda entry point of the alert router (SQS batches of failure messages): wiring only."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from bwp_privacy.alerting.batch import route_batch
from bwp_privacy.alerting.runtime import RouterRuntime
from bwp_privacy.observability import NAMESPACE, PowertoolsMetricsSink, trace_handler
from bwp_privacy.settings import RouterSettings

SERVICE = "alert-router"
ROUTES_FILE = Path(__file__).with_name("routes.json")

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

runtime = RouterRuntime(RouterSettings.from_env(), ROUTES_FILE, PowertoolsMetricsSink(metrics))


@logger.inject_lambda_context(log_event=False)
@trace_handler(SERVICE)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Route one SQS batch; the answer lists the records SQS must deliver again."""
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000
    return dict(route_batch(event, runtime.new_batch(deadline=deadline)))
