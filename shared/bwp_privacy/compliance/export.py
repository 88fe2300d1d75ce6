"""The request log written for an auditor: CSV (RFC 4180, what a spreadsheet opens) or JSON
Lines (what a script reads); and the yearly figures as CSV, for the privacy policy."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import Any, TextIO

from bwp_privacy.compliance.records import RequestRecord
from bwp_privacy.compliance.stats import REQUEST_TYPE, YearStats, metric_rows

#: The columns, in the record's field order: one vocabulary for both formats.
COLUMNS: tuple[str, ...] = tuple(RequestRecord.model_fields)

#: A cell starting with one of these is a formula to a spreadsheet (OWASP "CSV Injection":
#: ``=HYPERLINK(…)``, ``@SUM(…)``, ``-2+3``, a tab or a CR before one), with the full-width
#: forms some spreadsheets read the same way.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def write_csv(records: Sequence[RequestRecord], stream: TextIO) -> None:
    """A header row and one row per record, CRLF line ends; a field holding a comma, a quote,
    CR or LF is quoted, its quotes doubled. Task ids are joined by a space (ids never hold
    one); an absent value is an empty field. A field a spreadsheet would read as a formula
    (an operator's denial basis starting with ``=``…, see ``FORMULA_STARTS``) starts with a
    single quote: the spreadsheet shows it as the text it is."""
    writer = _writer(stream)
    writer.writerow(COLUMNS)
    for record in records:
        values = record.model_dump(mode="json")
        writer.writerow(_inert(_cell(values[column])) for column in COLUMNS)


#: The yearly figures' columns: one figure a row, each naming its year (a sheet written
#: without --year, or several years' pasted together, still says which year it counts).
STATS_COLUMNS: tuple[str, ...] = ("year", "request_type", "metric", "value")


def write_stats_csv(stats: YearStats, stream: TextIO) -> None:
    """The year's figures, one a row (`metric_rows`: § 7102's names, then cancelled and still
    open), requests to delete first, then requests to know; a median or mean when no request
    was answered is an empty value. As `write_csv`: CRLF, quoted when needed, formula-inert
    (every cell is ours today, but one guard on every CSV keeps it so if a label changes)."""
    writer = _writer(stream)
    writer.writerow(STATS_COLUMNS)
    for kind, found in stats.by_kind.items():
        for metric, value in metric_rows(found):
            row = (str(stats.year), REQUEST_TYPE.get(kind, kind), metric, _cell(value))
            writer.writerow(_inert(cell) for cell in row)


def _writer(stream: TextIO) -> Any:
    # csv's writer type is private (_csv.writer): Any is what typeshed offers to name it.
    return csv.writer(
        stream,
        delimiter=",",
        quotechar='"',
        doublequote=True,
        quoting=csv.QUOTE_MINIMAL,
        lineterminator="\r\n",
        strict=True,
    )


def write_jsonl(records: Sequence[RequestRecord], stream: TextIO) -> None:
    """One JSON object per line (LF), keys as the CSV's columns."""
    for record in records:
        stream.write(record.model_dump_json())
        stream.write("\n")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return " ".join(str(item) for item in value)
    return str(value)


def _inert(cell: str) -> str:
    """The cell as text to a spreadsheet, never a formula (OWASP: prefix a single quote)."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell
