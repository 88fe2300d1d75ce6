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

from bwp_privacy_cli.local import LocalFunction, LocalLambdaContext, ProcessCrash
from bwp_sandbox.admin import admin_client
from bwp_sandbox.stack import queue_arn

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class PollResult:
    received: int
    failed: int


class SqsEventSource:
    """Feeds one queue to one function.

    Lambda polls with the function's role (its SQS permissions come from the role): given a
    `LocalFunction`, so does this. A bare handler is polled with the caller's credentials.
    """

    def __init__(
        self,
        queue_url: str,
        function: LocalFunction | Handler,
        *,
        batch_size: int = 100,
        timeout_seconds: float | None = None,
    ) -> None:
        self._queue_url = queue_url
        self._batch_size = batch_size
        self._timeout = timeout_seconds
        if isinstance(function, LocalFunction):
            self._handler: Handler = function.handler
            self._sqs = function.client("sqs")
            self._function_name = function.logical_id
            self._timeout = self._timeout or function.timeout_seconds
        else:
            self._handler = function
            self._sqs = boto3.client("sqs")
            self._function_name = "AlertRouterFunction"
        self._arn = queue_arn(queue_url)
        self._failed: list[str] = []

    def poll_once(self, *, retry_now: bool = False) -> PollResult:
        """One invocation with whatever is visible now (nothing if the queue is empty)."""
        messages = self._receive()
        if not messages:
            return PollResult(0, 0)
        event = {"Records": [self._record(m) for m in messages]}
        try:
            answer = self._handler(event, self._context())
            failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
        except (Exception, ProcessCrash):
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
        self._failed = [m["ReceiptHandle"] for m in messages if m["MessageId"] in failed]
        if retry_now:
            self.release_failed()
        return PollResult(len(messages), len(failed))

    def release_failed(self) -> None:
        """Make the records the last poll failed visible at once: the sandbox skips the wait
        for their visibility timeout (with its own credentials: Lambda never does this)."""
        clock = admin_client("sqs")
        for handle in self._failed:
            clock.change_message_visibility(
                QueueUrl=self._queue_url, ReceiptHandle=handle, VisibilityTimeout=0
            )
        self._failed = []

    def _context(self) -> LocalLambdaContext:
        return LocalLambdaContext(
            function_name=self._function_name, timeout_seconds=self._timeout or 60.0
        )

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
