"""`bwp-privacy task show|cancel`: a deletion or retrieval task as the API knows it (never the
email, never a retrieval's link); a deletion can be cancelled in its holding period."""

from __future__ import annotations

import sys
from typing import cast

import click
from pydantic import Field

from bwp_privacy.bwp_api import (
    DeletionTask,
    PrivacyTask,
    ResourceNotFoundApiError,
    build_client,
)
from bwp_privacy.contract import TaskKind
from bwp_privacy.task_kinds import TASK_KINDS
from bwp_privacy_cli.command_registry import registered
from bwp_privacy_cli.context import CliContext, UserError, common_options, pass_cli
from bwp_privacy_cli.json_output import JsonOut, TargetOut
from bwp_privacy_cli.operator_client import OperatorRequestRefused
from bwp_privacy_cli.output import console, print_json, print_table
from bwp_privacy_cli.targets import Target


class TaskErrorOut(JsonOut):
    code: str | None
    message: str


class TaskShowOut(JsonOut):
    target: TargetOut
    business_product_id: str = Field(alias="businessProductId")
    task_id: str = Field(alias="taskId")
    kind: TaskKind
    status: str
    submission_date: str | None = Field(alias="submissionDate")
    last_updated_date: str | None = Field(alias="lastUpdatedDate")
    holding_period: int | None = Field(alias="holdingPeriod", description="null for a retrieval")
    errors: list[TaskErrorOut]


class TaskCancelOut(JsonOut):
    target: TargetOut
    task_id: str = Field(alias="taskId")
    cancelled: bool


BP_OPTION = click.option(
    "--business-product-id",
    envvar="BWP_BUSINESS_PRODUCT_ID",
    help="The task's business product (x-api-target-id). Default: from the stored failure.",
)


#: The documented statuses a deletion task cannot be cancelled in: it has left its holding
#: period (IN_PROGRESS) or ended.
NOT_CANCELLABLE = frozenset({"IN_PROGRESS", "COMPLETED", "FAILED"})


@registered(
    "Show a deletion or retrieval task; cancel a deletion task.",
    place=50,
    outputs={"task-show": TaskShowOut, "task-cancel": TaskCancelOut},
)
@click.group()
def task() -> None:
    """Deletion and retrieval tasks in Buy with Prime: show a task of either kind, cancel a
    deletion task in its holding period."""


@task.command("show")
@click.argument("task_id")
@BP_OPTION
@click.option(
    "--kind",
    type=click.Choice(list(TASK_KINDS)),
    help="The kind of task. Default: the stored failure's, else deletion.",
)
@common_options
@pass_cli
def show(
    cli: CliContext, task_id: str, business_product_id: str | None, kind: TaskKind | None
) -> None:
    """Query TASK_ID: status, dates, holding period (a deletion's) and errors."""
    with cli.target() as target, target.function_environment():
        cli.announce(target)
        settings = target.settings()
        stored = None if business_product_id and kind else _stored(target, task_id)
        bp = business_product_id or _business_product(stored, task_id)
        kind = kind or _kind(stored)
        client = build_client(settings)
        try:
            found = client.get_task(kind, bp, task_id)
        except ResourceNotFoundApiError:
            raise UserError(f"{kind} task {task_id} not found for business product {bp}") from None
    holding = found.holding_period if isinstance(found, DeletionTask) else None
    if cli.json:
        print_json(
            TaskShowOut(
                target=target.identity(),
                business_product_id=bp,
                task_id=found.task_id,
                kind=kind,
                status=found.status,
                submission_date=found.submission_date,
                last_updated_date=found.last_updated_date,
                holding_period=holding,
                errors=[TaskErrorOut(code=e.code, message=e.message) for e in found.errors],
            )
        )
        return
    _print_task(bp, kind, found)


@task.command("cancel")
@click.argument("task_id")
@BP_OPTION
@click.option(
    "--yes",
    is_flag=True,
    help="Do not ask (nor look the task up first): the cancel is sent, and Buy with Prime"
    " refuses it if the task has left its holding period.",
)
@common_options
@pass_cli
def cancel(cli: CliContext, task_id: str, business_product_id: str | None, yes: bool) -> None:
    """Cancel TASK_ID while it is in its holding period (ON_HOLD). Without --yes, the task is
    looked up first and the question asked only when it can be cancelled."""
    with cli.target() as target:
        cli.announce(target)
        bp = business_product_id or _business_product(_stored(target, task_id), task_id)
        if not yes:
            # A question whose yes can only be refused wastes the user's decision: look first.
            status = _cancellable_status(target, bp, task_id)
            if not click.confirm(
                f"Cancel deletion task {task_id} of {bp} ({status}) on {target.label}?", err=True
            ):
                console.print("Not cancelled.")
                sys.exit(1)
        # The reaction cancels it and records it, with the caller AWS authenticated.
        request = {"action": "task-cancel", "taskId": task_id, "businessProductId": bp}
        try:
            answer = target.operator_client().send(request)
        except OperatorRequestRefused as refused:
            raise UserError(str(refused)) from None
        cancelled = str(answer.get("taskId") or task_id)
    if cli.json:
        print_json(TaskCancelOut(target=target.identity(), task_id=cancelled, cancelled=True))
    else:
        console.print(f"Cancelled deletion task {cancelled}.")


def _cancellable_status(target: Target, bp: str, task_id: str) -> str:
    """The task's status as the API has it (as `task show` reads it), when a cancel can
    succeed; else a one-line refusal saying why. Buy with Prime cancels a deletion only in
    its holding period; a status it does not document is left for it to judge."""
    with target.function_environment():
        client = build_client(target.settings())
        try:
            found = client.get_deletion_task(bp, task_id)
        except ResourceNotFoundApiError:
            raise UserError(
                f"deletion task {task_id} not found for business product {bp}: nothing to cancel"
            ) from None
    if found.status in NOT_CANCELLABLE:
        raise UserError(
            f"deletion task {task_id} is {found.status}: only a task in its holding period"
            " (ON_HOLD) can be cancelled; nothing was sent"
        )
    return found.status


def _stored(target: Target, task_id: str) -> dict[str, object] | None:
    """The task's latest stored failure, if any."""
    items = target.failure_store().for_task(task_id)
    return max(items, key=lambda item: str(item.get("receivedAt"))) if items else None


def _business_product(stored: dict[str, object] | None, task_id: str) -> str:
    if stored is not None:
        return str(stored["businessProductId"])
    raise UserError(
        f"no stored failure for task {task_id}: pass --business-product-id "
        "(or set BWP_BUSINESS_PRODUCT_ID)"
    )


def _kind(stored: dict[str, object] | None) -> TaskKind:
    """The stored failure's kind (a failure stored before 1.1 is a deletion)."""
    stored_kind = stored.get("taskKind") if stored is not None else None
    return cast(TaskKind, stored_kind) if stored_kind in TASK_KINDS else "deletion"


def _print_task(bp: str, kind: TaskKind, found: PrivacyTask) -> None:
    rows: list[tuple[str, object]] = [
        ("business product", bp),
        ("status", found.status),
        ("submitted", found.submission_date),
        ("last updated", found.last_updated_date),
    ]
    if isinstance(found, DeletionTask):
        rows.append(("holding period (days)", found.holding_period))
    print_table(f"{kind.capitalize()} task {found.task_id}", ["field", "value"], rows)
    print_table(
        "Errors",
        ["code", "message"],
        ((error.code or "(none)", error.message) for error in found.errors),
    )
