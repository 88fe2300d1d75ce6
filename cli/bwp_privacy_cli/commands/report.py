"""`bwp-privacy report -o report.html`: the compliance report of the target's cases, as one
self-contained HTML file (the report package builds and renders it; this only wires it)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from pydantic import Field

from bwp_privacy_cli.command_registry import registered
from bwp_privacy_cli.commands.cases import due_soon_days_option
from bwp_privacy_cli.context import CliContext, common_options, pass_cli
from bwp_privacy_cli.json_output import JsonOut, TargetOut
from bwp_privacy_cli.output import console, print_json
from bwp_privacy_cli.output_file import check_output_dir
from bwp_privacy_cli.report import DEFAULT_WEEKS, build_report, write_report


class ReportWrittenOut(JsonOut):
    """What `bwp-privacy report -o FILE` wrote (the report itself is in the file)."""

    target: TargetOut
    path: str = Field(description="the HTML file written")
    cases: int = Field(description="cases the report covers: every case still kept")
    at_risk: int = Field(alias="atRisk", description="open cases past due or due soon")


@registered(
    "Write the compliance report (HTML).",
    place=120,
    outputs={"report": ReportWrittenOut},
)
@click.command()
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The HTML file to write (replaced if it exists).",
)
@due_soon_days_option  # as `cases list`'s: the same days, the same buckets
@click.option(
    "--weeks",
    type=click.IntRange(1, 104),
    default=DEFAULT_WEEKS,
    show_default=True,
    help="Weeks the chart of open cases goes back (and how far back ended cases are shown).",
)
@click.option(
    "--year",
    type=click.IntRange(2000, 9999),
    help="The year of the yearly figures (default: this year, UTC).",
)
@common_options
@pass_cli
def report(cli: CliContext, output: Path, due_soon_days: int, weeks: int, year: int | None) -> None:
    """Write the compliance report: at-risk cases first, open cases week by week, the year's
    figures per request type, the other open cases, then each case's timeline. No shopper
    data, no network."""
    check_output_dir(output)
    now = datetime.now(UTC)
    with cli.target() as target:
        cli.announce(target)
        found = target.case_store().all_cases()
    data = build_report(
        found, now, target.identity(), due_soon_days=due_soon_days, weeks=weeks, year=year
    )
    size = write_report(data, output)
    at_risk = len(data.at_risk)
    if cli.json:
        print_json(
            ReportWrittenOut(
                target=target.identity(), path=str(output), cases=len(found), at_risk=at_risk
            )
        )
        return
    console.print(
        f"report: {output} ({size} bytes; {len(found)} case(s), {data.open_count} open,"
        f" {at_risk} at risk)"
    )
