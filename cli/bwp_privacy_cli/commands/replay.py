"""`bwp-privacy replay`: events through the real handlers, offline or against a stack: FAILED
events through RecorderFunction, COMPLETED events through ReactionFunction (as the rules route
them)."""

from __future__ import annotations

import sys
from collections import Counter

import click
from rich.text import Text

from bwp_privacy_cli.command_registry import registered
from bwp_privacy_cli.context import CliContext, common_options, pass_cli
from bwp_privacy_cli.event_input import read_events
from bwp_privacy_cli.event_runner import ReplayResult, ReplayRun, interruptible, run_events
from bwp_privacy_cli.json_output import JsonOut, ReplayResultOut, TargetOut
from bwp_privacy_cli.local import NOWHERE
from bwp_privacy_cli.output import console, err_console, print_json, print_table, progress


class ReplayOut(JsonOut):
    target: TargetOut
    results: list[ReplayResultOut]
    summary: dict[str, int]
    done: int
    total: int
    interrupted: bool


STYLE = {
    "published": "green",
    "stored": "green",
    "reacted": "green",
    "duplicate": "cyan",
    "looked-up": "cyan",
}
#: The shell's convention for a command ended by Ctrl-C (128 + SIGINT).
INTERRUPTED_EXIT_CODE = 130


@registered(
    "Run deletion and retrieval events through the handlers.",
    place=30,
    outputs={"replay": ReplayOut},
)
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
    """Run events from FILES (JSON, JSON Lines, or - for stdin) through the handlers.

    Each event goes where the template's rules send it: a FAILED event (deletion or
    retrieval) to RecorderFunction, a COMPLETED event (either kind) to ReactionFunction.
    Prints each event's outcome (published, duplicate, reacted, rejected with the reason,
    failed with the error, held by another run) and a summary. Exits 1 if any event was
    rejected, failed or held; Ctrl-C (or SIGTERM) stops at once and exits 130.
    """
    items = list(read_events(list(files)))
    # The functions' logs (theirs and the library's, in every worker): stderr only with -v.
    log_stream = sys.stderr if cli.verbose else NOWHERE
    with cli.target() as target:
        cli.announce(target)
        if not cli.json:
            console.print(f"Replaying {len(items)} event(s)")
        with interruptible(), progress(len(items), "replaying") as bar:
            run = run_events(
                items,
                function=target.recorder(),
                reaction=target.reaction(),
                dry_run=dry_run,
                workers=workers,
                log_stream=log_stream,
                on_result=lambda _: bar.advance(bar.task_ids[0]),
            )
    counts = Counter(result.outcome for result in run.results)
    if cli.json:
        print_json(
            ReplayOut(
                target=target.identity(),
                results=[r.out() for r in run.results],
                summary=dict(counts),
                done=len(run.results),
                total=run.total,
                interrupted=run.interrupted,
            )
        )
    else:
        _print(run, counts)
    if run.interrupted:
        _say_where_it_stopped(run, counts)
        sys.exit(INTERRUPTED_EXIT_CODE)
    if any(not result.ok for result in run.results):
        sys.exit(1)


def _print(run: ReplayRun, counts: Counter[str]) -> None:
    print_table(
        "Outcomes",
        ["event", "outcome", "task", "message", "detail"],
        (
            (
                r.origin,
                Text(r.outcome, style=STYLE.get(r.outcome, "red")),
                r.task_id,
                _message_id(r),
                _detail(r),
            )
            for r in run.results
        ),
        # A message id is an id as a task's is: in a column of its own, never broken across
        # lines as it was inside the detail's words.
        ids=("event", "task", "message"),
        # The message id is what a reader of the outcomes needs least (--json has it), then
        # the event's origin (its task names it too): its outcome, its task and the detail
        # stay, the detail wide enough not to break the error codes it names.
        spare=("message", "event"),
    )
    summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items()))
    console.print(f"{len(run.results)} event(s): {summary or 'none'}")


def _message_id(result: ReplayResult) -> str | None:
    """The id of the message published for the event: by this run, or by the earlier run a
    duplicate found."""
    for effect in (result.this_run, result.earlier):
        if effect is not None and effect.message_id:
            return effect.message_id
    return None


def _detail(result: ReplayResult) -> str:
    """The result's detail without the message id (``stored, published <id>``): the table
    gives it its own column."""
    published = result.this_run.message_id if result.this_run is not None else None
    return result.detail.replace(f" {published}", "") if published else result.detail


def _say_where_it_stopped(run: ReplayRun, counts: Counter[str]) -> None:
    summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items()))
    err_console.print(
        f"Interrupted: {len(run.results)} of {run.total} done ({summary or 'none finished'})."
    )
    if run.cut_short:
        freed = len(run.released)
        err_console.print(
            f"{len(run.cut_short)} event(s) were cut short; {freed} claim(s) freed, so running"
            " the same events again is safe now (what this run reported done is not done again)."
        )
