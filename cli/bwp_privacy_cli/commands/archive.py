"""`bwp-privacy archive replay`: replay the partner bus archive and follow the replay."""

from __future__ import annotations

import secrets
import sys
import time
from datetime import UTC, datetime
from typing import Any

import boto3
import click
from pydantic import Field

from bwp_privacy_cli.command_registry import registered
from bwp_privacy_cli.context import CliContext, UserError, common_options, pass_cli
from bwp_privacy_cli.json_output import JsonOut, ReplayResultOut, TargetOut
from bwp_privacy_cli.output import console, err_console, print_json, print_table
from bwp_privacy_cli.timeparse import SINCE, Since


class ArchiveReplayOut(JsonOut):
    target: TargetOut
    replay: str
    state: str | None
    reason: str | None
    replayed: int | None = Field(
        description="events the replay delivered to the function (null on a deployed stack:"
        " EventBridge does not count them)"
    )
    delivered: list[ReplayResultOut]


TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}


@registered(
    "Replay the partner bus archive of deletion and retrieval failures.",
    place=80,
    outputs={"archive-replay": ArchiveReplayOut},
)
@click.group()
def archive() -> None:
    """The EventBridge archive of the partner bus's failure events, deletion and retrieval
    alike."""


@archive.command("replay")
@click.option(
    "--from", "start", type=SINCE, required=True, help="Start: 7d, 12h, 30m ago or an ISO date."
)
@click.option("--to", "end", type=SINCE, default=None, help="End: as --from (default now).")
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
def replay(
    cli: CliContext, start: Since, end: Since | None, name: str | None, timeout: int
) -> None:
    """Start a replay of the archive into the deletion-failure rule, and follow its state."""
    now = datetime.now(UTC)
    begin = start.at(now)
    finish = end.at(now) if end else now
    if begin >= finish:
        raise UserError(f"--from ({begin.isoformat()}) must be before --to ({finish.isoformat()})")
    # A replay's name is unique in the account: two replays started in the same second (a
    # script, a retry) must not collide, hence the random tail.
    name = name or f"bwp-privacy-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
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
        # EventBridge counts nothing a replay delivered; where the CLI runs the function
        # itself (the sandbox), it can tell.
        delivered = target.replayed_events(verbose=cli.verbose)
    replayed = None if delivered is None else len(delivered)
    delivered = delivered or []
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
