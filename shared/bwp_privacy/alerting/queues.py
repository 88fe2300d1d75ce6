"""The router's own queue calls: parking a refused delivery, delaying a record's retry."""

from __future__ import annotations

import math
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from bwp_privacy.common import mask_emails

#: SQS's longest visibility timeout (12 hours).
MAX_VISIBILITY_SECONDS = 43_200
PARKED_RECEIVER_ATTRIBUTE = "parkedReceiver"
PARKED_REASON_ATTRIBUTE = "parkedReason"
REASON_LIMIT = 256


class DeadLetterParker:
    """Sends a delivery a receiver refused for good to the router's dead-letter queue, with
    the receiver and its answer as message attributes (`bwp-privacy dlq list` shows them)."""

    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self._queue_url = queue_url

    def park(self, record: SQSRecord, receiver: str, reason: str) -> None:
        """Park the failure message of ``record`` (as it came) for ``receiver``."""
        shown = mask_emails(reason)[:REASON_LIMIT] or "refused"
        self._sqs.send_message(
            QueueUrl=self._queue_url,
            MessageBody=record.body,
            MessageAttributes={
                PARKED_RECEIVER_ATTRIBUTE: {"DataType": "String", "StringValue": receiver},
                PARKED_REASON_ATTRIBUTE: {"DataType": "String", "StringValue": shown},
            },
        )


class VisibilityDelayer:
    """Keeps a record off the queue until a receiver's Retry-After has passed."""

    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self._queue_url = queue_url

    def delay(self, record: SQSRecord, seconds: float) -> None:
        """Make ``record`` visible again in ``seconds`` (rounded up, at most 12 hours)."""
        self._sqs.change_message_visibility(
            QueueUrl=self._queue_url,
            ReceiptHandle=record.receipt_handle,
            VisibilityTimeout=min(math.ceil(seconds), MAX_VISIBILITY_SECONDS),
        )
