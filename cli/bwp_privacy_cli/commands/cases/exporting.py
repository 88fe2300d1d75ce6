"""`bwp-privacy cases export|stats`: what an auditor reads of the cases: the request log of a
window (CCPA record keeping) and a calendar year's figures per request type."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Literal, TextIO, get_args

import click

from bwp_privacy.audit import SUBJECT_EXPORT, subject
from bwp_privacy.common import utc_now
from bwp_privacy.compliance import (
    REQUEST_TYPE,
    RequestRecord,
    metric_rows,
    request_records,
    write_csv,
    write_jsonl,
    write_stats_csv,
    year_window,
    yearly_stats,
)
from bwp_privacy.task_kinds import TaskKindName
from bwp_privacy_cli.audit_log import audited
from bwp_privacy_cli.commands.cases.group import cases
from bwp_privacy_cli.commands.cases.outputs import CasesExportOut, CasesStatsOut, KindStatsOut
from bwp_privacy_cli.commands.cases.wording import iso
from bwp_privacy_cli.context import CliContext, UserError, common_options, pass_cli
from bwp_privacy_cli.output import console, err_console, print_json, print_table
from bwp_privacy_cli.output_file import check_output_dir
from bwp_privacy_cli.timeparse import SINCE, Since


@cases.command("export")
@click.option(
    "--since",
    metavar="DATE",
    type=SINCE,
    default=None,
    help="Requests received at or after DATE (an ISO date or time, UTC when no zone is given;"
    " or 730d, 12h ago). --since or --year is required.",
)
@click.option(
    "--until",
    metavar="DATE",
    type=SINCE,
    default=None,
    help="With --since: and before DATE (excluded; the same grammar as --since). Default: no end.",
)
@click.option(
    "--year",
    type=click.IntRange(2000, 9999),
    default=None,
    metavar="YYYY",
    help="Requests received in calendar year YYYY (UTC): from 1 January YYYY to 1 January of"
    " the next year (excluded). Not with --since or --until.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    default="csv",
    show_default=True,
    help="csv (RFC 4180, for a spreadsheet) or jsonl (one JSON object a line).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to FILE instead of standard output.",
)
@common_options
@pass_cli
def export(
    cli: CliContext,
    since: Since | None,
    until: Since | None,
    year: int | None,
    fmt: str,
    output: Path | None,
) -> None:
    """The request log an auditor asks for (CCPA record keeping): one record per request
    received in the window (--since DATE [--until DATE], or --year YYYY), oldest first: type,
    how it was made, when received, the legal due date, when and how it was answered, a
    denial's category and basis, its tasks. Ids only: never a shopper's email. Cases are kept
    RetentionDays after they end: older ones are gone."""
    if year is not None and (since is not None or until is not None):
        raise UserError("--year is a whole calendar year: give it alone, or --since/--until")
    if year is None and since is None:
        raise UserError("say which requests: --since DATE [--until DATE], or --year YYYY")
    if cli.json and output is None:
        raise click.UsageError("--json describes the file written: give -o FILE")
    if output is not None:
        check_output_dir(output)
    chosen: Literal["csv", "jsonl"] = "jsonl" if fmt == "jsonl" else "csv"
    start, end = _export_window(since, until, year, utc_now())
    # The window as asked and as resolved (a relative 30d is a moment only when run).
    window = f"--since {iso(start)}" + (f" --until {iso(end)}" if end else "")
    if year is not None:
        window = f"--year {year} ({window})"
    with cli.target() as target:
        # The records may be the standard output: the banner then goes to stderr.
        if not cli.json:
            (console if output else err_console).print(target.banner())
        records = request_records(target.case_store().all_cases(), start, end)
        # The export is itself an audit entry: who took the request log, of what, where.
        with audited(
            target,
            "cases export",
            subject(SUBJECT_EXPORT),
            f"{window} --format {chosen}",
        ) as action:
            if output is None:
                _write_records(records, chosen, sys.stdout)
            else:
                # newline="": CSV's CRLF line ends are written as they are.
                with output.open("w", encoding="utf-8", newline="") as stream:
                    _write_records(records, chosen, stream)
            where = str(output) if output else "standard output"
            action.outcome = f"{len(records)} record(s) written to {where}"
    if cli.json:
        print_json(
            CasesExportOut(
                target=target.identity(),
                since=iso(start),
                until=iso(end) if end else None,
                year=year,
                format=chosen,
                file=str(output),
                count=len(records),
            )
        )
        return
    received = f"in {year} (UTC)" if year is not None else f"since {iso(start)}"
    if year is None and end is not None:
        received += f", before {iso(end)}"
    written = f"to {output} " if output else ""
    (console if output else err_console).print(
        f"{len(records)} request record{'' if len(records) == 1 else 's'} received {received},"
        f" written {written}as {_FORMAT_NAME[chosen]}"
    )


#: How the banner names each export format.
_FORMAT_NAME = {"csv": "CSV", "jsonl": "JSON Lines"}


def _export_window(
    since: Since | None, until: Since | None, year: int | None, now: datetime
) -> tuple[datetime, datetime | None]:
    """The export's window, its end excluded: a calendar year, or from --since to --until (no
    end when not given)."""
    if year is not None:
        return year_window(year)
    assert since is not None  # the command refuses a window with neither
    start = since.at(now)
    end = None if until is None else until.at(now)
    if end is not None and end <= start:
        raise UserError(
            f"--until {iso(end)} is not after --since {iso(start)}: no request falls between"
        )
    return start, end


def _write_records(
    records: list[RequestRecord], fmt: Literal["csv", "jsonl"], stream: TextIO
) -> None:
    (write_csv if fmt == "csv" else write_jsonl)(records, stream)


@cases.command("stats")
@click.option(
    "--year",
    type=click.IntRange(2000, 9999),
    default=None,
    metavar="YYYY",
    help="Requests received in calendar year YYYY (UTC). Default: this year.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv"]),
    default="table",
    show_default=True,
    help="table (one per request type) or csv (year, request_type, metric, value: the same"
    " figures, for the privacy policy).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="With --format csv: write to FILE instead of standard output.",
)
@common_options
@pass_cli
def stats(cli: CliContext, year: int | None, fmt: str, output: Path | None) -> None:
    """A calendar year's figures per request type, as CCPA's regulations (11 CCR § 7102) ask a
    large business to publish them: requests to delete and requests to know received, complied
    with in whole or in part, denied (by ground: unverifiable, not-a-consumer, exempt, other),
    and the median and mean days to respond (receipt to response, rounded up to whole days,
    over the requests complied with or denied); then what our data adds: cancelled, still
    open."""
    if output is not None and fmt != "csv":
        raise UserError("-o writes the CSV: add --format csv")
    if cli.json and fmt == "csv" and output is None:
        raise UserError("--json prints the figures: give -o FILE for the CSV")
    if output is not None:
        check_output_dir(output)
    year = year or utc_now().year
    with cli.target() as target:
        if not cli.json:
            # A CSV may be the standard output: the banner then goes to stderr.
            (err_console if fmt == "csv" and output is None else console).print(target.banner())
        figures = yearly_stats(target.case_store().all_cases(), year)
    if fmt == "csv":
        if output is None:
            write_stats_csv(figures, sys.stdout)
        else:
            # newline="": CSV's CRLF line ends are written as they are.
            with output.open("w", encoding="utf-8", newline="") as stream:
                write_stats_csv(figures, stream)
            if not cli.json:
                console.print(f"{year}'s figures written to {output} as CSV")
    if cli.json:
        print_json(
            CasesStatsOut(
                target=target.identity(),
                year=figures.year,
                by_kind={
                    kind: KindStatsOut(**figures.by_kind[kind].model_dump())
                    for kind in get_args(TaskKindName)
                },
                file=None if output is None else str(output),
            )
        )
        return
    if fmt == "csv":
        return
    for kind, found in figures.by_kind.items():
        print_table(
            f"{REQUEST_TYPE.get(kind, kind).capitalize()} received in {year} ({kind})",
            ["metric", "value"],
            (
                (metric, "none answered" if value is None else value)
                for metric, value in metric_rows(found)
            ),
            ids=(),
        )
    console.print(
        "Days to respond: receipt to response, rounded up to whole days, over the requests"
        " complied with or denied; the median of an even count is its two middle values'"
        " mean, rounded up."
    )
