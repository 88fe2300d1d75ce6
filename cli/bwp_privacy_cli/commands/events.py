"""`bwp-privacy events new`: write a valid sample event of any of the four privacy-task types the
stack handles (SAM CLI has no EventBridge events)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import click

from bwp_privacy.contract import TaskKind
from bwp_privacy.partner_events import (
    TaskCompletedEvent,
    TaskFailedEvent,
    TaskOutcome,
    detail_type,
    parse_event,
    task_resource,
)

#: ``--type``: (kind, outcome), the four events `bwp-privacy replay` accepts.
TYPES: dict[str, tuple[TaskKind, TaskOutcome]] = {
    "deletion-failed": ("deletion", "FAILED"),
    "deletion-completed": ("deletion", "COMPLETED"),
    "retrieval-failed": ("retrieval", "FAILED"),
    "retrieval-completed": ("retrieval", "COMPLETED"),
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
    type=click.Choice(list(TYPES)),
    default="deletion-failed",
    show_default=True,
    help="FAILED events go to the recorder, COMPLETED events to the reaction (as `replay` does).",
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
    task_kind, outcome = TYPES[kind]
    name = detail_type(task_kind, outcome)
    resource = task_resource(business_product_id, task_kind, task_id)
    event_id = str(uuid.uuid4())
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    detail: dict[str, Any] = {}
    if rich_detail:
        detail = {
            "idempotencyKey": str(uuid.uuid4()),
            "eventDescriptor": name,
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
        "detail-type": name,
        "source": f"aws.partner/buywithprime/{source_name}",
        "account": account,
        "time": now,
        "region": region,
        "resources": [resource],
        "detail": detail,
    }
    if replay_name:
        event["replay-name"] = replay_name
    # The same checks the function it goes to makes: ids must be well formed.
    parse_event(event, model=TaskFailedEvent if outcome == "FAILED" else TaskCompletedEvent)
    output.write(json.dumps(event, indent=2) + "\n")
