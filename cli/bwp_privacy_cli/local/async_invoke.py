"""Lambda's asynchronous invocation, played locally: retries, then the OnFailure destination.

An EventBridge rule invokes the function asynchronously. When the handler raises, Lambda runs
it twice more and then sends an invocation record (the event and the error) to the OnFailure
destination. This does the same in-process, without the waits.
"""

from __future__ import annotations

import json
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bwp_privacy_cli.local.context import LocalLambdaContext
from bwp_privacy_cli.local.function import LocalFunction, ProcessCrash


@dataclass
class AsyncOutcome:
    attempts: int
    result: Any = None
    error: BaseException | None = None


def invoke_async(
    function: LocalFunction,
    event: dict[str, Any],
    *,
    on_failure_queue_url: str,
    max_retries: int = 2,
) -> AsyncOutcome:
    """Invoke with up to ``max_retries`` retries; park the event on the OnFailure queue.

    Lambda sends the OnFailure record with the function's role (SAM grants it
    sqs:SendMessage on the destination), so the local send does too.
    """
    error: BaseException | None = None
    for attempt in range(1, max_retries + 2):
        try:
            context = LocalLambdaContext(
                function_name=function.logical_id, timeout_seconds=function.timeout_seconds
            )
            return AsyncOutcome(attempts=attempt, result=function.handler(event, context))
        except (Exception, ProcessCrash) as caught:
            # A process that died fails its invocation like an error: Lambda retries it.
            error = caught
    assert error is not None
    function.client("sqs").send_message(
        QueueUrl=on_failure_queue_url,
        MessageBody=json.dumps(
            on_failure_record(event, error, max_retries + 1, function=function.logical_id)
        ),
    )
    return AsyncOutcome(attempts=max_retries + 1, error=error)


def on_failure_record(
    event: dict[str, Any],
    error: BaseException,
    attempts: int,
    *,
    function: str = "RecorderFunction",
) -> dict[str, Any]:
    """The record Lambda sends to an SQS OnFailure destination."""
    context = LocalLambdaContext(function_name=function)
    return {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(),
        "requestContext": {
            "requestId": context.aws_request_id,
            "functionArn": f"{context.invoked_function_arn}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": {
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "requestId": "",
            "stackTrace": traceback.format_exception(error)[-3:],
        },
    }
