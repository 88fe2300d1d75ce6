"""`bwp-privacy failures list|show`: the failures table, by index query."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import click
from pydantic import Field

from bwp_privacy_cli.command_registry import registered
from bwp_privacy_cli.context import CliContext, UserError, common_options, pass_cli
from bwp_privacy_cli.json_output import JsonOut, StoredFailure, TargetOut
from bwp_privacy_cli.output import console, err_console, print_json, print_table, progress
from bwp_privacy_cli.timeparse import SINCE, Since


class FailuresListOut(JsonOut):
    target: TargetOut
    since: str
    days: int = Field(description="how many days of the ByReceivedDay index were read")
    failures: list[StoredFailure]
    count: int


class FailuresShowOut(JsonOut):
    target: TargetOut
    task_id: str = Field(alias="taskId")
    events: int = Field(description="stored events of the task (one failure each)")
    failures: list[StoredFailure] = Field(description="the latest first; all with --all")


@registered(
    "List and show stored deletion and retrieval failures.",
    place=60,
    outputs={"failures-list": FailuresListOut, "failures-show": FailuresShowOut},
)
@click.group()
def failures() -> None:
    """Stored failures of both kinds of privacy task, deletion and retrieval: what Buy with
    Prime's FAILED events said, with the task's errors as the recorder looked them up."""


@failures.command("list")
@click.option(
    "--since",
    type=SINCE,
    default="7d",
    show_default=True,
    help="7d, 12h, 30m or an ISO date; at most the retention (RetentionDays) is read.",
)
@click.option("--business-product-id", help="Only this business product.")
@click.option(
    "--error-code", help="Only failures with this error code (e.g. orders_not_closed; any case)."
)
@common_options
@pass_cli
def list_(
    cli: CliContext, since: Since, business_product_id: str | None, error_code: str | None
) -> None:
    """Failures received since --since, newest first."""
    now = datetime.now(UTC)
    start = since.at(now)
    code = error_code.strip().upper() if error_code else None
    with cli.target() as target:
        cli.announce(target)
        settings = target.settings()
        # Nothing older than the retention is kept (TTL): reading further only costs queries.
        oldest = now - timedelta(days=settings.retention_days)
        if start < oldest:
            err_console.print(
                f"Reading the last {settings.retention_days} days (RetentionDays): older failures"
                " are no longer kept."
            )
            start = oldest
        days = (now.date() - start.date()).days + 1
        queries = 1 if business_product_id else days
        with progress(queries, f"reading {days} day(s)") as bar:
            items = target.failure_store().list_received(
                start,
                business_product_id=business_product_id,
                error_code=code,
                until=now,
                on_query=lambda: bar.advance(bar.task_ids[0]),
            )
    found = [StoredFailure.from_item(item) for item in items]
    if cli.json:
        print_json(
            FailuresListOut(
                target=target.identity(),
                since=start.isoformat().replace("+00:00", "Z"),
                days=days,
                failures=found,
                count=len(found),
            )
        )
        return
    print_table(
        f"Failures since {start.isoformat(timespec='seconds')}",
        ["received", "task", "business product", "errors", "lookup", "status"],
        (
            (
                _to_the_second(f.received_at),
                f.task_id,
                f.business_product_id,
                ", ".join(f.codes),
                f.lookup.status.value,
                f.status,
            )
            for f in found
        ),
        ids=("task", "business product"),
        # The task and its errors say what failed; a narrow terminal does without the rest,
        # the business product first (a merchant has one or few).
        spare=("business product", "lookup", "status", "received"),
    )
    console.print(f"{len(found)} failure(s)")
    if code and not found:
        console.print(f"No failure with error code {code} in that period.")


@failures.command("show")
@click.argument("task_id")
@click.option("--all", "show_all", is_flag=True, help="Every stored event, not only the latest.")
@common_options
@pass_cli
def show(cli: CliContext, task_id: str, show_all: bool) -> None:
    """The latest stored failure of TASK_ID in full, and how many events it has (--all for
    every one). Never the shopper's email: it is not stored."""
    with cli.target() as target:
        cli.announce(target)
        items = target.failure_store().for_task(task_id)
    if not items:
        raise UserError(f"no stored failure for task {task_id}")
    found = sorted(
        (StoredFailure.from_item(item) for item in items),
        key=lambda f: f.received_at,
        reverse=True,
    )
    shown = found if show_all else found[:1]
    if cli.json:
        print_json(
            FailuresShowOut(
                target=target.identity(),
                task_id=task_id,
                events=len(found),
                failures=shown,
            )
        )
        return
    for failure in shown:
        _print_failure(failure)
    if len(found) > len(shown):
        console.print(
            f"{len(found)} stored events for this task; the latest is shown"
            f" (`bwp-privacy failures show {task_id} --all` for every one)."
        )


def _to_the_second(moment: str) -> str:
    """An ISO time without its fraction of a second (`failures show` has it): seven columns
    a narrow terminal gives to another column."""
    return re.sub(r"\.\d+(?=Z|[+-]\d\d:\d\d|$)", "", moment)


def _print_failure(failure: StoredFailure) -> None:
    lookup = failure.lookup
    rows = [
        ("event", f"{failure.event_id} at {failure.event_time}"),
        ("business product", failure.business_product_id),
        ("status", failure.status),
        ("submitted", failure.submission_date),
        ("holding period", failure.holding_period),
        ("lookup", lookup.status.value),
        ("received", failure.received_at),
        ("published", failure.published_at),
        ("replay", failure.replay_name),
        ("kept until", failure.expires_at),
    ]
    if lookup.error_type:
        rows.append(("lookup error", f"{lookup.error_type}: {lookup.message}"))
    print_table(f"Task {failure.task_id}", ["field", "value"], rows)
    print_table(
        "Errors",
        ["code", "message"],
        ((e.code or "(none)", e.message) for e in failure.errors),
    )
    if failure.errors_omitted:
        console.print(
            f"…and {failure.errors_omitted} more error(s) the API listed: only the first"
            f" {len(failure.errors)} are kept (AWS bounds the size of a message and an item)."
        )
