"""The local AWS plays two rules of SQS that moto does not (`bwp_sandbox.sqs_rules`): the 12
hours of visibility counted from the receive, and the characters a message may hold."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.sqs.models import Message, sqs_backends

from bwp_sandbox.local_aws import ACCOUNT_ID, REGION, LocalAws

HOUR_MILLIS = 3600 * 1000


@pytest.fixture
def queue(local_aws: LocalAws, sandbox_env: dict[str, str]) -> Iterator[str]:
    sqs = boto3.client("sqs")
    url: str = sqs.create_queue(QueueName=f"sqs-rules-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    yield url
    sqs.delete_queue(QueueUrl=url)


def _in_flight(url: str) -> tuple[str, Message]:
    """Send one message and receive it: its receipt handle, and moto's own record of it."""
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    [received] = sqs.receive_message(QueueUrl=url, VisibilityTimeout=30)["Messages"]
    [message] = sqs_backends[ACCOUNT_ID][REGION].queues[url.rsplit("/", 1)[-1]]._messages
    return received["ReceiptHandle"], message


def _hide(url: str, handle: str, seconds: int) -> None:
    boto3.client("sqs").change_message_visibility(
        QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=seconds
    )


def test_the_twelve_hours_count_from_the_receive_not_the_send(queue: str) -> None:
    handle, message = _in_flight(queue)
    # As if it had waited on the queue 13 hours before this receive: SQS still allows
    # nearly 12 hours more (moto alone counts from the send and refuses).
    sent: int = message.sent_timestamp  # type: ignore[assignment]  # moto types it None
    message.sent_timestamp = sent - 13 * HOUR_MILLIS  # type: ignore[assignment]
    _hide(queue, handle, 43_200 - 60)


def test_visibility_reaching_past_the_receive_plus_twelve_hours_is_refused(queue: str) -> None:
    handle, message = _in_flight(queue)
    # Received an hour ago: 11 hours are left, give or take the minute either side.
    message._bwp_received_at -= HOUR_MILLIS  # type: ignore[attr-defined]
    with pytest.raises(ClientError) as refused:
        _hide(queue, handle, 11 * 3600 + 60)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "beyond the limit [43200 seconds]" in refused.value.response["Error"]["Message"]
    _hide(queue, handle, 11 * 3600 - 60)


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x08", "\ufffe", "\uffff"])
def test_a_character_outside_xml_is_refused_in_a_body_or_an_attribute(
    queue: str, char: str
) -> None:
    sqs = boto3.client("sqs")
    with pytest.raises(ClientError) as in_body:
        sqs.send_message(QueueUrl=queue, MessageBody=f"a{char}b")
    assert in_body.value.response["Error"]["Code"] == "InvalidMessageContents"
    attributes: dict[str, Any] = {"reason": {"DataType": "String", "StringValue": f"a{char}b"}}
    with pytest.raises(ClientError) as in_attribute:
        sqs.send_message(QueueUrl=queue, MessageBody="{}", MessageAttributes=attributes)
    assert in_attribute.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "Invalid characters found" in in_attribute.value.response["Error"]["Message"]
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)


def test_every_character_xml_allows_is_taken(queue: str) -> None:
    text = "tab\t lines\n\r café 日本 🙂 \ue000\ufffd \x7f"
    sqs = boto3.client("sqs")
    sqs.send_message(
        QueueUrl=queue,
        MessageBody=text,
        MessageAttributes={"reason": {"DataType": "String", "StringValue": text}},
    )
    [message] = sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"])["Messages"]
    assert message["Body"] == text
    assert message["MessageAttributes"]["reason"]["StringValue"] == text
