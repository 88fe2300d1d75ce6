"""`bwp-privacy dlq list|redrive|discard`: what is parked and why; send it home, losing nothing."""

from __future__ import annotations

import sys
from collections.abc import Iterable

import click
from rich.text import Text

from bwp_privacy.audit import SUBJECT_DLQ, subject
from bwp_privacy.common import bounded
from bwp_privacy_cli import dlq as queues
from bwp_privacy_cli.audit_log import audited
from bwp_privacy_cli.command_registry import registered
from bwp_privacy_cli.context import CliContext, UserError, common_options, pass_cli
from bwp_privacy_cli.json_output import DlqMessageOut, DlqRedrivenOut, JsonOut, TargetOut
from bwp_privacy_cli.output import (
    console,
    err_console,
    plain,
    print_json,
    print_table,
    progress,
)
from bwp_privacy_cli.targets import Target


class DlqListOut(JsonOut):
    target: TargetOut
    messages: list[DlqMessageOut]
    count: int


class DlqRedriveOut(JsonOut):
    target: TargetOut
    results: list[DlqRedrivenOut]
    redriven: int
    kept: int


class DlqDiscardOut(JsonOut):
    target: TargetOut
    removed: list[DlqMessageOut]
    count: int


QUEUE_OPTION = click.option(
    "--queue",
    "queue_names",
    type=click.Choice([*queues.QUEUES, "all"]),
    default="all",
    show_default=True,
    help="Which dead-letter queue.",
)


@registered(
    "List, redrive, discard the dead letters (either kind of task).",
    place=70,
    outputs={"dlq-list": DlqListOut, "dlq-redrive": DlqRedriveOut, "dlq-discard": DlqDiscardOut},
)
@click.group()
def dlq() -> None:
    """The rules' DLQ, the functions' OnFailure queue, the router, reaction, schedule and
    inbound DLQs."""


@dlq.command("list")
@QUEUE_OPTION
@click.option("--max", "limit", type=click.IntRange(1, 10000), default=1000, show_default=True)
@common_options
@pass_cli
def list_(cli: CliContext, queue_names: str, limit: int) -> None:
    """Show parked messages: task, event, and why they are there."""
    with cli.target() as target:
        cli.announce(target)
        parked = [
            m.out()
            for name in _selected(target, queue_names)
            for m in queues.peek(target, name, limit)
        ]
    if cli.json:
        print_json(DlqListOut(target=target.identity(), messages=parked, count=len(parked)))
        return
    print_table(
        "Dead-letter queues",
        ["queue", "sent", "task", "event", "reason"],
        ((m.queue, m.sent_at, m.task_id, m.event_id, m.reason) for m in parked),
        # Which task and why it is parked stay; a narrow terminal does without the rest (a
        # task has one event in a queue or few; --json has them all).
        spare=_SPARE,
    )
    console.print(f"{len(parked)} message(s)")


@dlq.command("redrive")
@QUEUE_OPTION
@click.option("--max", "limit", type=click.IntRange(1, 10000), default=1000, show_default=True)
@common_options
@pass_cli
def redrive(cli: CliContext, queue_names: str, limit: int) -> None:
    """Re-send parked events to the function (router DLQ: back to the alert queue; reaction
    DLQ: back to the reaction queue; inbound DLQ: Slack's and PagerDuty's actions carried out
    again by the reaction, which reads them from the queue itself, once each).

    A message is deleted only after its re-send succeeded; if the command is interrupted,
    the message in flight reappears on its queue. Exits 1 if any re-send failed.
    """
    with cli.target() as target:
        cli.announce(target)
        names = _selected(target, queue_names)
        total = min(sum(queues.approximate_count(target.queues[n]) for n in names), limit)
        with (
            audited(target, "dlq redrive", _subject(names), f"--max {limit}") as action,
            progress(total, "redriving") as bar,
        ):
            results = queues.redrive(
                target,
                names,
                limit,
                verbose=cli.verbose,
                on_message=lambda: bar.advance(bar.task_ids[0]),
            )
            done = sum(r.redriven for r in results)
            action.outcome = f"{done} redriven, {len(results) - done} kept"
            action.detail = _tasks(r.task_id for r in results)
    if cli.json:
        print_json(
            DlqRedriveOut(
                target=target.identity(), results=results, redriven=done, kept=len(results) - done
            )
        )
    else:
        print_table(
            "Redrive",
            ["queue", "task", "result", "detail"],
            (
                (
                    r.queue,
                    r.task_id,
                    "redriven" if r.redriven else Text("kept", style="red"),
                    r.detail,
                )
                for r in results
            ),
            spare=("queue",),
        )
        console.print(f"{done} redriven, {len(results) - done} kept on their queue")
        if done < len(results):
            console.print(
                "What cannot succeed (an invalid event) stays until removed:"
                " `bwp-privacy dlq discard`."
            )
    if done < len(results):
        sys.exit(1)


