"""Read what the handler left in the local AWS (stored items, published messages); a clock
the test moves."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer

from bwp_sandbox.stack import LocalStack, drain_queue

_DESERIALIZER = TypeDeserializer()


@dataclass
class FrozenClock:
    """A ``now`` for a function's clock seam that moves only when the test sets ``now``: a
    lease or a wait ends when the test says so, however slow the machine is."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now


def stored_items(stack: LocalStack) -> list[dict[str, Any]]:
    """Every item of the failures table as plain values."""
    pages = (
        boto3.client("dynamodb")
        .get_paginator("scan")
        .paginate(TableName=stack.failures_table_name, ConsistentRead=True)
    )
    return [
        {key: _DESERIALIZER.deserialize(value) for key, value in item.items()}
        for page in pages
        for item in page["Items"]
    ]


def published(stack: LocalStack) -> list[dict[str, Any]]:
    """Messages published on the failures topic since the last call: body and attributes."""
    return [
        {
            "body": json.loads(message["Body"]),
            "attributes": {
                name: value["StringValue"]
                for name, value in message.get("MessageAttributes", {}).items()
            },
        }
        for message in drain_queue(stack.tap_queue_url)
    ]


def graphql_requests(emulator: Any) -> list[dict[str, Any]]:
    return [r for r in emulator.requests_log if r["path"] == "/graphql"]
