"""`bwp-privacy replay`: events through the real handler, offline or against a stack."""

from __future__ import annotations

import io
import sys
from collections import Counter

import click

from bwp_privacy_cli.context import CliContext, common_options, pass_cli
from bwp_privacy_cli.event_input import read_events
from bwp_privacy_cli.output import console, print_json, print_table, progress
from bwp_privacy_cli.replay_runner import ReplayResult, run_events

STYLE = {"published": "green", "stored": "green", "duplicate": "cyan", "looked-up": "cyan"}


@click.command()
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--dry-run", is_flag=True, help="Look the tasks up and print; store and publish nothing."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 16),
    default=1,
    show_default=True,
    help="Worker processes (each a Lambda-like environment) for bulk replays.",
)
@common_options
@pass_cli
def replay(cli: CliContext, files: tuple[str, ...], dry_run: bool, workers: int) -> None:
    """Run events from FILES (JSON, JSON Lines, or - for stdin) through the handler.

    Prints each event's outcome (published, duplicate, rejected with the reason, failed
    with the error) and a summary. Exits 1 if any event was rejected or failed.
    """
    items = list(read_events(list(files)))
    log_stream = sys.stderr if cli.verbose else io.StringIO()
    with cli.target() as target, target.function_environment():
        if not cli.json:
            console.print(f"Replaying {len(items)} event(s) against {target.label}")
        with progress(len(items), "replaying") as bar:
            results = run_events(
                items,
                env={**target.aws_env, **target.function_env},
                dry_run=dry_run,
                workers=workers,
                log_stream=log_stream,
                on_result=lambda _: bar.advance(bar.task_ids[0]),
                credentials=target.function_credentials,
            )
    counts = Counter(result.outcome for result in results)
    if cli.json:
        print_json({"results": [r.as_dict() for r in results], "summary": dict(counts)})
    else:
        _print(results, counts)
    if any(not result.ok for result in results):
        sys.exit(1)


def _print(results: list[ReplayResult], counts: Counter[str]) -> None:
    print_table(
        "Outcomes",
        ["event", "outcome", "task", "detail"],
        (
            (r.origin, f"[{STYLE.get(r.outcome, 'red')}]{r.outcome}[/]", r.task_id, r.detail)
            for r in results
        ),
    )
    summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items()))
    console.print(f"{len(results)} event(s): {summary}")
