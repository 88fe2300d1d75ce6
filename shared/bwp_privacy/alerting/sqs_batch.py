"""Run an SQS batch through an AlertBatch, answering with the records SQS must deliver again.

Two phases, each inside its own contract: Powertools' BatchProcessor parses and routes every
record (a record that cannot be parsed or routed fails on its own, and the processor's
answer lists it); then the groups are delivered, and each record whose delivery a retry may
fix is added to that answer once, however many of its receivers failed.
"""

from __future__ import annotations

from typing import Any, Protocol

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from bwp_privacy.alerting.delivery import DeliveryError
from bwp_privacy.alerting.router import AlertBatch

logger = Logger(child=True)


class Delayer(Protocol):
    """Keeps a failed record off the queue for a while (a receiver's Retry-After)."""

    def delay(self, record: SQSRecord, seconds: float) -> None: ...


def route_batch(
    event: dict[str, Any], batch: AlertBatch, delayer: Delayer | None = None
) -> PartialItemFailureResponse:
    """Route every record, deliver the groups, report the records to retry.

    When a receiver asked for a wait longer than the invocation had left, the record stays
    off the queue until then.
    """
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    with processor(records=event["Records"], handler=batch.add):
        processor.process()
    answer = processor.response()
    reported = {item["itemIdentifier"] for item in answer["batchItemFailures"]}
    waits: dict[str, tuple[SQSRecord, float | None]] = {}
    for record, error in batch.deliver():
        wait = error.retry_after if isinstance(error, DeliveryError) else None
        _, longest = waits.get(record.message_id, (record, None))
        waits[record.message_id] = (record, max(filter(None, (longest, wait)), default=None))
    for message_id, (record, wait) in waits.items():
        if message_id not in reported:
            reported.add(message_id)
            answer["batchItemFailures"].append({"itemIdentifier": message_id})
        if wait and delayer is not None:
            _delay(delayer, record, wait)
    return answer


def _delay(delayer: Delayer, record: SQSRecord, seconds: float) -> None:
    try:
        delayer.delay(record, seconds)
    except Exception as error:  # the queue's own visibility timeout applies instead
        logger.warning(
            "Could not delay a record for its Retry-After",
            extra={"seconds": seconds, "error": type(error).__name__},
        )
