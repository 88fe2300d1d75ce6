"""`make bench`: every function (recorder, alert router, reaction, deadline watch) against a
bare baseline of the same calls, in one run: cold start, warm CPU and wall as ratios, import
cost, then the recorder's bulk replay and the package size.

    uv run python -m bench.run [--quick] [--cold-only] [--results DIR]
    uv run python -m bench.run --show RUN.json [--markdown]

Prints the tables and writes the raw figures to a JSON file under --results (BENCH_RESULTS,
else bwp-privacy-bench in the temporary directory): a scratch or CI artefact path, never the
repository. docs/performance.md is written by a person from a run (--markdown helps).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bulk import bulk_replay
from bench.functions import CODE, LAMBDAS
from bench.measure import measure
from bench.package import package_sizes
from bench.tables import render


class Log:
    """Progress on stderr with the elapsed time."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"[{elapsed:6.1f}s] {message}", file=sys.stderr, flush=True)


def default_results() -> Path:
    return Path(os.environ.get("BENCH_RESULTS") or Path(tempfile.gettempdir(), "bwp-privacy-bench"))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--cold-runs", type=int, default=7, help="fresh processes per handler")
    parser.add_argument(
        "--warm", type=int, default=1000, help="warm invocations of the recorder (others fewer)"
    )
    parser.add_argument("--events", type=int, default=250, help="events per bulk replay run")
    parser.add_argument("--workers", default="1,2", help="bulk replay worker counts")
    parser.add_argument("--skip-bulk", action="store_true", help="no bulk replay")
    parser.add_argument("--skip-package", action="store_true", help="no package sizes")
    parser.add_argument(
        "--cold-only", action="store_true", help="the cold starts alone (no warm, bulk, package)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="the smallest settings, to try the harness: 2 cold runs, 20 warm, 40 bulk events",
    )
    parser.add_argument(
        "--results", type=Path, default=default_results(), help="where the JSON is written"
    )
    parser.add_argument("--show", type=Path, help="measure nothing: print a saved run's tables")
    parser.add_argument("--markdown", action="store_true", help="tables as Markdown")
    args = parser.parse_args(argv)
    if args.quick:
        args.cold_runs, args.warm, args.events = 2, 20, 40
    return args


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "machine": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "load_average_start": list(os.getloadavg()),
    }


def code_version() -> dict[str, Any]:
    """Which code was measured: the tree and its commit (and whether it had local changes);
    BENCH_CODE_LABEL names a tree that is no checkout (see bench/__init__.py)."""
    version: dict[str, Any] = {"root": str(CODE), "commit": os.environ.get("BENCH_CODE_LABEL")}
    if not (CODE / ".git").exists():
        return version
    git = ["git", "-C", str(CODE)]
    try:
        head = subprocess.run(  # noqa: S603 (fixed arguments)
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(  # noqa: S603
            [*git, "status", "--porcelain", "--", "functions", "shared", "template.yaml"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return version
    version["commit"] = head + (" with local changes" if dirty else "")
    return version


def run(args: argparse.Namespace) -> dict[str, Any]:
    log = Log()
    workers = [int(value) for value in args.workers.split(",")]
    raw: dict[str, Any] = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "config": {
            "code": code_version(),
            "functions": {item.name: item.label for item in LAMBDAS},
            "cold_runs": args.cold_runs,
            "warm": args.warm,
            "bulk_events": args.events,
            "bulk_workers": workers,
        },
    }
    with tempfile.TemporaryDirectory(prefix="bwp-bench-") as tmp:
        raw.update(
            measure(
                Path(tmp), log, cold_runs=args.cold_runs, warm=args.warm, cold_only=args.cold_only
            )
        )
    if not (args.cold_only or args.skip_bulk):
        raw["bulk"] = bulk_replay(args.events, workers, log)
    if not (args.cold_only or args.skip_package):
        log("package sizes (uv pip install --target for python3.13 arm64)")
        try:
            raw["package"] = package_sizes()
        except (OSError, subprocess.SubprocessError, RuntimeError) as error:
            log(f"  package sizes left out: {type(error).__name__}: {error}")
    raw["machine"]["load_average_end"] = list(os.getloadavg())
    raw["machine"]["bench_seconds"] = round(time.monotonic() - log.started, 1)
    return raw


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.show:
        print(render(json.loads(args.show.read_text()), markdown=args.markdown))
        return 0
    raw = run(args)
    args.results.mkdir(parents=True, exist_ok=True)
    stamp = raw["generated_at"].replace(":", "").replace("+0000", "Z")
    path = args.results / f"bench-{stamp}.json"
    path.write_text(json.dumps(raw, indent=1) + "\n")
    print(render(raw, markdown=args.markdown))
    print(f"\nraw figures: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
