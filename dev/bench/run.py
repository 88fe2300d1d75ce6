"""`make bench`: cold start, per-event cost, bulk replay, memory, package size and cost of
the real handler against a bare baseline, side by side in one run.

    uv run python -m bench.run [--events N] [--warm N] [--cold-runs N] [--quick]

Writes dev/bench/results/latest.json and docs/performance.md and prints the tables.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import report
from bench.bulk import bulk_replay
from bench.docs import render_markdown
from bench.harness import (
    BASELINE_DIR,
    CODE,
    FUNCTION_DIR,
    ROOT,
    SHARED_DIR,
    TEMPLATE_MEMORY_MB,
    Subject,
    XRaySink,
    bench_sandbox,
    function_env,
    lambda_env,
    refresh,
    run_child,
    tracer_default,
)
from bench.package import package_sizes
from bench.summary import summarise, terminal_report

RESULTS = ROOT / "bench" / "results"
DOCS = ROOT / "docs" / "performance.md"
SUBJECTS = ("real", "real-alt", "baseline")
BYTECODE = ("compiled", "source")
#: `make bench` must stay under ~10 minutes on 2 cores: at the ~10-30 events/s the sandbox
#: allows, 5,000 events per bulk run (12 runs) would take about an hour.
DEFAULT_EVENTS = 5000


class Log:
    """Progress on stderr with the elapsed time."""

    def __init__(self) -> None:
        self._started = time.monotonic()

    def __call__(self, message: str) -> None:
        elapsed = time.monotonic() - self._started
        print(f"[{elapsed:6.1f}s] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help="events per bulk run")
    parser.add_argument("--workers", default="1,2,4", help="bulk replay worker counts")
    parser.add_argument("--warm", type=int, default=1000, help="warm invocations (memory check)")
    parser.add_argument("--cold-runs", type=int, default=7, help="fresh processes per variant")
    parser.add_argument("--profile", type=int, default=60, help="invocations profiled")
    parser.add_argument("--skip-bulk", action="store_true")
    parser.add_argument("--skip-package", action="store_true")
    parser.add_argument(
        "--quick", action="store_true", help="small numbers everywhere, to try the harness"
    )
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/performance.md")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="measure nothing: summarise dev/bench/results/latest.json again and rewrite the docs",
    )
    parser.add_argument(
        "--as-before",
        action="store_true",
        help="write bench/results/before.json (the Before of docs/performance.md) and nothing "
        "else; with BENCH_CODE=DIR to measure another tree, e.g. an older commit",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.warm, args.cold_runs, args.profile = 40, 100, 2, 20
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
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "load_average_start": list(os.getloadavg()),
    }


def subjects(function_env: dict[str, str], xray: str) -> dict[str, Subject]:
    """The real handler as the template configures it, the same with the Powertools Tracer
    switched the other way, and the baseline."""
    real_paths = (FUNCTION_DIR, SHARED_DIR)
    return {
        "real": Subject("real", real_paths, lambda_env(function_env, FUNCTION_DIR, xray), True),
        "real-alt": Subject(
            "real-alt",
            real_paths,
            lambda_env(function_env, FUNCTION_DIR, xray, tracer=not tracer_default()),
            True,
        ),
        "baseline": Subject(
            "baseline", (BASELINE_DIR,), lambda_env(function_env, BASELINE_DIR, xray), True
        ),
    }


def code_version() -> dict[str, Any]:
    """Which code was measured: the tree and its commit (and whether it had local changes)."""
    version: dict[str, Any] = {"root": str(CODE), "commit": os.environ.get("BENCH_CODE_LABEL")}
    if (CODE / ".git").exists():
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


def with_bytecode(subject: Subject, env: dict[str, str]) -> Subject:
    return Subject(subject.name, subject.paths, {**subject.env, **env}, subject.trace)


def bytecode_caches(tmp: Path) -> dict[str, dict[str, str]]:
    """Child environments for the two bytecode situations.

    compiled: every module has its .pyc (a private cache, filled by a first untimed run).
    source: only the standard library has; the rest is compiled from source at every start,
    as in Lambda when the package ships no .pyc (sam build installs wheels without compiling
    them, and /opt and /var/task are read-only).
    """
    return {
        "compiled": {"PYTHONPYCACHEPREFIX": str(tmp / "pyc-compiled")},
        "source": {
            "PYTHONPYCACHEPREFIX": str(tmp / "pyc-source"),
            "PYTHONDONTWRITEBYTECODE": "1",
        },
    }


def keep_stdlib_bytecode(tmp: Path) -> None:
    """Copy the standard library's part of the compiled cache to the source cache."""
    compiled, source = tmp / "pyc-compiled", tmp / "pyc-source"
    source.mkdir(exist_ok=True)
    # "stdlib" only: in a venv, "platstdlib" is the venv's own lib/ (site-packages included).
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    tree = compiled / stdlib.relative_to(stdlib.anchor)
    if tree.is_dir():
        shutil.copytree(tree, source / stdlib.relative_to(stdlib.anchor), dirs_exist_ok=True)


