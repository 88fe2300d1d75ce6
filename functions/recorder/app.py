"""RecorderFunction: PERSONAL_DATA_DELETION_TASK_FAILED and PERSONAL_DATA_RETRIEVAL_TASK_FAILED
events from the partner bus, each recorded once (claimed, looked up with the query of its kind,
published, and stored with the mark that it was). Wiring only: the work is
`bwp_privacy.recorder`."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from bwp_privacy.common import NAMESPACE, PowertoolsMetricsSink, trace_handler
from bwp_privacy.recorder import (
    InvalidEventError,
    RecorderSettings,
    SpoofedEventError,
    build_recorder,
    parse_event,
)

SERVICE = "recorder"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

settings = RecorderSettings.from_env()
recorder = build_recorder(settings, PowertoolsMetricsSink(metrics))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE, log_event=False)
@trace_handler(SERVICE)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Parse, then record once per event id. Invalid events raise InvalidEventError; an
    event another invocation holds raises EventHeldError (Lambda retries it later)."""
    try:
        ref = parse_event(event, expected_account=settings.expected_account_id)
    except InvalidEventError as error:
        kind = "SpoofedEvents" if isinstance(error, SpoofedEventError) else "InvalidEvents"
        metrics.add_metric(name=kind, unit=MetricUnit.Count, value=1)
        logger.warning("Rejected an event", extra={"reason": str(error)[:500]})
        raise
    # The claim on the event lasts as long as this invocation can: if it dies, the event
    # is free again when Lambda would have ended it anyway.
    remaining = context.get_remaining_time_in_millis() / 1000
    outcome = recorder.record(
        ref,
        deadline=time.monotonic() + remaining,
        lease_seconds=remaining,
        token=context.aws_request_id,
    )
    return outcome.model_dump(mode="json", by_alias=True)
