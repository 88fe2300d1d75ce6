"""The compliance report as one self-contained HTML page: inline CSS and SVG, no script, no
font, image or link to fetch (its Content-Security-Policy forbids any), so it opens offline,
from an attachment or a ticket, and prints. The page is `templates/report.html.j2` (its parts
in `parts.html.j2`, its chart `chart.svg.j2`, its stylesheet `report.css`), rendered by Jinja2
with autoescape on: every value from a case is escaped by the environment, not by hand. This
module passes the template what it shows, worked out: the anchors, the moments in words, the
chart's geometry, the year's table."""

from __future__ import annotations

import functools
import math
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bwp_privacy.common import iso_z
from bwp_privacy.compliance import metric_rows, whole_days_left
from bwp_privacy_cli.json_output import TargetOut
from bwp_privacy_cli.report.chart import BUCKET_CLASS, BUCKET_COLOUR, week_chart
from bwp_privacy_cli.report.model import BUCKET_ORDER, ReportCase, ReportData, TimelineEntry

__all__ = ["render_report", "target_label", "write_report"]

#: What each kind of case answers, as a privacy officer names it.
_REQUEST = {"deletion": "deletion requests", "retrieval": "access requests (retrieval)"}

#: Timeline words coloured as what they mean: a failure, a person needed, an end.
_WHAT_CLASS = {
    "failed": "failed",
    "escalated": "escalated",
    "completed": "ended",
    "nothing to delete": "ended",
    "nothing to retrieve": "ended",
    "closed": "ended",
}

#: Ids longer than this show as their head and tail in a table (the whole id in its title and
#: in the case's timeline): a business product id is as long as a case id, and both on one
#: line would leave no room for why.
SHORT_ID = 16

#: A word that names something (a task or case id, an event, an ARN, a date): a digit and a
#: hyphen, dot, colon or slash. A browser would break it at its hyphens or slashes.
_ID_LIKE = re.compile(r"(?=\S*\d)\S*[-.:/]\S*")


@dataclass(frozen=True)
class AsAt:
    """The moment a report is judged at, when it is not when it was made."""

    moment: datetime
    #: How far apart the two are, in words ("less than a day", "3 days").
    apart: str
    #: After the report was made (the chart then stops at when it was made).
    ahead: bool


@dataclass(frozen=True)
class YearlyTable:
    """The year's figures: a column per request type, a row per figure."""

    heads: list[str]
    rows: list[tuple[str, list[str]]]


def render_report(data: ReportData) -> str:
    """The whole page."""
    cases = (*data.at_risk, *data.other_open, *data.recently_ended)
    page = _environment().get_template("report.html.j2")
    return page.render(
        data=data,
        cases=cases,
        anchors={case.case_id: f"case-{index}" for index, case in enumerate(cases, 1)},
        generated=iso_z(data.generated_at, "minutes"),
        as_at=_as_at(data),
        chart=week_chart(data.weeks),
        last_bar=_last_bar(data),
        yearly=_yearly(data),
        actors=sorted(data.actors.items(), key=lambda item: item[1]),
        bucket_order=BUCKET_ORDER,
        bucket_class=BUCKET_CLASS,
        bucket_colour=BUCKET_COLOUR,
        short_id_length=SHORT_ID,
    )


def write_report(data: ReportData, path: Path) -> int:
    """Render ``data`` to ``path`` (replaced whole: a reader never sees half a report);
    returns the bytes written."""
    content = render_report(data).encode("utf-8")
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(content)
    os.replace(partial, path)
    return len(content)


def target_label(target: TargetOut) -> str:
    """Where the cases were read, in words."""
    if target.env == "sandbox" and target.stack is None:
        return "the local sandbox"
    where = f"stack {target.stack}" if target.stack else f"env {target.env}"
    return f"{where} in {target.region}" if target.region else where


@functools.cache
def _environment() -> Environment:
    """The templates as the package ships them (a wheel too), escaping every value."""
    environment = Environment(
        loader=PackageLoader("bwp_privacy_cli.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.globals.update(
        day=_day,
        when=_when,
        words=_words,
        what_class=_what_class,
        one_actor=_one_actor,
        target_label=target_label,
    )
    return environment


def _as_at(data: ReportData) -> AsAt | None:
    if not data.as_at_other:
        return None
    ahead = data.as_at > data.generated_at
    later, earlier = (data.as_at, data.generated_at) if ahead else (data.generated_at, data.as_at)
    days = whole_days_left(later, earlier)
    apart = "less than a day" if days == 0 else f"{days} day" + ("" if days == 1 else "s")
    return AsAt(moment=data.as_at, apart=apart, ahead=ahead)


def _last_bar(data: ReportData) -> str:
    last = data.weeks[-1].at
    if last == data.generated_at:
        return "when the report was generated"
    return f"{_when(last)}, as at which the cases are shown"


def _yearly(data: ReportData) -> YearlyTable | None:
    by_kind = data.yearly.by_kind
    if not by_kind:
        return None
    order = list(_REQUEST)
    kinds = sorted(by_kind, key=lambda kind: (order.index(kind) if kind in order else 99, kind))
    # The rows `cases stats` prints and its CSV holds (denials by CCPA §7102's categories;
    # each denial's own words are in the case's timeline), then appeals.
    table = [metric_rows(by_kind[kind]) for kind in kinds]
    rows = [
        (name, [_figure(name, kind_rows[index][1]) for kind_rows in table])
        for index, (name, _) in enumerate(table[0])
    ]
    return YearlyTable(heads=[_REQUEST.get(kind, kind) for kind in kinds], rows=rows)


def _figure(name: str, value: int | None) -> str:
    """A figure of the year: a count, or a length in whole days ("—": none answered)."""
    if name.endswith("days to respond"):
        return _in_days(value)
    return "—" if value is None else str(value)


def _in_days(value: float | None) -> str:
    """A length in days as whole days in words (the nearest whole day; half a day up)."""
    if value is None:
        return "—"
    days = math.floor(value + 0.5)
    if days == 0:
        return "under a day"
    return f"{days} day" + ("" if days == 1 else "s")


def _words(text: str) -> list[tuple[str, bool]]:
    """``text`` split into its words and the spaces between them, each word marked when it is
    id-like: prose wraps between words but never inside an id it quotes (a reason reads
    "task 1c0d…-a1 failed with ...")."""
    return [(word, bool(_ID_LIKE.fullmatch(word))) for word in re.split(r"(\s+)", text)]


def _what_class(entry: TimelineEntry) -> str:
    return _WHAT_CLASS.get(entry.what.split(", ")[-1], "")


def _one_actor(case: ReportCase, actors: dict[str, str]) -> bool:
    """Whether one actor (by the short name the steps give) took every step of ``case``."""
    return len({actors.get(entry.actor, entry.actor) for entry in case.timeline}) == 1


def _day(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def _when(moment: datetime) -> str:
    return iso_z(moment, "minutes").replace("T", " ").replace("Z", " UTC")
