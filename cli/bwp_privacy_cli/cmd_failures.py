"""`bwp-privacy failures list|show`: the failures table, by index query."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import click

from bwp_privacy.aws_config import AWS_CLIENT_CONFIG
from bwp_privacy.failure_store import FailureStore
from bwp_privacy.settings import Settings
from bwp_privacy_cli.context import CliContext, UserError, common_options, pass_cli
from bwp_privacy_cli.output import console, print_json, print_table

_RELATIVE = re.compile(r"(\d+)([mhd])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """'7d', '12h', '30m' ago, or an ISO date/time (UTC when no zone is given)."""
    now = now or datetime.now(UTC)
    match = _RELATIVE.fullmatch(text)
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: use 7d, 12h, 30m or an ISO date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.group()
def failures() -> None:
    """Stored deletion failures."""


@failures.command("list")
@click.option("--since", default="7d", show_default=True, help="7d, 12h, 30m or an ISO date.")
@click.option("--business-product-id", help="Only this business product.")
@click.option("--error-code", help="Only failures with this error code (e.g. ORDERS_NOT_CLOSED).")
@common_options
@pass_cli
def list_(
    cli: CliContext, since: str, business_product_id: str | None, error_code: str | None
) -> None:
    """Failures received since --since, newest first."""
    start = parse_since(since)
    with cli.target() as target:
        items = failure_store(Settings.from_env(target.function_env)).list_received(
            start, business_product_id=business_product_id, error_code=error_code
        )
    if cli.json:
        print_json({"failures": items, "count": len(items)})
        return
    print_table(
        f"Failures since {start.isoformat(timespec='seconds')}",
        ["received", "task", "business product", "errors", "lookup", "status"],
        (
            (
                i.get("receivedAt"),
                i.get("taskId"),
                i.get("businessProductId"),
                ", ".join(i.get("errorCodes", [])),
                i.get("lookup", {}).get("status"),
                i.get("status"),
            )
            for i in items
        ),
    )
    console.print(f"{len(items)} failure(s)")


@failures.command("show")
@click.argument("task_id")
@common_options
@pass_cli
def show(cli: CliContext, task_id: str) -> None:
    """Every stored event of TASK_ID, in full (never the shopper's email: it is not stored)."""
    with cli.target() as target:
        items = failure_store(Settings.from_env(target.function_env)).for_task(task_id)
    if not items:
        raise UserError(f"no stored failure for task {task_id}")
    if cli.json:
        print_json({"failures": items})
        return
    for item in items:
        _print_item(item)


def failure_store(settings: Settings) -> FailureStore:
    """The function's failures table, for reading."""
    return FailureStore(
        boto3.client("dynamodb", config=AWS_CLIENT_CONFIG),
        settings.failures_table_name,
        settings.retention_days,
    )


def _print_item(item: dict[str, Any]) -> None:
    rows = [
        ("event", f"{item.get('eventId')} at {item.get('eventTime')}"),
        ("business product", item.get("businessProductId")),
        ("status", item.get("status")),
        ("submitted", item.get("submissionDate")),
        ("holding period", item.get("holdingPeriod")),
        ("lookup", item.get("lookup", {}).get("status")),
        ("received", item.get("receivedAt")),
        ("published", item.get("publishedAt")),
        ("replay", item.get("replayName")),
    ]
    lookup = item.get("lookup", {})
    if lookup.get("errorType"):
        rows.append(("lookup error", f"{lookup.get('errorType')}: {lookup.get('message')}"))
    print_table(f"Task {item.get('taskId')}", ["field", "value"], rows)
    print_table(
        "Errors",
        ["code", "message"],
        ((e.get("code") or "(none)", e.get("message")) for e in item.get("errors", [])),
    )