def measure_in_sandbox(args: argparse.Namespace, log: Log, tmp: Path) -> dict[str, Any]:
    """Everything that runs in fresh child processes against one sandbox (moto in a thread
    of this process, idle while the child runs; no queue subscribed to the topic, and a
    fresh stack before each long run: see harness.stop_fanout)."""
    raw: dict[str, Any] = {}
    out = tmp / "child.json"
    with XRaySink() as xray, bench_sandbox("thread") as sandbox:
        caches = bytecode_caches(tmp)
        plain = subjects(function_env(sandbox), xray.address)
        variants = {
            (name, mode): with_bytecode(subject, caches[mode])
            for name, subject in plain.items()
            for mode in BYTECODE
        }
        log("warming the bytecode cache (one untimed start and invocation per handler)")
        for name in SUBJECTS:
            run_child(variants[name, "compiled"], "invoke", out, warm=3)
        keep_stdlib_bytecode(tmp)

        log(f"cold starts: {args.cold_runs} fresh processes per handler and bytecode situation")
        cold: dict[str, list[dict[str, Any]]] = {f"{n}/{m}": [] for n, m in variants}
        for run in range(args.cold_runs):
            for (name, mode), subject in variants.items():
                result, started, _ = run_child(subject, "invoke", out, warm=0)
                result["started"] = started
                cold[f"{name}/{mode}"].append(result)
            log(f"  run {run + 1}/{args.cold_runs} done")
        raw["cold"] = cold

        log("import times (-X importtime), compiled bytecode")
        raw["importtime"] = {}
        for name in ("real", "baseline"):
            _, _, stderr = run_child(variants[name, "compiled"], "cold", out, importtime=True)
            raw["importtime"][name] = report.parse_importtime(stderr)

        raw["invocations"] = {}
        for name in SUBJECTS:
            warm = args.warm if name != "real-alt" else min(args.warm, 300)
            log(f"{name}: cold start, first invocation and {warm} warm invocations")
            refresh(sandbox)
            requests_before = len(sandbox.emulator.requests_log)
            datagrams_before = xray.datagrams
            result, _, _ = run_child(variants[name, "compiled"], "invoke", out, warm=warm)
            result["emulator_requests"] = len(sandbox.emulator.requests_log) - requests_before
            result["xray_datagrams"] = xray.datagrams - datagrams_before
            raw["invocations"][name] = result
            if result["error_count"]:
                log(f"  {result['error_count']} invocation(s) failed: {result['errors']}")

        raw["profile"] = {}
        for name in ("real", "baseline"):
            log(f"{name}: cProfile of the cold start and of {args.profile} warm invocations")
            refresh(sandbox)
            result, _, _ = run_child(variants[name, "compiled"], "profile", out, warm=args.profile)
            raw["profile"][name] = result
    return raw


def write_results(raw: dict[str, Any], path: Path, *, docs: bool) -> None:
    """Summarise, print, write ``path`` (and before.json the first time) and the docs."""
    summary = summarise(raw)
    result = {"summary": summary, "raw": raw}
    path.write_text(json.dumps(result, indent=1) + "\n")
    before = RESULTS / "before.json"
    if not before.exists() and path.name != "quick.tmp":
        # The first run is the "before" of docs/performance.md's Before and after.
        before.write_text(json.dumps(result, indent=1) + "\n")
    print(terminal_report(summary))
    wrote = [str(path.relative_to(ROOT))]
    if docs:
        existing = DOCS.read_text() if DOCS.exists() else None
        saved = json.loads(before.read_text())
        # Summarised again, so that both columns are computed the same way.
        before_summary = summarise(saved["raw"]) if "raw" in saved else saved["summary"]
        document = render_markdown(summary, before_summary)
        DOCS.parent.mkdir(exist_ok=True)
        DOCS.write_text(report.keep_before_and_after(existing, document))
        wrote.append(str(DOCS.relative_to(ROOT)))
    print("\nwrote " + " and ".join(wrote))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render_only:
        latest = RESULTS / "latest.json"
        write_results(json.loads(latest.read_text())["raw"], latest, docs=not args.no_docs)
        return 0
    log = Log()
    try:
        import awscrt  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        awscrt_absent = True
    else:
        awscrt_absent = False
        log("WARNING: awscrt is importable; Lambda's runtime has no awscrt (boto3 imports it)")
    workers = [int(value) for value in args.workers.split(",")]
    raw: dict[str, Any] = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "config": {
            "cold_runs": args.cold_runs,
            "warm_invocations": args.warm,
            "profiled_invocations": args.profile,
            "bulk_events": args.events,
            "bulk_workers": workers,
            "memory_mb": TEMPLATE_MEMORY_MB,
            "tracer_default": tracer_default(),
            "code": code_version(),
            "events_per_cold_start": report.EVENTS_PER_COLD_START,
            "awscrt_absent": awscrt_absent,
            "full_bulk_events": DEFAULT_EVENTS,
        },
    }
    with tempfile.TemporaryDirectory(prefix="bwp-bench-") as tmp:
        raw.update(measure_in_sandbox(args, log, Path(tmp)))
    raw["bulk"] = []
    if not args.skip_bulk:
        for moto in ("thread", "process"):
            raw["bulk"] += bulk_replay(moto, args.events, workers, log)
        raw["bulk"] += bulk_replay("process", args.events, [1], log, fanout=True)
    if not args.skip_package:
        log("package sizes (uv pip install --target for python3.13 arm64)")
        raw["package"] = package_sizes()
    raw["machine"]["load_average_end"] = list(os.getloadavg())
    raw["machine"]["bench_seconds"] = round(time.monotonic() - log._started, 1)

    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "before.json" if args.as_before else "quick.tmp" if args.quick else "latest.json"
    write_results(raw, RESULTS / name, docs=not (args.no_docs or args.quick or args.as_before))
    return 0


if __name__ == "__main__":
    sys.exit(main())
