"""`make bench`: cold start and per-event cost of every function against a bare baseline of
the same calls, bulk replay, memory, package size and cost, side by side in one run.

    uv run python -m bench.run [--events N] [--warm N] [--cold-runs N] [--quick]

Writes dev/bench/results/latest.json and docs/performance.md and prints the tables.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench import report
from bench.bulk import bulk_replay
from bench.docs import render_markdown
from bench.harness import (
    BENCH_DIR,
    CODE,
    LAMBDAS,
    ROOT,
    TEMPLATE_MEMORY_MB,
    WATCH_OPEN_CASES,
    Lambda,
    Subject,
    XRaySink,
    bench_sandbox,
    function_env,
    lambda_env,
    open_cases,
    published_failure,
    refresh,
    run_child,
    scenario_inputs,
    tracer_default,
)
from bench.package import package_sizes
from bench.runtime import Runtime, build_runtime, keep_stdlib_bytecode
from bench.summary import summarise, terminal_report

RESULTS = BENCH_DIR / "results"
DOCS = ROOT / "docs" / "performance.md"
BYTECODE = ("compiled", "source")
#: Invocations of the recorder that send an event it has handled already (a redelivery).
DUPLICATES = 50
#: `make bench` should stay near 15 minutes on 2 cores: at the ~10-50 events/s the sandbox
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
    parser.add_argument("--workers", default="1,2", help="bulk replay worker counts")
    parser.add_argument("--warm", type=int, default=1000, help="warm invocations (memory check)")
    parser.add_argument("--cold-runs", type=int, default=7, help="fresh processes per variant")
    parser.add_argument("--profile", type=int, default=60, help="invocations profiled")
    parser.add_argument("--skip-bulk", action="store_true")
    parser.add_argument(
        "--cold-only",
        action="store_true",
        help="only the cold starts: print each function's ratios to its baseline, write nothing",
    )
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


def subjects(
    environments: dict[str, dict[str, str]], xray: str, runtime: Runtime, inputs: dict[str, Path]
) -> dict[str, Subject]:
    """For each function: the real handler as the template configures it (on the layer, in
    its task root), the baseline, and for the recorder the real handler once more with the
    Powertools Tracer switched the other way. Keys: ``function/subject``."""
    found: dict[str, Subject] = {}
    for item in LAMBDAS:
        env = environments[item.logical_id]
        root, base = runtime.task_roots[item.name], runtime.baselines[item.name]
        real_paths = (root, runtime.layer)
        common = {"python": runtime.python, "inputs": inputs[item.name]}
        found[f"{item.name}/real"] = Subject(
            f"{item.name}/real",
            real_paths,
            lambda_env(env, root, xray, logical_id=item.logical_id),
            True,
            **common,
        )
        if item.name == "recorder":
            found["recorder/real-alt"] = Subject(
                "recorder/real-alt",
                real_paths,
                lambda_env(
                    env, root, xray, logical_id=item.logical_id, tracer=not tracer_default()
                ),
                True,
                **common,
            )
        found[f"{item.name}/baseline"] = Subject(
            f"{item.name}/baseline",
            (base, runtime.baseline_deps),
            lambda_env(env, base, xray, logical_id=item.logical_id),
            True,
            **common,
        )
        if item.name == "recorder":
            # The same baseline making the recorder's three AWS calls (warm figures only).
            found["recorder/baseline-claim"] = Subject(
                "recorder/baseline-claim",
                (base, runtime.baseline_deps),
                {**lambda_env(env, base, xray, logical_id=item.logical_id), **CLAIM},
                True,
                **common,
            )
    return found


#: The recorder's baseline with the three AWS calls of the recorder (claim, publish, mark).
CLAIM = {"BASELINE_CLAIM": "true"}
WARM_ONLY = ("recorder/baseline-claim",)


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
    return replace(subject, env={**subject.env, **env})


def bytecode_envs(tmp: Path) -> dict[str, dict[str, str]]:
    """Child environments for the two bytecode situations.

    compiled: the bytecode shipped (the layer's and the functions', as `make sam-build` makes
    them, the runtime's own), nothing written (Lambda's /opt and /var/task are read-only).
    source: a PYTHONPYCACHEPREFIX cache holding the standard library alone, so that every
    other module is compiled from source at every start (what a package without bytecode
    costs: sam build's python_pip builder leaves .pyc files out).
    """
    return {
        "compiled": {"PYTHONDONTWRITEBYTECODE": "1"},
        "source": {"PYTHONPYCACHEPREFIX": str(tmp / "pyc-source"), "PYTHONDONTWRITEBYTECODE": "1"},
    }


def warm_count(item: Lambda, subject: str, args: argparse.Namespace) -> int:
    warm: int = args.warm if item.max_warm is None else min(args.warm, item.max_warm)
    return min(warm, 300) if subject in ("real-alt", "baseline-claim") else warm


def measure_in_sandbox(args: argparse.Namespace, log: Log, tmp: Path) -> dict[str, Any]:
    """Everything that runs in fresh child processes against one sandbox (moto in a thread
    of this process, idle while the child runs; no queue subscribed to the topic, and a
    fresh stack before each long run: see harness.stop_fanout)."""
    raw: dict[str, Any] = {}
    out = tmp / "child.json"
    runtime = build_runtime(
        tmp / "lambda",
        code=CODE,
        root=ROOT,
        functions={item.name: item.directory for item in LAMBDAS},
        baselines={item.name: item.baseline_dir for item in LAMBDAS},
        log=log,
    )
    raw["runtime"] = {
        "python": runtime.version,
        "functions_compiled": runtime.functions_compiled,
        "missing_bytecode": list(runtime.missing_bytecode),
        "modules": runtime.modules,
    }
    with XRaySink() as xray, bench_sandbox("thread") as sandbox:
        log("a published failure: the recorder once, in this process, with the fan-out on")
        record = published_failure(sandbox)
        inputs: dict[str, Path] = {}
        for item in LAMBDAS:
            inputs[item.name] = tmp / f"inputs-{item.name}.json"
            inputs[item.name].write_text(json.dumps(scenario_inputs(item, record)))
        environments = {item.logical_id: function_env(sandbox, item.logical_id) for item in LAMBDAS}
        plain = subjects(environments, xray.address, runtime, inputs)
        envs = bytecode_envs(tmp)
        variants = {
            (name, mode): with_bytecode(subject, envs[mode])
            for name, subject in plain.items()
            for mode in BYTECODE
            if name not in WARM_ONLY or mode == "compiled"
        }
        log("filling the standard library's bytecode cache (one untimed start per handler)")
        everything = {"PYTHONPYCACHEPREFIX": str(tmp / "pyc-all")}
        for name, subject in plain.items():
            if name in WARM_ONLY:
                continue
            run_child(with_bytecode(subject, everything), "invoke", out)
            run_child(variants[name, "compiled"], "invoke", out)  # the file cache, warm
        keep_stdlib_bytecode(runtime, tmp / "pyc-all", tmp / "pyc-source")

        log(f"cold starts: {args.cold_runs} fresh processes per handler and bytecode situation")
        cold: dict[str, list[dict[str, Any]]] = {f"{n}/{m}": [] for n, m in variants}
        for run in range(args.cold_runs):
            for (name, mode), subject in variants.items():
                if name in WARM_ONLY or (args.cold_only and name.endswith("real-alt")):
                    continue
                result, started, _ = run_child(subject, "invoke", out, warm=0)
                result["started"] = started
                cold[f"{name}/{mode}"].append(result)
            log(f"  run {run + 1}/{args.cold_runs} done")
        raw["cold"] = {key: runs for key, runs in cold.items() if runs}
        if args.cold_only:
            return raw

        log("import times (-X importtime), compiled bytecode")
        raw["importtime"] = {}
        for name in plain:
            if not name.endswith("real-alt") and name not in WARM_ONLY:
                _, _, stderr = run_child(variants[name, "compiled"], "cold", out, importtime=True)
                raw["importtime"][name] = report.parse_importtime(stderr)

        raw["invocations"] = {}
        for item in LAMBDAS:
            for name in plain:
                if not name.startswith(f"{item.name}/"):
                    continue
                warm = warm_count(item, name.split("/")[1], args)
                log(f"{name}: cold start, first invocation and {warm} warm invocations")
                refresh(sandbox)
                if item.scenario == "watch":
                    open_cases(sandbox, record, WATCH_OPEN_CASES)
                requests_before = len(sandbox.emulator.requests_log)
                datagrams_before = xray.datagrams
                result, _, _ = run_child(
                    variants[name, "compiled"],
                    "invoke",
                    out,
                    warm=warm,
                    # The baseline has no notion of a duplicate: it would do it all again.
                    duplicates=DUPLICATES
                    if item.name == "recorder" and "/baseline" not in name
                    else 0,
                )
                result["emulator_requests"] = len(sandbox.emulator.requests_log) - requests_before
                result["xray_datagrams"] = xray.datagrams - datagrams_before
                raw["invocations"][name] = result
                if result["error_count"]:
                    log(f"  {result['error_count']} invocation(s) failed: {result['errors']}")

        raw["profile"] = {}
        for name in ("recorder/real", "recorder/baseline"):
            log(f"{name}: cProfile of the cold start and of {args.profile} warm invocations")
            refresh(sandbox)
            result, _, _ = run_child(variants[name, "compiled"], "profile", out, warm=args.profile)
            raw["profile"][name] = result
    return raw


def cold_ratios(raw: dict[str, Any]) -> str:
    """Start to ready, median, of each function against its baseline (for --cold-only)."""

    def median(key: str) -> float:
        runs = raw["cold"][key]
        return float(statistics.median(r["ready"] - r["started"] for r in runs) * 1000)

    lines = []
    for item in LAMBDAS:
        for mode in BYTECODE:
            real = median(f"{item.name}/real/{mode}")
            base = median(f"{item.name}/baseline/{mode}")
            lines.append(
                f"{item.name:9} {mode:8} real {real:6.0f} ms  baseline {base:6.0f} ms  "
                f"{real / base:.2f}x"
            )
    return "\n".join(lines)


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
            "full_bulk_events": DEFAULT_EVENTS,
            "lambdas": {item.name: item.label for item in LAMBDAS},
            "duplicates": DUPLICATES,
            "watch_open_cases": WATCH_OPEN_CASES,
        },
    }
    with tempfile.TemporaryDirectory(prefix="bwp-bench-") as tmp:
        raw.update(measure_in_sandbox(args, log, Path(tmp)))
    if args.cold_only:
        print(cold_ratios(raw))
        return 0
    raw["bulk"] = []
    if not args.skip_bulk:
        # The target reads moto in its own process; with moto in a thread (as `bwp-privacy`
        # runs it) one and two workers, for comparison.
        raw["bulk"] += bulk_replay("thread", args.events, [w for w in workers if w <= 2], log)
        raw["bulk"] += bulk_replay("process", args.events, workers, log)
        raw["bulk"] += bulk_replay("process", args.events, [1], log, fanout=True)
    if not args.skip_package:
        log("package sizes (uv pip install --target for python3.13 arm64)")
        try:
            raw["package"] = package_sizes()
        except (OSError, subprocess.SubprocessError, RuntimeError) as error:
            log(f"  package sizes left out: {type(error).__name__}: {error}")
    raw["machine"]["load_average_end"] = list(os.getloadavg())
    raw["machine"]["bench_seconds"] = round(time.monotonic() - log._started, 1)

    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "before.json" if args.as_before else "quick.tmp" if args.quick else "latest.json"
    write_results(raw, RESULTS / name, docs=not (args.no_docs or args.quick or args.as_before))
    return 0


if __name__ == "__main__":
    sys.exit(main())
