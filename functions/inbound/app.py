"""InboundFunction: Slack's buttons and close modal, and PagerDuty's webhooks (v3), at its
function URL (AuthType NONE: each request is verified by its signature, on its raw bytes).
Each verified request is one message on InboundQueue for the reaction; the answer goes back
within Slack's three seconds. Wiring only: the work is `bwp_privacy.inbound`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from bwp_privacy.common import NAMESPACE, PowertoolsMetricsSink, trace_handler
from bwp_privacy.inbound import InboundSettings, build_inbound

SERVICE = "inbound"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

settings = InboundSettings.from_env()
inbound = build_inbound(settings, PowertoolsMetricsSink(metrics))


@logger.inject_lambda_context(log_event=False)
@trace_handler(SERVICE)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One request to the function URL (payload format 2.0); its HTTP answer."""
    return inbound.handle(event)
