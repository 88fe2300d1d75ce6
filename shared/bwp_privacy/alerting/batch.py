"""Run an SQS batch through an AlertBatch with Powertools' partial batch failure reporting."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

from bwp_privacy.alerting.router import AlertBatch


def route_batch(event: dict[str, Any], batch: AlertBatch) -> PartialItemFailureResponse:
    """Route every record, deliver the groups, report the records to retry.

    Phase one is Powertools' per-record processing (a record that cannot be parsed or routed
    fails on its own). Phase two delivers the groups, and a record whose delivery failed is
    reported through the processor's failure handler, so SQS retries just those records.
    """
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    with processor(records=event["Records"], handler=batch.add):
        processor.process()
        for record, error in batch.deliver():
            processor.failure_handler(record, (type(error), error, error.__traceback__))
    return processor.response()