@dlq.command("discard")
@QUEUE_OPTION
@click.option("--task-id", help="Only the messages of this task.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--max", "limit", type=click.IntRange(1, 10000), default=1000, show_default=True)
@common_options
@pass_cli
def discard(cli: CliContext, queue_names: str, task_id: str | None, yes: bool, limit: int) -> None:
    """Remove parked messages for good (those `dlq redrive` keeps because they can never
    succeed, such as an invalid event). Asks first; prints what it removed."""
    with cli.target() as target:
        cli.announce(target)
        chosen = [
            m
            for name in _selected(target, queue_names)
            for m in queues.peek(target, name, limit)
            if task_id is None or m.task_id == task_id
        ]
        if not chosen:
            if cli.json:
                print_json(DlqDiscardOut(target=target.identity(), removed=[], count=0))
            else:
                console.print("Nothing to discard.")
            return
        if not yes:
            for message in chosen:
                # The reason quotes a handler's or a receiver's error: one line of plain text.
                err_console.print(f"  {message.queue} {message.task_id}: {plain(message.reason)}")
            if not click.confirm(
                f"Remove these {len(chosen)} message(s) for good from {target.label}?", err=True
            ):
                console.print("Nothing removed.")
                sys.exit(1)
        with audited(
            target, "dlq discard", _subject(_selected(target, queue_names)), _filter(task_id)
        ) as action:
            removed = queues.remove(target, chosen, limit)
            action.outcome = f"{len(removed)} removed"
            action.detail = _tasks(m.task_id for m in removed)
    outs = [m.out() for m in removed]
    if cli.json:
        print_json(DlqDiscardOut(target=target.identity(), removed=outs, count=len(outs)))
        return
    print_table(
        "Removed",
        ["queue", "task", "event", "reason"],
        ((m.queue, m.task_id, m.event_id, m.reason) for m in outs),
        spare=("event", "queue"),
    )
    console.print(f"{len(outs)} message(s) removed")


#: The columns of a parked message a narrow terminal hides, the first first.
_SPARE = ("event", "sent", "queue")


def _subject(names: list[str]) -> str:
    return subject(SUBJECT_DLQ, ",".join(names))


def _filter(task_id: str | None) -> str:
    return f"--task-id {task_id}" if task_id else "every parked message"


def _tasks(task_ids: Iterable[str | None]) -> dict[str, str]:
    """The tasks the command touched, for the record (ids only; at most 1,000 characters, what
    the reaction keeps of a record's detail)."""
    return {"tasks": bounded(" ".join(sorted({t for t in task_ids if t})), 1000)}


def _selected(target: Target, queue_names: str) -> list[str]:
    names, missing = queues.selected_queues(target, queue_names)
    if missing in queues.INBOUND_QUEUES:
        raise UserError(
            f"{target.label} has no {missing} queue: it takes neither Slack's actions nor"
            " PagerDuty's webhooks (SlackSecretName with SlackAllowedUsers, or"
            " PagerDutyWebhookSecretName; docs/chat-actions.md)"
        )
    if missing:
        raise UserError(f"{target.label} has no {missing} queue (no receiver deployed?)")
    return names
