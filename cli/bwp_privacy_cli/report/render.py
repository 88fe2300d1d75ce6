"""The compliance report as one self-contained HTML page: inline CSS and SVG, no script, no
font, image or link to fetch (its Content-Security-Policy forbids any), so it opens offline,
from an attachment or a ticket, and prints. Every value from a case is escaped."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape
from pathlib import Path

from bwp_privacy.common import iso_z
from bwp_privacy.compliance import metric_rows, whole_days_left
from bwp_privacy_cli.json_output import TargetOut
from bwp_privacy_cli.report.chart import BUCKET_CLASS, week_chart
from bwp_privacy_cli.report.model import BUCKET_ORDER, ReportCase, ReportData, TimelineEntry

__all__ = ["render_report", "target_label", "write_report"]

#: What each kind of case answers, as a privacy officer names it.
_REQUEST = {"deletion": "deletion requests", "retrieval": "access requests (retrieval)"}

_CSS = """
:root { color-scheme: light; --red: #b91c1c; --amber: #b45309; --green: #15803d;
  --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1320px; padding: 20px 28px 40px; color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
h1 { font-size: 22px; margin: 0 0 2px; }
h2 { font-size: 17px; margin: 26px 0 8px; padding-bottom: 3px;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 0; }
p { margin: 4px 0; }
.muted { color: var(--muted); }
/* An id is copied into a command or a ticket: it is never broken across lines. */
.id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px;
  white-space: nowrap; }
