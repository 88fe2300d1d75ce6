"""The compliance report as one self-contained HTML page: inline CSS and SVG, no script, no
font, image or link to fetch (its Content-Security-Policy forbids any), so it opens offline,
from an attachment or a ticket, and prints. Every value from a case is escaped."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape
from pathlib import Path

from bwp_privacy.common import iso_z
from bwp_privacy.compliance import KindStats
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
body { margin: 0 auto; max-width: 1180px; padding: 20px 28px 40px; color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
h1 { font-size: 22px; margin: 0 0 2px; }
h2 { font-size: 17px; margin: 26px 0 8px; padding-bottom: 3px;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 0; }
p { margin: 4px 0; }
.muted { color: var(--muted); }
.id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px;
  overflow-wrap: anywhere; }
a.id { white-space: nowrap; }
.summary { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0 0; padding: 0;
  list-style: none; }
.summary li { border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; }
.summary b { font-size: 20px; margin-right: 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px;
  border-bottom: 1px solid var(--line); }
th { font-size: 11.5px; font-weight: 600; letter-spacing: .03em; text-transform: uppercase;
  color: var(--muted); }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.days { display: inline-block; min-width: 4.2em; padding: 0 6px; border-radius: 4px;
  color: #fff; font-weight: 600; text-align: right; font-variant-numeric: tabular-nums; }
.days.past-due { background: var(--red); }
.days.due-soon { background: var(--amber); }
.days.on-time { background: var(--green); }
.days.ended { background: var(--muted); }
.case { margin: 8px 0; padding: 6px 10px; border: 1px solid var(--line); border-left-width: 4px;
  border-radius: 4px; break-inside: avoid; }
.case.edge-past-due { border-left-color: var(--red); }
.case.edge-due-soon { border-left-color: var(--amber); }
.case.edge-on-time { border-left-color: var(--green); }
.case .facts { margin: 2px 0; color: var(--muted); font-size: 12.5px; }
.timeline { margin: 4px 0 0; padding: 0; list-style: none; font-size: 12.5px; }
.timeline li { display: grid; grid-template-columns: 9.6em 10em 1fr; gap: 8px; padding: 1px 0;
  border-top: 1px dotted var(--line); }
.timeline time { white-space: nowrap; font-variant-numeric: tabular-nums; }
.timeline .what { font-weight: 600; }
.timeline .what.failed { color: var(--red); }
.timeline .what.escalated { color: var(--amber); }
.timeline .what.ended { color: var(--green); }
figure { margin: 8px 0; }
.chart { max-width: 100%; height: auto; }
footer { margin-top: 28px; font-size: 12px; color: var(--muted); }
@page { size: A4; margin: 12mm; }
@media print {
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { max-width: none; padding: 0; font-size: 11px; }
  h2 { break-after: avoid; }
  tr, figure, .case { break-inside: avoid; }
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
        f" Ended cases are those of the last {len(data.weeks)} weeks.</p>",
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
        f"{escape(generated.replace('T', ' ').replace('Z', ' UTC'))}</time>"
        f" from {escape(target_label(data.target))}"
        f' (env <span class="id">{escape(data.target.env)}</span>).</p>'
        '<p class="muted">Legal days left count to each case\'s legal deadline (the earliest in'
        " force, extensions applied), not to the playbooks' planning deadline; due soon: within"
        f" {data.due_soon_days} days.</p>"
        f'<ul class="summary"><li><b>{data.open_count}</b>open</li>{"".join(counts)}</ul>'
        "</header>"
    )


def _case_table(cases: Sequence[ReportCase], anchors: dict[str, str], empty: str) -> str:
    if not cases:
        return f'<p class="muted">{escape(empty)}</p>'
    rows = "".join(
        "<tr>"
        f'<td><a class="id" href="#{anchors[case.case_id]}">{escape(case.case_id)}</a></td>'
        f"<td>{escape(case.kind)}</td>"
        f"<td>{escape(case.state)}</td>"
        f'<td class="num">{_days(case)}</td>'
        f'<td class="num">{escape(_day(case.legal_due_at))}</td>'
        f'<td class="num">{case.attempts}</td>'
        f'<td class="id">{escape(case.business_product_id)}</td>'
        f"<td>{escape(case.reason or '')}</td>"
        "</tr>"
        for case in cases
    )
    return (
        "<table><thead><tr><th>case</th><th>kind</th><th>state</th>"
        '<th class="num">legal days left</th><th class="num">legal due</th>'
        '<th class="num">attempts</th><th>business product</th><th>why</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def _days(case: ReportCase) -> str:
    """Days left to the legal deadline (`cases show --json`'s daysLeft, `cases list`'s
    daysLeft) as a coloured badge: red past due, amber due soon, green on time."""
    css = BUCKET_CLASS[case.bucket] if case.bucket is not None else "ended"
    title = case.bucket.value if case.bucket is not None else "ended"
    return f'<span class="days {css}" title="{escape(title)}">{case.days_left:.1f}</span>'


def _timelines(data: ReportData, anchors: dict[str, str]) -> str:
    cases = (*data.at_risk, *data.other_open, *data.recently_ended)
    if not cases:
        return '<p class="muted">No case to show.</p>'
    return "\n".join(_timeline(case, anchors[case.case_id]) for case in cases)


def _timeline(case: ReportCase, anchor: str) -> str:
    edge = f" edge-{BUCKET_CLASS[case.bucket]}" if case.bucket is not None else ""
    standing = (
        f"{_days(case)} legal days left"
        if case.bucket is not None
        else f"ended {escape(_day(case.ended_at))}: {escape(case.response.value)}"
    )
    tasks = " → ".join(
        f'<span class="id">{escape(task.task_id)}</span> (attempt {task.attempt},'
        f" {escape(task.outcome)}"
        + (f": {escape(', '.join(task.error_codes))}" if task.error_codes else "")
        + ")"
        for task in case.tasks
    )
    steps = "".join(_step(entry) for entry in case.timeline)
    return (
        f'<section class="case{edge}" id="{anchor}">'
        f'<h3><span class="id">{escape(case.case_id)}</span> · {escape(case.kind)} ·'
        f" {escape(case.state)} · {standing}</h3>"
        f'<p class="facts">business product <span class="id">'
        f"{escape(case.business_product_id)}</span> · opened {escape(_day(case.opened_at))}"
        f" · legal due {escape(_day(case.legal_due_at))} · tasks: {tasks}</p>"
        f'<ol class="timeline">{steps}</ol></section>'
    )


def _step(entry: TimelineEntry) -> str:
    css = _WHAT_CLASS.get(entry.what.split(", ")[-1], "")
    moved = f"→ {escape(entry.state)} · " if entry.state else ""
    by = f" · {escape(entry.actor)}" if entry.actor else ""
    return (
        f'<li><time datetime="{escape(entry.at.isoformat())}">{escape(_day(entry.at))}</time>'
        f'<span class="what {css}">{escape(entry.what)}</span>'
        f'<span>{moved}{escape(entry.detail)} <span class="muted">({escape(entry.cause)}{by})'
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
        " each week by where they stood against their legal deadline then; the last bar is"
        " now.</figcaption></figure>"
        f'<table class="weeks"><thead><tr><th>at</th>{heads}<th class="num">open</th></tr>'
        f"</thead><tbody>{rows}</tbody></table>"
    )


def _counts(values: Iterable[int]) -> str:
    return "".join(f'<td class="num">{value}</td>' for value in values)


def _yearly(data: ReportData) -> str:
    by_kind = data.yearly.by_kind
    if not by_kind:
        return f'<p class="muted">No request was received in {data.year}.</p>'
    order = list(_REQUEST)
    kinds = sorted(by_kind, key=lambda kind: (order.index(kind) if kind in order else 99, kind))
    stats = [by_kind[kind] for kind in kinds]
    rows = [
        ("received", [str(s.received) for s in stats]),
        ("complied with", [str(s.complied) for s in stats]),
        ("denied", [_denied(s) for s in stats]),
        ("cancelled", [str(s.cancelled) for s in stats]),
        ("still open", [str(s.open) for s in stats]),
        ("median days to respond", [_number(s.median_days_to_respond) for s in stats]),
        ("mean days to respond", [_number(s.mean_days_to_respond) for s in stats]),
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


def _denied(stats: KindStats) -> str:
    reasons = "; ".join(
        f"{escape(reason)}: {count}" for reason, count in sorted(stats.denied_by_reason.items())
    )
    return f"{stats.denied}" + (f' <span class="muted">({reasons})</span>' if reasons else "")


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _day(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M")
