"""AlertRouterFunction: SQS batches of failure messages, routed to the receivers. Wiring
only: the work is `bwp_privacy.alerting`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from bwp_privacy.alerting import RouterRuntime, RouterSettings, is_test_alert, route_batch
from bwp_privacy.common import NAMESPACE, Budget, PowertoolsMetricsSink, trace_handler

SERVICE = "alert-router"
ROUTES_FILE = Path(__file__).with_name("routes.json")
#: Kept back from the invocation for answering: releasing claims, delaying records, flushing
#: metrics and returning the partial batch answer before Lambda's timeout.
ANSWER_MARGIN_SECONDS = 2.0

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

runtime = RouterRuntime(RouterSettings.from_env(), ROUTES_FILE, PowertoolsMetricsSink(metrics))


@logger.inject_lambda_context(log_event=False)
@trace_handler(SERVICE)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Route one SQS batch; the answer lists the records SQS must deliver again. A test alert
    (`bwp-privacy doctor --send-test-alert` invokes the function with one) goes to every
    receiver, and the answer says what each did."""
    budget = Budget.from_remaining(
        context.get_remaining_time_in_millis() / 1000, ANSWER_MARGIN_SECONDS
    )
    if is_test_alert(event):
        return runtime.test_alert(event, budget)
    return dict(route_batch(event, runtime.stages(budget), runtime.delayer))
