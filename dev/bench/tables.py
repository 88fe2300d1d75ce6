"""The tables of a run, from its raw measurements (what bench.run writes): each function
against its baseline as ratios, then the figures behind them, bulk replay and package size.

Plain text for the terminal, or Markdown to paste into docs/performance.md.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from bench.importtime import extra_imports

#: The targets (issue 16): each function against its own baseline, in one run.
COLD_TARGET = 1.25
WARM_TARGET = 1.5

Table = tuple[str, Sequence[str], list[list[str]]]


def stats(values: Sequence[float], scale: float = 1000.0) -> dict[str, float]:
    """Median, min, max and p90 of ``values`` (seconds) times ``scale`` (ms by default)."""
    scaled = sorted(value * scale for value in values)
    return {
        "median": statistics.median(scaled),
        "min": scaled[0],
        "max": scaled[-1],
        "p90": scaled[math.ceil(0.9 * len(scaled)) - 1],
    }


def ms(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def spread(figures: Mapping[str, float]) -> str:
    """``median (min-max)``."""
    return f"{ms(figures['median'])} ({ms(figures['min'])}-{ms(figures['max'])})"


def mark(value: float, target: float) -> str:
    """A ratio, with ✓ when it meets ``target`` and ✗ when it does not."""
    return f"{value:.2f}x " + ("✓" if value <= target else "✗")


def cold_ms(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Start to ready (the handler module imported, its init done) over fresh processes."""
    return stats([run["ready"] - run["started"] for run in runs])


def _subjects(raw: dict[str, Any], key: str, function: str) -> dict[str, Any]:
    prefix = f"{function}/"
    return {k.removeprefix(prefix): v for k, v in raw.get(key, {}).items() if k.startswith(prefix)}


def _calls(kind: Mapping[str, Any]) -> tuple[float, float]:
    count = len(kind["wall"])
    return sum(kind["aws"].values()) / count, sum(kind["http"].values()) / count


def scorecard(raw: dict[str, Any]) -> list[list[str]]:
    """One row per function and input: the cold start, warm CPU and warm wall of the real
    handler divided by its baseline's (medians), and the calls each makes per invocation."""
    rows = []
    for function in raw["config"]["functions"]:
        cold = _subjects(raw, "cold", function)
        ratio = cold_ms(cold["real"])["median"] / cold_ms(cold["baseline"])["median"]
        cold_cell = mark(ratio, COLD_TARGET)
        invocations = _subjects(raw, "invocations", function)
        real = invocations.get("real", {}).get("kinds", {})
        against = [("", invocations.get("baseline", {}).get("kinds", {}))]
        if "baseline-claim" in invocations:
            against.append((", against the same calls", invocations["baseline-claim"]["kinds"]))
        first = True
        for kind, mine in real.items():
            for label, theirs_by_kind in against:
                theirs = theirs_by_kind.get(kind)
                if theirs is None:
                    continue
                cpu = statistics.median(mine["cpu"]) / statistics.median(theirs["cpu"])
                wall = statistics.median(mine["wall"]) / statistics.median(theirs["wall"])
                (aws, http), (base_aws, base_http) = _calls(mine), _calls(theirs)
                rows.append(
                    [
                        function if first else "",
                        kind + label,
                        cold_cell if first else "",
                        mark(cpu, WARM_TARGET),
                        mark(wall, WARM_TARGET),
                        f"{aws:g} + {http:g} ({base_aws:g} + {base_http:g})",
                    ]
                )
                first = False
        if first:  # no warm figures (a --cold-only run)
            rows.append([function, "", cold_cell, "", "", ""])
    return rows


def cold_rows(raw: dict[str, Any]) -> list[list[str]]:
    rows = []
    for function in raw["config"]["functions"]:
        cold = _subjects(raw, "cold", function)
        base = cold_ms(cold["baseline"])["median"]
        for subject, runs in cold.items():
            start = cold_ms(runs)
            rows.append(
                [
                    function,
                    subject,
                    str(len(runs)),
                    spread(start),
                    ms(stats([run["import_cpu"] for run in runs])["median"]),
                    ms(stats([run["first_wall"] for run in runs])["median"]),
                    f"{start['median'] / base:.2f}x",
                ]
            )
    return rows


def warm_rows(raw: dict[str, Any]) -> list[list[str]]:
    rows = []
    for function in raw["config"]["functions"]:
        for subject, run in _subjects(raw, "invocations", function).items():
            for kind, figures in run["kinds"].items():
                wall, cpu = stats(figures["wall"]), stats(figures["cpu"])
                aws, http = _calls(figures)
                rows.append(
                    [
                        function,
                        kind,
                        subject,
                        str(len(figures["wall"])),
                        spread(wall),
                        ms(wall["p90"]),
                        spread(cpu),
                        f"{aws:g} + {http:g}",
                        f"{run['peak_rss_kb'] / 1024:.0f}",
                        str(run["error_count"]),
                    ]
                )
    return rows


def call_rows(raw: dict[str, Any]) -> list[list[str]]:
    rows = []
    for function in raw["config"]["functions"]:
        for subject, run in _subjects(raw, "invocations", function).items():
            for kind, figures in run["kinds"].items():
                count = len(figures["wall"])
                calls = {**figures["aws"], **figures["http"]}
                listed = ", ".join(f"{op} {n / count:g}" for op, n in sorted(calls.items()))
                rows.append([function, kind, subject, listed or "none"])
    return rows


