"""The report's chart: open cases by bucket at the end of each week, as stacked bars in inline
SVG (no script, no library: it shows with JavaScript off, offline, and in print). Inline SVG
needs no xmlns in HTML: the report names no URL at all. This module places the bars, the grid
and the legend; `templates/chart.svg.j2` draws them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bwp_privacy.cases import Bucket
from bwp_privacy_cli.report.model import BUCKET_ORDER, WeekCounts

__all__ = ["BUCKET_CLASS", "BUCKET_COLOUR", "Bar", "GridLine", "Segment", "WeekChart", "week_chart"]

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


@dataclass(frozen=True)
class GridLine:
    """A horizontal line of the grid, at ``value`` cases."""

    value: int
    y: float


@dataclass(frozen=True)
class Segment:
    """A bucket's part of a week's bar."""

    bucket: Bucket
    count: int
    y: float
    height: float


@dataclass(frozen=True)
class Bar:
    """A week's stacked bar: its segments bottom up, its total above it, its day below."""

    at: datetime
    day: str
    x: float
    width: float
    segments: tuple[Segment, ...]
    total: int
    #: The top of the stack (the total is written above it).
    top: float


@dataclass(frozen=True)
class WeekChart:
    """Where everything of the chart goes; `templates/chart.svg.j2` draws it."""

    width: int
    height: int
    left: int
    right: int
    base: int
    grid: tuple[GridLine, ...]
    bars: tuple[Bar, ...]
    #: Where the legend starts (its rows top to bottom as the bars stack).
    legend_x: int
    legend_y: int
    legend: tuple[Bucket, ...]


def week_chart(weeks: Sequence[WeekCounts]) -> WeekChart:
    """One bar per week, each with a segment per bucket that had cases (past due at the
    bottom, where the eye lands first), on a grid of round numbers."""
    plot_w = _WIDTH - _LEFT - _RIGHT
    plot_h = _HEIGHT - _TOP - _BOTTOM
    top = _axis_top(max((week.total for week in weeks), default=0))
    step = _step(top)
    slot = plot_w / max(len(weeks), 1)
    bar = min(slot * 0.6, 56)
    scale = plot_h / top
    base = _TOP + plot_h
    grid = tuple(GridLine(value=value, y=base - value * scale) for value in range(0, top + 1, step))
    bars = []
    for index, week in enumerate(weeks):
        y: float = base
        segments = []
        for bucket in BUCKET_ORDER:
            count = week.counts.get(bucket, 0)
            if not count:
                continue
            height = count * scale
            y -= height
            segments.append(Segment(bucket=bucket, count=count, y=y, height=height))
        bars.append(
            Bar(
                at=week.at,
                day=week.at.strftime("%d %b"),
                x=_LEFT + index * slot + (slot - bar) / 2,
                width=bar,
                segments=tuple(segments),
                total=week.total,
                top=y,
            )
        )
    return WeekChart(
        width=_WIDTH,
        height=_HEIGHT,
        left=_LEFT,
        right=_LEFT + plot_w,
        base=base,
        grid=grid,
        bars=tuple(bars),
        legend_x=_LEFT + plot_w + 20,
        legend_y=_TOP + 4,
        legend=tuple(reversed(BUCKET_ORDER)),
    )


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
