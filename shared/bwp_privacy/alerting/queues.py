"""The router's own queue calls: parking a refused delivery, delaying a record's retry."""

from __future__ import annotations

import math
import re
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from bwp_privacy.common import mask_emails

#: SQS's longest visibility timeout (12 hours), counted from the ReceiveMessage that put the
#: message in flight: a ChangeMessageVisibility that would end later is refused.
MAX_VISIBILITY_SECONDS = 43_200
#: How long before the router's call SQS may have handed the record to Lambda: the event
#: source gathers a batch for up to its batching window (template.yaml RouterBatchWindowSeconds,
#: at most 300 s), then the invocation runs up to the function's timeout (Globals, 60 s).
#: tests/unit/test_aws_limits.py fails if the template allows more.
BATCH_WINDOW_MAX_SECONDS = 300
FUNCTION_TIMEOUT_SECONDS = 60
#: On top: Lambda's own time between its receive and the invocation (throttled invokes are
#: retried), and clocks. Cutting a 12-hour Retry-After by minutes costs nothing; a refused
#: delay leaves the record to the queue's 11-minute visibility timeout.
RECEIVE_MARGIN_SECONDS = 300
SINCE_RECEIVE_SECONDS = BATCH_WINDOW_MAX_SECONDS + FUNCTION_TIMEOUT_SECONDS + RECEIVE_MARGIN_SECONDS
#: The longest delay the router asks for: it can never reach past receive time + 12 hours.
MAX_DELAY_SECONDS = MAX_VISIBILITY_SECONDS - SINCE_RECEIVE_SECONDS
PARKED_RECEIVER_ATTRIBUTE = "parkedReceiver"
PARKED_REASON_ATTRIBUTE = "parkedReason"
REASON_LIMIT = 256
#: What SQS takes in a message body or a String attribute (XML 1.0's characters): #x9 | #xA |
#: #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF. Anything else fails the whole call.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: Stands for each character SQS would refuse (itself an allowed one).
REPLACEMENT = "\ufffd"


class DeadLetterParker:
    """Sends a delivery a receiver refused for good to the router's dead-letter queue, with
    the receiver and its answer as message attributes (`bwp-privacy dlq list` shows them)."""

    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self._queue_url = queue_url

    def park(self, record: SQSRecord, receiver: str, reason: str) -> None:
        """Park the failure message of ``record`` (as it came) for ``receiver``."""
        # The reason quotes the receiver's answer: SQS refuses an attribute holding a control
        # character (a NUL, an ANSI escape), and a refused park retries the whole delivery.
        shown = xml_safe(mask_emails(reason))[:REASON_LIMIT] or "refused"
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
        """Make ``record`` visible again in ``seconds`` (rounded up, at most
        `MAX_DELAY_SECONDS`: a little under 12 hours, so that SQS never refuses it)."""
        self._sqs.change_message_visibility(
            QueueUrl=self._queue_url,
            ReceiptHandle=record.receipt_handle,
            VisibilityTimeout=min(math.ceil(seconds), MAX_DELAY_SECONDS),
        )


def xml_safe(text: str) -> str:
    """``text`` with every character SQS refuses replaced by U+FFFD (lone surrogates too)."""
    return _NOT_XML.sub(REPLACEMENT, text)
