"""Run an SQS batch through an AlertBatch with Powertools' partial batch failure reporting."""

from __future__ import annotations

from typing import Any, Protocol

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

from bwp_privacy.alerting.receivers.base import DeliveryError
from bwp_privacy.alerting.router import AlertBatch

logger = Logger(child=True)


class Delayer(Protocol):
    """Keeps a failed record off the queue for a while (a receiver's Retry-After)."""

    def delay(self, record: Any, seconds: float) -> None: ...


def route_batch(
    event: dict[str, Any], batch: AlertBatch, delayer: Delayer | None = None
) -> PartialItemFailureResponse:
    """Route every record, deliver the groups, report the records to retry.

    Phase one is Powertools' per-record processing (a record that cannot be parsed or routed
    fails on its own). Phase two delivers the groups; a record whose delivery failed is
    reported once, however many of its receivers failed, so SQS retries just those records.
    When a receiver asked for a wait longer than the invocation had left, the record stays
    off the queue until then.
    """
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    with processor(records=event["Records"], handler=batch.add):
        processor.process()
        failed: dict[str, tuple[Any, list[Exception]]] = {}
        for record, error in batch.deliver():
            failed.setdefault(record.message_id, (record, []))[1].append(error)
        for record, errors in failed.values():
            first = errors[0]
            processor.failure_handler(record, (type(first), first, first.__traceback__))
            wait = max(
                (e.retry_after for e in errors if isinstance(e, DeliveryError) and e.retry_after),
                default=None,
            )
            if wait and delayer is not None:
                _delay(delayer, record, wait)
    return processor.response()


def _delay(delayer: Delayer, record: Any, seconds: float) -> None:
    try:
        delayer.delay(record, seconds)
    except Exception as error:  # the queue's own visibility timeout applies instead
        logger.warning(
            "Could not delay a record for its Retry-After",
            extra={"seconds": seconds, "error": type(error).__name__},
        )
