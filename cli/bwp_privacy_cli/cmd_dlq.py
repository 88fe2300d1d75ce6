"""`bwp-privacy dlq list|redrive`: what is parked and why; send it home, losing nothing."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import click

from bwp_privacy.alerting import REDRIVE_ATTRIBUTE
from bwp_privacy_cli.context import CliContext, UserError, common_options, pass_cli
from bwp_privacy_cli.event_input import SourcedEvent
from bwp_privacy_cli.json_output import DlqDiscardOut, DlqListOut, DlqRedrivenOut, DlqRedriveOut
from bwp_privacy_cli.output import console, err_console, print_json, print_table, progress
from bwp_privacy_cli.parked import QUEUES, ParkedMessage, parse_parked
from bwp_privacy_cli.replay_runner import EventRunner
from bwp_privacy_cli.target import Target

QUEUE_OPTION = click.option(
    "--queue",
    "queue_names",
    type=click.Choice([*QUEUES, "all"]),
    default="all",
    show_default=True,
    help="Which dead-letter queue.",
)
#: How long a message being redriven stays invisible: if the command dies, it reappears.
REDRIVE_VISIBILITY_SECONDS = int(os.environ.get("BWP_REDRIVE_VISIBILITY_SECONDS", "120"))
PEEK_VISIBILITY_SECONDS = 30


@click.group()
def dlq() -> None:
    """The rule DLQ, the function's OnFailure queue and the router DLQ."""


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
            m.out() for name in _selected(target, queue_names) for m in _peek(target, name, limit)
        ]
    if cli.json:
        print_json(DlqListOut(target=target.identity(), messages=parked, count=len(parked)))
        return
    print_table(
        "Dead-letter queues",
        ["queue", "sent", "task", "event", "reason"],
        ((m.queue, m.sent_at, m.task_id, m.event_id, m.reason) for m in parked),
    )
    console.print(f"{len(parked)} message(s)")


@dlq.command("redrive")
@QUEUE_OPTION
@click.option("--max", "limit", type=click.IntRange(1, 10000), default=1000, show_default=True)
@common_options
@pass_cli
def redrive(cli: CliContext, queue_names: str, limit: int) -> None:
    """Re-send parked events to the function (router DLQ: back to the alert queue).

    A message is deleted only after its re-send succeeded; if the command is interrupted,
    the message in flight reappears on its queue. Exits 1 if any re-send failed.
    """
    results: list[DlqRedrivenOut] = []
    with cli.target() as target, target.function_environment():
        cli.announce(target)
        resender = _Resender(target, verbose=cli.verbose)
        for name in _selected(target, queue_names):
            queue_url = target.queues[name]
            kept: list[ParkedMessage] = []
            with progress(min(_approximate_count(queue_url), limit), f"redriving {name}") as bar:
                for message in _take(queue_url, name, limit - len(results)):
                    ok, detail = resender.resend(message)
                    if ok:
                        boto3.client("sqs").delete_message(
                            QueueUrl=queue_url, ReceiptHandle=message.receipt_handle
                        )
                    else:
                        kept.append(message)
                    results.append(
                        DlqRedrivenOut(**message.out().model_dump(), redriven=ok, detail=detail)
                    )
                    bar.advance(bar.task_ids[0])
            # Released at the end, so this run does not take them again.
            for message in kept:
                _release(queue_url, message)
    done = sum(r.redriven for r in results)
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
                (r.queue, r.task_id, "redriven" if r.redriven else "[red]kept[/]", r.detail)
                for r in results
            ),
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
            for m in _peek(target, name, limit)
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
                err_console.print(f"  {message.queue} {message.task_id}: {message.reason}")
            if not click.confirm(
                f"Remove these {len(chosen)} message(s) for good from {target.label}?", err=True
            ):
                console.print("Nothing removed.")
                sys.exit(1)
        removed = _remove(target, chosen, limit)
    outs = [m.out() for m in removed]
    if cli.json:
        print_json(DlqDiscardOut(target=target.identity(), removed=outs, count=len(outs)))
        return
    print_table(
        "Removed",
        ["queue", "task", "event", "reason"],
        ((m.queue, m.task_id, m.event_id, m.reason) for m in outs),
    )
    console.print(f"{len(outs)} message(s) removed")


