"""The report's chart: open cases by bucket at the end of each week, as stacked bars in inline
SVG (no script, no library: it shows with JavaScript off, offline, and in print). Inline SVG
needs no xmlns in HTML: the report names no URL at all."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from bwp_privacy.cases import Bucket
from bwp_privacy_cli.report.model import BUCKET_ORDER, WeekCounts

__all__ = ["BUCKET_CLASS", "BUCKET_COLOUR", "week_chart"]

#: One colour per bucket, for the chart's bars and the report's badges alike (white text
#: on each keeps a contrast of at least 4.5:1).
BUCKET_COLOUR = {
    Bucket.PAST_DUE: "#b91c1c",
    Bucket.DUE_SOON: "#b45309",
    Bucket.ON_TIME: "#15803d",
}
#: The CSS class of each bucket (the report's stylesheet and the tests read them).
BUCKET_CLASS = {
    Bucket.PAST_DUE: "past-due",
    Bucket.DUE_SOON: "due-soon",
    Bucket.ON_TIME: "on-time",
}

_WIDTH, _HEIGHT = 760, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 150, 16, 36


def week_chart(weeks: Sequence[WeekCounts]) -> str:
    """An ``<svg>`` with one ``<g class="week">`` per week, each holding a ``<rect>`` per
    bucket that had cases (past due at the bottom, where the eye lands first)."""
    plot_w = _WIDTH - _LEFT - _RIGHT
    plot_h = _HEIGHT - _TOP - _BOTTOM
    top = _axis_top(max((week.total for week in weeks), default=0))
    step = _step(top)
    slot = plot_w / max(len(weeks), 1)
    bar = min(slot * 0.6, 56)
    scale = plot_h / top
    base = _TOP + plot_h
    parts = [
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {_HEIGHT}"'
        f' width="{_WIDTH}" height="{_HEIGHT}" role="img" aria-labelledby="chart-title">',
        '<title id="chart-title">Open cases by deadline bucket, week by week</title>',
    ]
    for value in range(0, top + 1, step):
        y = base - value * scale
        parts.append(
            f'<line class="grid" x1="{_LEFT}" y1="{y:.1f}" x2="{_LEFT + plot_w}" y2="{y:.1f}"'
            ' stroke="#e5e7eb" stroke-width="1"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11"'
            f' fill="#6b7280">{value}</text>'
        )
    for index, week in enumerate(weeks):
        x = _LEFT + index * slot + (slot - bar) / 2
        day = week.at.strftime("%d %b")
        parts.append(f'<g class="week" data-at="{escape(week.at.isoformat())}">')
        y = base
        for bucket in BUCKET_ORDER:
            count = week.counts.get(bucket, 0)
            if not count:
                continue
            height = count * scale
            y -= height
            parts.append(
                f'<rect class="seg {BUCKET_CLASS[bucket]}" x="{x:.1f}" y="{y:.1f}"'
                f' width="{bar:.1f}" height="{height:.1f}" fill="{BUCKET_COLOUR[bucket]}">'
                f"<title>{escape(day)}: {count} {escape(bucket.value)}</title></rect>"
            )
        if week.total:
            parts.append(
                f'<text class="total" x="{x + bar / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle"'
                f' font-size="11" fill="#1f2937">{week.total}</text>'
            )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{base + 16:.1f}" text-anchor="middle"'
            f' font-size="11" fill="#6b7280">{escape(day)}</text></g>'
        )
    parts.append(
        f'<line x1="{_LEFT}" y1="{base}" x2="{_LEFT + plot_w}" y2="{base}" stroke="#9ca3af"/>'
    )
    parts.extend(_legend(_LEFT + plot_w + 20, _TOP + 4))
    parts.append("</svg>")
    return "".join(parts)


def _legend(x: float, y: float) -> list[str]:
    # Top to bottom as the bars stack, so the legend reads like a bar.
    items = []
    for row, bucket in enumerate(reversed(BUCKET_ORDER)):
        at = y + row * 20
        items.append(
            f'<rect x="{x}" y="{at}" width="12" height="12" fill="{BUCKET_COLOUR[bucket]}"/>'
            f'<text x="{x + 18}" y="{at + 10}" font-size="12" fill="#1f2937">'
            f"{escape(bucket.value)}</text>"
        )
    return items


def _axis_top(highest: int) -> int:
    """The axis' top: a round number at or above the highest bar (at least 1)."""
    step = _step(max(highest, 1))
    return max(step * math.ceil(max(highest, 1) / step), step)


def _step(highest: int) -> int:
    """A grid step (1, 2, 5, 10, 20, 50...) that draws at most five lines."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if highest / step <= 5:
                return step
        magnitude *= 10