def import_rows(raw: dict[str, Any], top: int = 6) -> list[list[str]]:
    rows = []
    for function in raw["config"]["functions"]:
        found = _subjects(raw, "importtime", function)
        if "real" not in found or "baseline" not in found:
            continue
        real, base = found["real"], found["baseline"]
        extra = extra_imports(real["self_by_package_ms"], base["self_by_package_ms"])
        rows.append(
            [
                function,
                f"{ms(real['total_ms'])} vs {ms(base['total_ms'])}",
                ", ".join(f"{name} {ms(value)}" for name, value in list(extra.items())[:top]),
            ]
        )
    return rows


def bulk_rows(raw: dict[str, Any]) -> list[list[str]]:
    runs = raw.get("bulk", [])
    rate = {(run["handler"], run["workers"]): run["steady_events_per_second"] for run in runs}
    rows = []
    for run in runs:
        mine = run["steady_events_per_second"]
        one = rate.get((run["handler"], 1))
        base = rate.get(("baseline", run["workers"]))
        rows.append(
            [
                run["handler"],
                str(run["workers"]),
                str(run["events"]),
                f"{run['seconds']:.1f}",
                f"{mine:.1f}",
                f"{mine / base:.2f}x" if base and run["handler"] != "baseline" else "",
                f"{mine / one:.2f}x" if one and run["workers"] != 1 else "",
                ", ".join(f"{count} {outcome}" for outcome, count in run["outcomes"].items()),
            ]
        )
    return rows


PACKAGES = {
    "layer": "layer as shared/Makefile builds it (with bytecode)",
    "layer_source": "the same without its bytecode",
    "function": "recorder's function, as make sam-build builds it",
    "baseline": "baseline: app.py + requests, no bytecode",
}


def package_rows(raw: dict[str, Any]) -> list[list[str]]:
    package = raw.get("package", {})
    return [
        [label, *(f"{package[key][size]:.0f}" for size in ("zip_kb", "unzipped_kb", "files"))]
        for key, label in PACKAGES.items()
        if key in package
    ]


def tables(raw: dict[str, Any]) -> list[Table]:
    """Every table the run has figures for: title, headers, rows."""
    found: list[Table] = [
        (
            f"Each function against its baseline (medians; ✓ within {COLD_TARGET}x cold, "
            f"{WARM_TARGET}x warm)",
            ["function", "input", "cold start", "warm CPU", "warm wall", "AWS + HTTP calls"],
            scorecard(raw),
        ),
        (
            "Cold start: start to ready, ms, median (min-max) over fresh processes",
            ["function", "handler", "runs", "start→ready", "import CPU", "1st call", "x base"],
            cold_rows(raw),
        ),
        (
            "Warm invocations, ms, median (min-max); peak RSS MB",
            ["function", "input", "handler", "n", "wall", "p90", "CPU", "calls", "RSS", "err"],
            warm_rows(raw),
        ),
        (
            "Calls per warm invocation (AWS operations, then HTTP requests by path)",
            ["function", "input", "handler", "calls"],
            call_rows(raw),
        ),
        (
            "Import + init, ms (-X importtime, one process each): real vs baseline, and the "
            "real handler's own import time beyond the baseline's by package (app: its init)",
            ["function", "real vs baseline", "beyond the baseline"],
            import_rows(raw),
        ),
        (
            "Bulk replay of the recorder, moto in its own process (events/s once started)",
            ["handler", "workers", "events", "s", "events/s", "x baseline", "x 1 worker", "out"],
            bulk_rows(raw),
        ),
        (
            "Package size, KB (the layer for python3.13 on arm64)",
            ["package", "zip", "unzipped", "files"],
            package_rows(raw),
        ),
    ]
    return [table for table in found if table[2]]


def text_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    body = [list(row) for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(headers)]
    lines = [[str(h) for h in headers], ["-" * w for w in widths], *body]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = [headers, ["---"] * len(headers), *rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def heading(raw: dict[str, Any]) -> str:
    """When, on what, which code: the line a person copies beside the figures."""
    machine, config, runtime = raw["machine"], raw["config"], raw["runtime"]
    missing = len(runtime["missing_bytecode"])
    return (
        f"{raw['generated_at']}, commit {config['code'].get('commit') or 'unknown'}: "
        f"{machine['nproc']} cores {machine['cpu_model']} ({machine['machine']}), "
        f"load {machine['load_average_start'][0]:.2f}; handlers on python {runtime['python']}, "
        f"{runtime['modules']} modules shipped, {missing} without bytecode; "
        f"{config['cold_runs']} cold starts per handler, {config['warm']} warm invocations"
    )


def render(raw: dict[str, Any], *, markdown: bool = False) -> str:
    table: Callable[[Sequence[str], Iterable[Sequence[str]]], str] = (
        markdown_table if markdown else text_table
    )
    parts = [heading(raw)]
    for title, headers, rows in tables(raw):
        parts += ["", title + ":" if markdown else title, "", table(headers, rows)]
    return "\n".join(parts)