def _remove(target: Target, chosen: list[ParkedMessage], limit: int) -> list[ParkedMessage]:
    """Delete the chosen messages (taken again: a peek's receipt handle no longer holds);
    the others taken on the way are put back at the end."""
    sqs = boto3.client("sqs")
    removed: list[ParkedMessage] = []
    for name in dict.fromkeys(m.queue for m in chosen):
        url = target.queues[name]
        wanted = {m.message_id for m in chosen if m.queue == name}
        others: list[ParkedMessage] = []
        for message in _take(url, name, limit):
            if message.message_id in wanted:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message.receipt_handle)
                removed.append(message)
            else:
                others.append(message)
        for message in others:
            _release(url, message)
    return removed


class _Resender:
    """Sends a parked event where it should have gone."""

    def __init__(self, target: Target, *, verbose: bool) -> None:
        self._target = target
        self._verbose = verbose
        self._runner: EventRunner | None = None

    def resend(self, message: ParkedMessage) -> tuple[bool, str]:
        if message.payload is None:
            return False, "body is not JSON: left for a person to look at"
        if message.queue == "router-dlq":
            # A parked delivery goes back for the receiver that refused it, and that one only.
            attributes = (
                {REDRIVE_ATTRIBUTE: {"DataType": "String", "StringValue": message.receiver}}
                if message.receiver
                else {}
            )
            boto3.client("sqs").send_message(
                QueueUrl=self._target.queues["alert-queue"],
                MessageBody=json.dumps(message.payload),
                MessageAttributes=attributes,
            )
            where = f" for {message.receiver}" if message.receiver else ""
            return True, f"back on the alert queue{where}"
        if not self._target.is_sandbox:
            answer = boto3.client("lambda").invoke(
                FunctionName=self._target.function_arn,
                InvocationType="Event",
                Payload=json.dumps(message.payload).encode(),
            )
            ok = answer.get("StatusCode") == 202
            return (
                ok,
                "invoked asynchronously" if ok else f"invoke answered {answer.get('StatusCode')}",
            )
        # The sandbox has no Lambda: the function runs here, the way Lambda would run it.
        if self._runner is None:
            self._runner = EventRunner(
                dry_run=False,
                log_stream=sys.stderr if self._verbose else io.StringIO(),
                credentials=self._target.function_credentials,
            )
        result = self._runner.run(SourcedEvent(message.message_id, event=message.payload))
        return result.ok, f"{result.outcome}: {result.detail}"


def _selected(target: Target, queue_names: str) -> list[str]:
    names = list(QUEUES) if queue_names == "all" else [queue_names]
    missing = [n for n in names if n not in target.queues]
    if missing and queue_names != "all":
        raise UserError(f"{target.label} has no {missing[0]} queue (no receiver deployed?)")
    return [n for n in names if n in target.queues]


def _peek(target: Target, name: str, limit: int) -> list[ParkedMessage]:
    """Read without consuming: receive, then make each message visible again at once."""
    sqs = boto3.client("sqs")
    url = target.queues[name]
    seen: dict[str, ParkedMessage] = {}
    while len(seen) < limit:
        batch = _receive(url, PEEK_VISIBILITY_SECONDS)
        if not batch:
            break
        for message in batch:
            seen.setdefault(message["MessageId"], parse_parked(name, message))
    for parked in seen.values():
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=parked.receipt_handle, VisibilityTimeout=0
        )
    return list(seen.values())


def _take(url: str, name: str, limit: int) -> Iterator[ParkedMessage]:
    """Messages made invisible one batch at a time, each at most once, up to ``limit``."""
    seen: set[str] = set()
    while len(seen) < limit:
        batch = [
            m
            for m in _receive(url, REDRIVE_VISIBILITY_SECONDS, min(10, limit - len(seen)))
            if m["MessageId"] not in seen
        ]
        if not batch:
            return
        for message in batch:
            seen.add(message["MessageId"])
            yield parse_parked(name, message)


def _receive(url: str, visibility: int, count: int = 10) -> list[dict[str, Any]]:
    answer = boto3.client("sqs").receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=count,
        VisibilityTimeout=visibility,
        WaitTimeSeconds=0,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    )
    messages: list[dict[str, Any]] = answer.get("Messages", [])
    return messages


def _release(url: str, message: ParkedMessage) -> None:
    boto3.client("sqs").change_message_visibility(
        QueueUrl=url, ReceiptHandle=message.receipt_handle, VisibilityTimeout=0
    )


def _approximate_count(url: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", 0))
