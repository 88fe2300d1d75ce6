"""Figures from raw measurements: statistics, the cost model, the targets, and the output
(terminal tables and docs/performance.md)."""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Sequence
from typing import Any

# Lambda pricing, us-east-1, arm64 (the template's architecture).
PRICE_PER_GB_SECOND = 0.0000133334
PRICE_PER_REQUEST = 0.20 / 1_000_000
#: At 1,769 MB a function has the equivalent of one vCPU; CPU share is proportional below.
FULL_VCPU_MB = 1769
EVENTS_PER_COLD_START = 100
COST_EVENTS = 1_000_000
MEMORY_SIZES = (128, 256, 512)

BEFORE_AFTER_START = "<!-- before-and-after:start (kept as is by `make bench`) -->"
BEFORE_AFTER_END = "<!-- before-and-after:end -->"


def stats(values: Sequence[float], scale: float = 1.0) -> dict[str, float]:
    """Median, min, max (and p90 for long series) of ``values`` times ``scale``."""
    scaled = sorted(value * scale for value in values)
    result = {
        "median": statistics.median(scaled),
        "min": scaled[0],
        "max": scaled[-1],
        "n": float(len(scaled)),
    }
    if len(scaled) >= 20:
        result["p90"] = scaled[math.ceil(0.9 * len(scaled)) - 1]
    return result


def slope(points: Sequence[tuple[int, int]]) -> float:
    """Least-squares slope of y over x."""
    xs = [float(x) for x, _ in points]
    ys = [float(y) for _, y in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def import_group(module: str) -> str:
    """Where a module's import time is counted: its top-level package, or for our library
    and Powertools the feature it belongs to (``bwp_privacy.reaction``,
    ``aws_lambda_powertools.utilities.batch``)."""
    parts = module.split(".")
    if parts[0] == "aws_lambda_powertools" and len(parts) > 2 and parts[1] == "utilities":
        return ".".join(parts[:3])
    if parts[0] in ("bwp_privacy", "aws_lambda_powertools") and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0]


def parse_importtime(stderr: str, top: int = 15) -> dict[str, Any]:
    """``-X importtime`` output: the top entries by cumulative time, own time by package."""
    entries = []
    for line in stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match:
            own, cumulative, indent, name = match.groups()
            entries.append(
                {
                    "module": name,
                    "depth": (len(indent) - 1) // 2,
                    "self_ms": int(own) / 1000,
                    "cumulative_ms": int(cumulative) / 1000,
                }
            )
    by_package: dict[str, float] = {}
    for entry in entries:
        package = import_group(str(entry["module"]))
        by_package[package] = by_package.get(package, 0.0) + float(entry["self_ms"])
    ranked = sorted(entries, key=lambda entry: -float(entry["cumulative_ms"]))
    return {
        "modules": len(entries),
        "top_cumulative": ranked[:top],
        "self_by_package_ms": dict(sorted(by_package.items(), key=lambda item: -item[1])),
        "total_ms": max((float(entry["cumulative_ms"]) for entry in entries), default=0.0),
    }


# -- cost ------------------------------------------------------------------------------------


def billed_ms(wall_ms: float, cpu_ms: float, memory_mb: int) -> float:
    """Estimated Lambda duration of an invocation measured here at full CPU: its CPU time
    stretched by the memory size's CPU share, plus its time waiting on I/O; billed per ms."""
    share = min(1.0, memory_mb / FULL_VCPU_MB)
    return float(math.ceil(cpu_ms / share + max(0.0, wall_ms - cpu_ms)))


def cost(
    init_ms: float,
    first: tuple[float, float],
    warm: tuple[float, float],
    memory_mb: int,
    events: int = COST_EVENTS,
) -> dict[str, float]:
    """Cost of ``events`` events: one cold start (init, billed since 2025-08, plus the first
    invocation) per EVENTS_PER_COLD_START events, warm invocations for the rest."""
    colds = events / EVENTS_PER_COLD_START
    first_ms = billed_ms(*first, memory_mb)
    warm_ms = billed_ms(*warm, memory_mb)
    total_ms = colds * (math.ceil(init_ms) + first_ms) + (events - colds) * warm_ms
    gb_seconds = total_ms / 1000 * memory_mb / 1024
    compute = gb_seconds * PRICE_PER_GB_SECOND
    requests = events * PRICE_PER_REQUEST
    return {
        "memory_mb": memory_mb,
        "warm_billed_ms": warm_ms,
        "cold_billed_ms": math.ceil(init_ms) + first_ms,
        "gb_seconds": gb_seconds,
        "compute_usd": compute,
        "requests_usd": requests,
        "total_usd": compute + requests,
    }


# -- formatting --------------------------------------------------------------------------------


def ms(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def spread(figures: dict[str, float]) -> str:
    """``median (min-max)``."""
    return f"{ms(figures['median'])} ({ms(figures['min'])}-{ms(figures['max'])})"


def ratio(real: float, baseline: float) -> str:
    return f"{real / baseline:.2f}x" if baseline else "n/a"


def text_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A plain table for the terminal."""
    body = [list(map(str, row)) for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in body)) for i, h in enumerate(headers)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)), line]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in body]
    return "\n".join(out)


def md_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    body = ["| " + " | ".join(map(str, row)) + " |" for row in rows]
    return "\n".join(["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers), *body])


def keep_before_and_after(existing: str | None, generated: str) -> str:
    """The section between the markers as it is in the existing document, if any."""
    if not existing or BEFORE_AFTER_START not in existing or BEFORE_AFTER_END not in existing:
        return generated
    kept = existing.split(BEFORE_AFTER_START, 1)[1].split(BEFORE_AFTER_END, 1)[0]
    head, rest = generated.split(BEFORE_AFTER_START, 1)
    tail = rest.split(BEFORE_AFTER_END, 1)[1]
    return head + BEFORE_AFTER_START + kept + BEFORE_AFTER_END + tail
