"""`bwp-privacy events new`: write a valid sample event (SAM CLI has no EventBridge events)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import click

from bwp_privacy.recorder import parse_event

DETAIL_TYPES = {
    "deletion-failed": ("PERSONAL_DATA_DELETION_TASK_FAILED", "personalDataDeletionTask"),
    "deletion-completed": ("PERSONAL_DATA_DELETION_TASK_COMPLETED", "personalDataDeletionTask"),
    "retrieval-failed": ("PERSONAL_DATA_RETRIEVAL_TASK_FAILED", "personalDataRetrievalTask"),
    "retrieval-completed": ("PERSONAL_DATA_RETRIEVAL_TASK_COMPLETED", "personalDataRetrievalTask"),
}


@click.group()
def events() -> None:
    """Sample events."""


@events.command("new")
@click.option("--task-id", required=True, help="The task id the event names.")
@click.option("--business-product-id", required=True, help="The business product (bp-...).")
@click.option(
    "--type",
    "kind",
    type=click.Choice(list(DETAIL_TYPES)),
    default="deletion-failed",
    show_default=True,
)
@click.option("--rich-detail", is_flag=True, help="The 2024-11-01 rich `detail` instead of {}.")
@click.option("--replay-name", help="Mark the event as replayed from an archive.")
@click.option(
    "--source-name",
    default="bwp-privacy-sample",
    show_default=True,
    help="Partner event source name.",
)
@click.option("--account", default="123456789012", show_default=True)
@click.option("--region", default="us-east-1", show_default=True)
@click.option(
    "-o", "--output", type=click.File("w"), default="-", help="File to write (default stdout)."
)
def new(
    task_id: str,
    business_product_id: str,
    kind: str,
    rich_detail: bool,
    replay_name: str | None,
    source_name: str,
    account: str,
    region: str,
    output: Any,
) -> None:
    """Write an EventBridge event as Buy with Prime sends it."""
    detail_type, resource_key = DETAIL_TYPES[kind]
    resource = f"businessProduct/{business_product_id}/{resource_key}/{task_id}"
    event_id = str(uuid.uuid4())
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    detail: dict[str, Any] = {}
    if rich_detail:
        detail = {
            "idempotencyKey": str(uuid.uuid4()),
            "eventDescriptor": detail_type,
            "resources": [resource],
            "eventId": event_id,
            "apiVersion": "2024-11-01",
            "subscriptionId": str(uuid.uuid4()),
            "eventTime": now,
            "data": {},
        }
    event: dict[str, Any] = {
        "version": "0",
        "id": event_id,
        "detail-type": detail_type,
        "source": f"aws.partner/buywithprime/{source_name}",
        "account": account,
        "time": now,
        "region": region,
        "resources": [resource],
        "detail": detail,
    }
    if replay_name:
        event["replay-name"] = replay_name
    if kind == "deletion-failed":
        parse_event(event)  # the same checks the function makes: ids must be well formed
    output.write(json.dumps(event, indent=2) + "\n")
