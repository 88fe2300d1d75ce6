"""An SQS event source mapping, played locally: poll, invoke in-process, delete what succeeded.

Like Lambda's: up to ``batch_size`` messages per invocation, the batch as an SQS event,
`batchItemFailures` left on the queue (visible again after the visibility timeout, or at
once with ``retry_now``), everything else deleted. The queue's redrive policy moves a
message to its DLQ after maxReceiveCount receives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3

from bwp_sandbox.lambda_context import LocalLambdaContext
from bwp_sandbox.stack import queue_arn

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class PollResult:
    received: int
    failed: int


class SqsEventSource:
    """Feeds one queue to one handler."""

    def __init__(self, queue_url: str, handler: Handler, *, batch_size: int = 100) -> None:
        self._queue_url = queue_url
        self._handler = handler
        self._batch_size = batch_size
        self._sqs = boto3.client("sqs")
        self._arn = queue_arn(queue_url)

    def poll_once(self, *, retry_now: bool = False) -> PollResult:
        """One invocation with whatever is visible now (nothing if the queue is empty)."""
        messages = self._receive()
        if not messages:
            return PollResult(0, 0)
        event = {"Records": [self._record(m) for m in messages]}
        try:
            answer = self._handler(event, LocalLambdaContext(function_name="AlertRouterFunction"))
            failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
        except Exception:
            failed = {m["MessageId"] for m in messages}  # the whole batch returns to the queue
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(done[start : start + 10])
                ],
            )
        if retry_now:
            for message in messages:
                if message["MessageId"] in failed:
                    self._sqs.change_message_visibility(
                        QueueUrl=self._queue_url,
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=0,
                    )
        return PollResult(len(messages), len(failed))

    def drain(self, *, max_invocations: int = 100, retry_now: bool = True) -> list[PollResult]:
        """Poll until the queue is empty (failures retried at once until they reach the DLQ)."""
        results = []
        for _ in range(max_invocations):
            result = self.poll_once(retry_now=retry_now)
            if result.received == 0:
                break
            results.append(result)
        return results

    def _receive(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while len(messages) < self._batch_size:
            batch = self._sqs.receive_message(
                QueueUrl=self._queue_url,
                MaxNumberOfMessages=min(10, self._batch_size - len(messages)),
                MessageAttributeNames=["All"],
                AttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not batch:
                break
            messages.extend(batch)
        return messages

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return sqs_record(message, self._arn)


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """The Lambda SQS event record for a message as ReceiveMessage returns it."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "dataType": value["DataType"],
                "stringListValues": [],
                "binaryListValues": [],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3],
    }
