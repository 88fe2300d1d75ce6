"""`bwp-privacy archive replay`: replay the partner bus archive and follow the replay."""

from __future__ import annotations

import io
import json
import sys
import time
from datetime import UTC, datetime
from typing import Any

import boto3
import click

from bwp_privacy_cli.cmd_failures import parse_since
from bwp_privacy_cli.context import CliContext, UserError, common_options, pass_cli
from bwp_privacy_cli.event_input import SourcedEvent
from bwp_privacy_cli.json_output import ArchiveReplayOut
from bwp_privacy_cli.output import console, err_console, print_json, print_table
from bwp_privacy_cli.replay_runner import EventRunner, ReplayResult
from bwp_privacy_cli.target import Target
from bwp_sandbox.lambda_async import on_failure_record

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}


@click.group()
def archive() -> None:
    """The EventBridge archive of deletion-failure events."""


@archive.command("replay")
@click.option("--from", "start", required=True, help="Start: 7d, 12h, 30m ago or an ISO date.")
@click.option("--to", "end", default=None, help="End: as --from (default now).")
@click.option("--name", help="Replay name (default bwp-privacy-<timestamp>).")
@click.option(
    "--timeout",
    type=click.IntRange(10, 86400),
    default=3600,
    show_default=True,
    help="Seconds to follow the replay.",
)
@common_options
@pass_cli
def replay(cli: CliContext, start: str, end: str | None, name: str | None, timeout: int) -> None:
    """Start a replay of the archive into the deletion-failure rule, and follow its state."""
    begin = parse_since(start)
    finish = parse_since(end) if end else datetime.now(UTC)
    if begin >= finish:
        raise UserError(f"--from ({begin.isoformat()}) must be before --to ({finish.isoformat()})")
    name = name or f"bwp-privacy-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    with cli.target() as target:
        cli.announce(target)
        if not (target.archive_arn and target.partner_bus_arn and target.rule_arn):
            raise UserError(f"{target.label} has no archive (deploy the current template)")
        events = boto3.client("events")
        events.start_replay(
            ReplayName=name,
            EventSourceArn=target.archive_arn,
            EventStartTime=begin,
            EventEndTime=finish,
            Destination={"Arn": target.partner_bus_arn, "FilterArns": [target.rule_arn]},
        )
        state = _follow(events, name, timeout, quiet=cli.json)
        delivered: list[ReplayResult] = []
        if target.is_sandbox and target.rule_target_queue_url:
            # No Lambda in the sandbox: the rule's target queue stands for the function.
            with target.function_environment():
                delivered = _deliver(target, verbose=cli.verbose)
    # EventBridge does not count what a replay delivered; in the sandbox the CLI does.
    replayed = len(delivered) if target.is_sandbox else None
    if cli.json:
        print_json(
            ArchiveReplayOut(
                target=target.identity(),
                replay=name,
                state=state.get("State"),
                reason=state.get("StateReason"),
                replayed=replayed,
                delivered=[r.out() for r in delivered],
            )
        )
    else:
        reason = state.get("StateReason") or ""
        console.print(f"Replay {name}: {state.get('State')} {reason}".rstrip())
        if replayed is not None:
            console.print(f"{replayed} event(s) replayed through the function.")
        if delivered:
            print_table(
                "Replayed events through the handler",
                ["event", "outcome", "task", "detail"],
                ((r.event_id, r.outcome, r.task_id, r.detail) for r in delivered),
                ids=("event", "task"),
            )
    if state.get("State") != "COMPLETED" or any(not r.ok for r in delivered):
        sys.exit(1)


def _follow(events: Any, name: str, timeout: int, *, quiet: bool) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    with err_console.status("replay starting", spinner="dots") as status:
        while True:
            state: dict[str, Any] = events.describe_replay(ReplayName=name)
            if not quiet:
                last = state.get("EventLastReplayedTime")
                status.update(
                    f"replay {name}: {state['State']}" + (f" (at {last})" if last else "")
                )
            if state["State"] in TERMINAL or time.monotonic() > deadline:
                return state
            time.sleep(2)


def _deliver(target: Target, *, verbose: bool) -> list[ReplayResult]:
    """Run what the rule delivered through the handler; park failures as Lambda would."""
    # Sandbox only, and bwp_sandbox.stack needs PyYAML (a dev dependency): imported here so
    # that `archive replay` on a deployed stack works from a plain install.
    from bwp_sandbox.stack import drain_queue

    assert target.rule_target_queue_url is not None
    runner = EventRunner(
        dry_run=False,
        log_stream=sys.stderr if verbose else io.StringIO(),
        credentials=target.function_credentials,
    )
    results = []
    for message in drain_queue(target.rule_target_queue_url):
        event = json.loads(message["Body"])
        # moto drops `account` from what a rule delivers; AWS always sets it (the bus's).
        event.setdefault(
            "account", target.partner_bus_arn.split(":")[4] if target.partner_bus_arn else ""
        )
        result = runner.run(SourcedEvent(message["MessageId"], event=event))
        if not result.ok:
            record = on_failure_record(event, RuntimeError(result.detail), attempts=3)
            # Lambda sends the OnFailure record with the function's role.
            target.function_client("sqs").send_message(
                QueueUrl=target.queues["on-failure"], MessageBody=json.dumps(record)
            )
        results.append(result)
    return results
