"""RecorderFunction: PERSONAL_DATA_DELETION_TASK_FAILED and PERSONAL_DATA_RETRIEVAL_TASK_FAILED
events from the partner bus, each recorded once (looked up with the query of its kind, stored
and published). Wiring only: the work is `bwp_privacy.recorder`."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from bwp_privacy.common import NAMESPACE, PowertoolsMetricsSink, aws_client, trace_handler
from bwp_privacy.recorder import (
    IDEMPOTENCY_KEY_PREFIX,
    InvalidEventError,
    RecorderSettings,
    SpoofedEventError,
    TaskRef,
    build_recorder,
    parse_event,
)

SERVICE = "recorder"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

settings = RecorderSettings.from_env()
# One DynamoDB client for the failures table and the idempotency records.
dynamodb = aws_client("dynamodb")
recorder = build_recorder(settings, PowertoolsMetricsSink(metrics), dynamodb)


def _on_duplicate(response: Any, idempotent_data: DataRecord) -> Any:
    """Called instead of the function for an event id already handled."""
    metrics.add_metric(name="DuplicateEvents", unit=MetricUnit.Count, value=1)
    return {**response, "duplicate": True}


idempotency = IdempotencyConfig(
    expires_after_seconds=settings.idempotency_expiry_hours * 3600,
    response_hook=_on_duplicate,
)
persistence = DynamoDBPersistenceLayer(
    table_name=settings.idempotency_table_name, boto3_client=dynamodb
)


@idempotent_function(  # type: ignore[untyped-decorator]  # Powertools ships it untyped
    data_keyword_argument="event_id",
    config=idempotency,
    persistence_store=persistence,
    # Keys survive function renames and refactors (the default embeds both names).
    key_prefix=IDEMPOTENCY_KEY_PREFIX,
)
def record_once(*, event_id: str, ref: TaskRef, deadline: float) -> dict[str, Any]:
    """Record one event; a second delivery of the same event id returns the first result."""
    return recorder.record(ref, deadline=deadline).model_dump(mode="json", by_alias=True)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE, log_event=False)
@trace_handler(SERVICE)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Parse, then record once per event id. Invalid events raise InvalidEventError."""
    try:
        ref = parse_event(event, expected_account=settings.expected_account_id)
    except InvalidEventError as error:
        kind = "SpoofedEvents" if isinstance(error, SpoofedEventError) else "InvalidEvents"
        metrics.add_metric(name=kind, unit=MetricUnit.Count, value=1)
        logger.warning("Rejected an event", extra={"reason": str(error)[:500]})
        raise
    idempotency.register_lambda_context(context)
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000
    outcome: dict[str, Any] = record_once(event_id=ref.event.id, ref=ref, deadline=deadline)
    return outcome
