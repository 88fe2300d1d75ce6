"""The inputs each function is measured with (bench/child.py makes each one afresh from
these templates), and the state the deadline watch reads: made by the real handlers, run
once in this process against the sandbox."""

from __future__ import annotations

import contextlib
import io
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

import boto3

from bench.functions import EVENT, Lambda
from bench.harness import refresh
from bwp_privacy_cli.local import LocalLambdaContext
from bwp_sandbox.sandbox import Sandbox


def quiet() -> contextlib.AbstractContextManager[object]:
    """The handlers' logs and EMF metrics, run in this process, kept off the tables' terminal."""
    return contextlib.redirect_stdout(io.StringIO())


def sqs_record(message: Mapping[str, Any], queue_url: str) -> dict[str, Any]:
    """A message received from SQS as Lambda's event source mapping hands it to a function."""
    attributes = message.get("MessageAttributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": str(int(time.time() * 1000)),
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": str(int(time.time() * 1000)),
        },
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            for name, value in attributes.items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:" + queue_url.rsplit("/", 1)[-1],
        "awsRegion": "us-east-1",
    }


def published_failure(sandbox: Sandbox) -> dict[str, Any]:
    """What the recorder publishes for the sample event, as SQS hands it to a subscriber:
    the real recorder runs once in this process with the topic's queues subscribed."""
    refresh(sandbox, fanout=True)
    event = {**json.loads(EVENT.read_text()), "id": f"bench-sample-{uuid.uuid4()}"}
    with quiet():
        answer = sandbox.recorder.handler(event, LocalLambdaContext())
    if not answer.get("published"):
        raise RuntimeError(f"the recorder did not publish the sample event: {answer}")
    sqs = boto3.client("sqs", endpoint_url=sandbox.aws.url)
    messages = sqs.receive_message(
        QueueUrl=sandbox.stack.tap_queue_url,
        MaxNumberOfMessages=1,
        MessageAttributeNames=["All"],
        WaitTimeSeconds=1,
    )["Messages"]
    refresh(sandbox)
    return sqs_record(messages[0], sandbox.stack.alert_queue_url)


def scenario_inputs(item: Lambda, record: Mapping[str, Any]) -> dict[str, Any]:
    """The templates bench/child.py makes each input of ``item`` from."""
    event = json.loads(EVENT.read_text())
    if item.scenario == "recorder":
        return {"scenario": "recorder", "event": event}
    if item.scenario == "watch":
        return {
            "scenario": "watch",
            "event": {
                "version": "0",
                "id": "",
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": "123456789012",
                "time": "2026-11-20T12:00:00Z",
                "region": "us-east-1",
                "resources": ["arn:aws:events:us-east-1:123456789012:rule/bwp-privacy-watch"],
                "detail": {},
            },
        }
    business_product = event["resources"][0].split("/")[1]
    return {
        "scenario": item.scenario,
        "record": dict(record),
        "completed": {**event, "detail-type": "PERSONAL_DATA_DELETION_TASK_COMPLETED"},
        "resource": f"businessProduct/{business_product}/personalDataDeletionTask/{{task}}",
    }


def open_cases(sandbox: Sandbox, record: Mapping[str, Any], count: int) -> None:
    """Open ``count`` cases (the real reaction, in this process): what the watch reads."""
    records = []
    for _ in range(count):
        body = {
            **json.loads(record["body"]),
            "eventId": f"bench-open-{uuid.uuid4()}",
            "taskId": f"bench-open-{uuid.uuid4()}",
        }
        records.append({**record, "messageId": str(uuid.uuid4()), "body": json.dumps(body)})
    with quiet():
        answer = sandbox.reaction.handler({"Records": records}, LocalLambdaContext())
    if answer.get("batchItemFailures"):
        raise RuntimeError(f"the reaction did not open the watch's cases: {answer}")