.as-at { margin: 6px 0; padding: 4px 8px; border-left: 4px solid var(--amber);
  background: #fffbeb; }
.summary { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0 0; padding: 0;
  list-style: none; }
.summary li { border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; }
.summary b { font-size: 20px; margin-right: 6px; }
table { border-collapse: collapse; width: 100%; }
/* A narrow window scrolls a wide table sideways rather than wrapping its ids. */
.scroll { overflow-x: auto; }
/* A row of the case tables holds two whole ids and a reason quoting a third: a size smaller
   keeps it within a laptop's width. */
table.cases { font-size: 13px; }
table.cases .id { font-size: 12px; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px;
  border-bottom: 1px solid var(--line); }
th { font-size: 11.5px; font-weight: 600; letter-spacing: .03em; text-transform: uppercase;
  color: var(--muted); }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.nowrap { white-space: nowrap; }
.days { display: inline-block; padding: 0 6px; border-radius: 4px; white-space: nowrap;
  color: #fff; font-weight: 600; font-variant-numeric: tabular-nums; }
.days.past-due { background: var(--red); }
.days.due-soon { background: var(--amber); }
.days.on-time { background: var(--green); }
.days.ended { background: var(--muted); }
/* A case's timeline is a few lines under a rule, not a box: hundreds of them are read as a
   list, and a box's margins cost a line a case. Its edge keeps its bucket's colour. */
.case { padding: 3px 10px; border-top: 1px solid var(--line);
  border-left: 4px solid var(--line); break-inside: avoid; }
.case.edge-past-due { border-left-color: var(--red); }
.case.edge-due-soon { border-left-color: var(--amber); }
.case.edge-on-time { border-left-color: var(--green); }
/* The head and the case's facts share a line where the width allows, each part whole: a
   part that does not fit starts the next line. */
.case .head { display: flex; flex-wrap: wrap; align-items: baseline; column-gap: 1.2em; }
.case h3 { font-weight: 600; }
.case .facts, .case .story { color: var(--muted); font-size: 12.5px; }
.case .story { color: var(--ink); }
.actor { font-size: inherit; }
table.actors { width: auto; margin: 4px 0 10px; font-size: 12.5px; }
.timeline { margin: 0; padding: 0; list-style: none; font-size: 12.5px; }
.timeline li { display: grid; grid-template-columns: 9.6em 10em 1fr; gap: 8px; padding: 0; }
.timeline time { white-space: nowrap; font-variant-numeric: tabular-nums; }
.timeline .what { font-weight: 600; }
.timeline .what.failed { color: var(--red); }
.timeline .what.escalated { color: var(--amber); }
.timeline .what.ended { color: var(--green); }
figure { margin: 8px 0; }
.chart { max-width: 100%; height: auto; }
footer { margin-top: 28px; font-size: 12px; color: var(--muted); }
/* Landscape: a case's row (its id, deadline, standing, business product and why) fits on one
   line of A4 across, so hundreds of cases print as a list, not as a page per few rows. */
@page { size: A4 landscape; margin: 10mm; }
@media print {
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { max-width: none; padding: 0; font-size: 10px; line-height: 1.3; }
  h3 { font-size: 11px; }
  table.cases { font-size: 10px; }
  .id, table.cases .id, .case .facts, .case .story, .timeline, table.actors { font-size: 9px; }
  h2 { break-after: avoid; }
  th, td { padding: 2px 6px; }
  .scroll { overflow: visible; }
  /* Each page of a long table starts with its column names; no row is cut across pages. */
  thead { display: table-header-group; }
  tr, figure, .case { break-inside: avoid; }
  .case { padding: 0 6px; border-left-width: 3px; }
  .case h3 { font-size: 9px; }
  .case, .timeline { line-height: 1.15; }
  .case .head { column-gap: .8em; }
  .timeline li { grid-template-columns: 8.6em 9.6em 1fr; gap: 6px; }
  /* The summary (counts, at risk, chart, year, other open cases) prints on its own pages;
     the timelines, the detail, start on a fresh one. */
  .timelines { break-before: page; }
}
"""

#: Timeline words coloured as what they mean: a failure, a person needed, an end.
_WHAT_CLASS = {
    "failed": "failed",
    "escalated": "escalated",
    "completed": "ended",
    "nothing to delete": "ended",
    "nothing to retrieve": "ended",
    "closed": "ended",
}


def render_report(data: ReportData) -> str:
    """The whole page."""
    anchors = {
        case.case_id: f"case-{index}"
        for index, case in enumerate((*data.at_risk, *data.other_open, *data.recently_ended), 1)
    }
    generated = iso_z(data.generated_at, "minutes")
    # The picture first (counts, the cases at risk, the trend, the year), the detail after:
    # the other open cases, then each case's timeline.
    body = [
        _header(data, generated),
        "<h2>At risk: past due, then due soon</h2>",
        _case_table(
            data.at_risk,
            anchors,
            f"No open case is past due or due within {data.due_soon_days} days.",
        ),
        f"<h2>Open cases, week by week (last {len(data.weeks)} weeks)</h2>",
        _chart(data),
        f"<h2>{data.year}: requests by type</h2>",
        _yearly(data),
        "<h2>Other open cases</h2>",
        _case_table(data.other_open, anchors, "No other open case."),
        '<section class="timelines"><h2>Timelines</h2>',
        '<p class="muted">Each case from its first failure: attempts, escalations and its end.'
        f" Ended cases are those of the last {len(data.weeks)} weeks. A case that went the"
        " ordinary way (answered by its legal deadline or open on time, never escalated, no"
        " operator's step) is told in a line: its tasks and what happened when;"
        " <code>bwp-privacy cases show</code> tells each of its steps. Every other case shows"
        " each step in full. Steps name their actor briefly; the table below gives each in"
        " full.</p>",
        _timelines(data, anchors),
        "</section>",
        f"<footer>bwp-privacy report · {escape(generated)} · cases hold no shopper data: ids,"
        " states, error codes, reasons and actors only.</footer>",
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        # Nothing may be fetched when the page is viewed: no script, font, image or frame.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';'
        " style-src 'unsafe-inline'\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Privacy requests report · {escape(generated)}</title>"
        f"<style>{_CSS}</style></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n"
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


def _header(data: ReportData, generated: str) -> str:
    counts = [
        f'<li><b>{data.bucket_count(bucket)}</b><span class="days {BUCKET_CLASS[bucket]}">'
        f"{escape(bucket.value)}</span></li>"
        for bucket in BUCKET_ORDER
    ]
    return (
        "<header><h1>Privacy requests: compliance report</h1>"
        f'<p class="muted">Generated <time datetime="{escape(data.generated_at.isoformat())}">'
        f"{escape(_when(data.generated_at))}</time>"
        f" from {escape(target_label(data.target))}"
        f' (env <span class="id">{escape(data.target.env)}</span>).</p>'
        + _as_at(data)
        + '<p class="muted">Each case counts to its legal deadline: the earliest across its'
        " jurisdictions, extended once an extension is recorded. The playbooks' planning"
        " deadline (when to retry or escalate) is internal and not shown; due soon: within"
        f" {data.due_soon_days} days. Times are UTC.</p>"
        f'<ul class="summary"><li><b>{data.open_count}</b>open</li>{"".join(counts)}</ul>'
        "</header>"
    )


def _as_at(data: ReportData) -> str:
    """A report judged at another moment than it was made says so where it is read first."""
    if not data.as_at_other:
        return ""
    ahead = data.as_at > data.generated_at
    later, earlier = (data.as_at, data.generated_at) if ahead else (data.generated_at, data.as_at)
    days = whole_days_left(later, earlier)
    apart = "less than a day" if days == 0 else f"{days} day" + ("" if days == 1 else "s")
    chart = (
        " The chart stops when it was generated: it never shows a week still to come."
        if ahead
        else ""
    )
    return (
        f'<p class="as-at"><strong>As at <time datetime="{escape(data.as_at.isoformat())}">'
        f"{escape(_when(data.as_at))}</time></strong>, {apart}"
        f" {'after' if ahead else 'before'} this report was generated: every case is shown as"
        f" it stood at that moment.{chart}</p>"
    )


def _case_table(cases: Sequence[ReportCase], anchors: dict[str, str], empty: str) -> str:
    if not cases:
        return f'<p class="muted">{escape(empty)}</p>'
    rows = "".join(
        "<tr>"
        f'<td><a class="id" href="#{anchors[case.case_id]}">{escape(case.case_id)}</a></td>'
        f"<td>{escape(case.kind)}</td>"
        f"<td>{escape(case.state)}</td>"
        f'<td class="nowrap">{escape(_day(case.legal_due_at))}</td>'
        f"<td>{_days(case)}</td>"
        f'<td class="num">{case.attempts}</td>'
        f"<td>{_short_id(case.business_product_id)}</td>"
        f"<td>{_prose(case.reason or '')}</td>"
        "</tr>"
        for case in cases
    )
    return (
        '<div class="scroll"><table class="cases"><thead><tr><th>case</th><th>kind</th>'
        '<th>state</th><th class="nowrap">legal deadline</th><th>standing</th>'
        '<th class="num">attempts</th><th>business product</th><th>why</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )


def _days(case: ReportCase) -> str:
    """Where the case stands against its legal deadline, in whole days and words ("12 days
    left", "past due by 3 days"), as a coloured badge: red past due, amber due soon, green on
    time."""
    css = BUCKET_CLASS[case.bucket] if case.bucket is not None else "ended"
    title = case.bucket.value if case.bucket is not None else "ended"
    return f'<span class="days {css}" title="{escape(title)}">{escape(case.standing)}</span>'


#: Ids longer than this show as their head and tail in a table (the whole id in its title and
#: in the case's timeline): a business product id is as long as a case id, and both on one
#: line would leave no room for why.
SHORT_ID = 16


def _short_id(value: str) -> str:
    """``value`` whole when short; else its first and last characters around an ellipsis, so
    ids that share a prefix (or a suffix) still tell apart. Never cut inside a line."""
    if len(value) <= SHORT_ID:
        return f'<span class="id">{escape(value)}</span>'
    shown = f"{value[:6]}…{value[-6:]}"
    return f'<span class="id" title="{escape(value)}">{escape(shown)}</span>'


def _timelines(data: ReportData, anchors: dict[str, str]) -> str:
    cases = (*data.at_risk, *data.other_open, *data.recently_ended)
    if not cases:
        return '<p class="muted">No case to show.</p>'
    return "\n".join(
        [_actors(data.actors)]
        + [_timeline(case, anchors[case.case_id], data.actors) for case in cases]
    )


def _actors(actors: dict[str, str]) -> str:
    """Who acted: each short name the steps give and the full identity it stands for, each
    identity once. The steps name their actor briefly (an ARN is as long as a line and the
    reaction's is on nearly every step); this legend keeps the whole identity."""
    if not actors:
        return ""
    rows = "".join(
        f'<tr><td><span class="id">{escape(short)}</span></td>'
        f'<td><span class="id">{escape(full)}</span></td></tr>'
        for full, short in sorted(actors.items(), key=lambda item: item[1])
    )
    return (
        '<table class="actors"><thead><tr><th>actor</th><th>identity (as each step names it,'
        f" in full)</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _timeline(case: ReportCase, anchor: str, actors: dict[str, str]) -> str:
    """A case's head (its id, kind, state and where it stands or how it ended; its receipt,
    legal deadline, business product and tasks) on one line where the width allows, then its
    steps a line each: time, what, why, and its cause and actor.

    A case that went the ordinary way (``ReportCase.ordinary``: answered in time or open on
    time, never escalated, no operator's step) is told on its head's line: its steps as what
    happened when, and who. Its steps' own words restate its tasks (``task … failed with
    …``, ``attempt 1 started … task …``, ``… task … completed``), which its head shows; its
    steps' causes (the event or the schedule that moved it) stay one ``cases show`` away. An
    at-risk, late, escalated or closed case, what an auditor reads step by step, keeps every
    step in full. Told in full, the steps were three quarters of a long report's pages."""
    edge = f" edge-{BUCKET_CLASS[case.bucket]}" if case.bucket is not None else ""
    where = (
        _days(case)
        if case.bucket is not None
        else f"ended {escape(_day(case.ended_at))}: {escape(case.response.value)}"
    )
    head = (
        f'<h3><span class="id">{escape(case.case_id)}</span> · {escape(case.kind)} ·'
        f" {escape(case.state)} · {where}</h3>"
        f'<span class="facts">received {escape(_day(case.received_at))}'
        f" · legal deadline {escape(_day(case.legal_due_at))}</span>"
        f'<span class="facts">business product <span class="id">'
        f"{escape(case.business_product_id)}</span></span>"
        f'<span class="facts">tasks: {_tasks(case)}</span>'
    )
    if case.ordinary:
        return (
            f'<section class="case ordinary{edge}" id="{anchor}"><div class="head">{head}'
            f"{_story(case, actors)}</div></section>"
        )
    steps = "".join(_step(entry, actors) for entry in case.timeline)
    return (
        f'<section class="case{edge}" id="{anchor}"><div class="head">{head}</div>'
        f'<ol class="timeline">{steps}</ol></section>'
    )


def _tasks(case: ReportCase) -> str:
    """The case's tasks in order, each with its attempt, outcome and error codes. A case is
    named by its first task (attempt 0): that one says "its own" rather than the case's id
    again, a third of a line."""
    return " → ".join(
        (
            '<span class="muted">its own</span>'
            if task.task_id == case.case_id
            else f'<span class="id">{escape(task.task_id)}</span>'
        )
        + f" (attempt {task.attempt}, {escape(task.outcome)}"
        + (f": {escape(', '.join(task.error_codes))}" if task.error_codes else "")
        + ")"
        for task in case.tasks
    )


def _story(case: ReportCase, actors: dict[str, str]) -> str:
    """An ordinary case's steps in a line: what happened when, each step's actor (once when
    one actor took them all), and an ended case's reason (why nothing was held)."""
    names = {_actor(entry.actor, actors) for entry in case.timeline}
    alone = len(names) == 1
    if not case.timeline:
        return '<span class="story">no step recorded yet</span>'
    steps = " → ".join(
        f'<span class="what {_what_class(entry)}">{escape(entry.what)}</span>'
        f' <time datetime="{escape(entry.at.isoformat())}">{escape(_day(entry.at))}</time>'
        + ("" if alone or not entry.actor else f" by {_actor(entry.actor, actors)}")
        for entry in case.timeline
    )
    by = f" · by {names.pop()}" if alone and case.timeline[0].actor else ""
    # An ended case's reason says why it ended so (no data held); an open one's is not its.
    why = f" · {_prose(case.reason)}" if case.reason and case.ended_at else ""
    return f'<span class="story">{steps}{by}{why}</span>'


def _actor(actor: str, actors: dict[str, str]) -> str:
    """The step's actor by its short name (whole, on one line): the legend says who it is."""
    return f'<span class="id actor">{escape(actors.get(actor, actor))}</span>'


def _what_class(entry: TimelineEntry) -> str:
    return _WHAT_CLASS.get(entry.what.split(", ")[-1], "")


def _step(entry: TimelineEntry, actors: dict[str, str]) -> str:
    moved = f"→ {escape(entry.state)} · " if entry.state else ""
    by = f" · {_actor(entry.actor, actors)}" if entry.actor else ""
    return (
        f'<li><time datetime="{escape(entry.at.isoformat())}">{escape(_day(entry.at))}</time>'
        f'<span class="what {_what_class(entry)}">{escape(entry.what)}</span>'
        f'<span>{moved}{_prose(entry.detail)} <span class="muted">({_prose(entry.cause)}{by})'
        "</span></span></li>"
    )


def _chart(data: ReportData) -> str:
    rows = "".join(
        f"<tr><td>{escape(_day(week.at))}</td>"
        f"{_counts(week.counts.get(b, 0) for b in BUCKET_ORDER)}"
        f'<td class="num">{week.total}</td></tr>'
        for week in data.weeks
    )
    heads = "".join(f'<th class="num">{escape(b.value)}</th>' for b in BUCKET_ORDER)
    return (
        f'<figure>{week_chart(data.weeks)}<figcaption class="muted">Open cases at the end of'
        " each week, each from its receipt, by where it stood against its legal deadline"
        f" then; the last bar is {escape(_last_bar(data))}.</figcaption></figure>"
        f'<table class="weeks"><thead><tr><th>at</th>{heads}<th class="num">open</th></tr>'
        f"</thead><tbody>{rows}</tbody></table>"
    )


def _last_bar(data: ReportData) -> str:
    last = data.weeks[-1].at
    if last == data.generated_at:
        return "when the report was generated"
    return f"{_when(last)}, as at which the cases are shown"


def _counts(values: Iterable[int]) -> str:
    return "".join(f'<td class="num">{value}</td>' for value in values)


def _yearly(data: ReportData) -> str:
    by_kind = data.yearly.by_kind
    if not by_kind:
        return f'<p class="muted">No request was received in {data.year}.</p>'
    order = list(_REQUEST)
    kinds = sorted(by_kind, key=lambda kind: (order.index(kind) if kind in order else 99, kind))
    stats = [by_kind[kind] for kind in kinds]
    # The rows `cases stats` prints and its CSV holds, as CCPA §7102 names them (denials by
    # its categories; each denial's own words are in the case's timeline), then appeals.
    table = [metric_rows(s) for s in stats]
    rows = [
        (name, [_figure(name, kind_rows[index][1]) for kind_rows in table])
        for index, (name, _) in enumerate(table[0])
    ]
    heads = "".join(f'<th class="num">{escape(_REQUEST.get(kind, kind))}</th>' for kind in kinds)
    body = "".join(
        f"<tr><td>{escape(label)}</td>"
        + "".join(f'<td class="num">{value}</td>' for value in values)
        + "</tr>"
        for label, values in rows
    )
    return (
        f'<table class="yearly"><thead><tr><th>requests received in {data.year}</th>{heads}'
        f"</tr></thead><tbody>{body}</tbody></table>"
    )


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


#: A word that names something (a task or case id, an event, an ARN, a date): a digit and a
#: hyphen, dot, colon or slash. A browser would break it at its hyphens or slashes.
_ID_LIKE = re.compile(r"(?=\S*\d)\S*[-.:/]\S*")


def _prose(text: str) -> str:
    """``text`` escaped, to wrap between its words but never inside an id it quotes (a
    reason reads "task 1c0d…-a1 failed with ...")."""
    return "".join(
        f'<span class="nowrap">{escape(word)}</span>' if _ID_LIKE.fullmatch(word) else escape(word)
        for word in re.split(r"(\s+)", text)
    )


def _day(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def _when(moment: datetime) -> str:
    return iso_z(moment, "minutes").replace("T", " ").replace("Z", " UTC")
