"""Every function and its baseline in fresh child processes against one sandbox: cold
starts, import cost (``-X importtime``) and warm invocations, in one run."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.functions import CODE, LAMBDAS, ROOT, WATCH_OPEN_CASES, Lambda, lambda_env
from bench.harness import Subject, XRaySink, bench_sandbox, function_env, refresh, run_child
from bench.importtime import parse_importtime
from bench.inputs import open_cases, published_failure, scenario_inputs
from bench.runtime import Runtime, build_runtime

#: Invocations of the recorder that send an event it has handled already (a redelivery).
DUPLICATES = 50
#: The recorder's baseline making the recorder's three AWS calls (claim, publish, mark)
#: instead of its two: measured warm only, to compare like with like.
CLAIM = {"BASELINE_CLAIM": "true"}
WARM_ONLY = ("recorder/baseline-claim",)
#: The bytecode shipped (the layer's and the functions', the runtime's own), nothing written:
#: Lambda's /opt and /var/task are read-only.
COMPILED = {"PYTHONDONTWRITEBYTECODE": "1"}


def subjects(
    environments: dict[str, dict[str, str]], xray: str, runtime: Runtime, inputs: dict[str, Path]
) -> dict[str, Subject]:
    """For each function: the real handler as the template configures it (on the layer, in
    its task root) and its baseline; for the recorder also the baseline making the same
    calls. Keys: ``function/subject``."""
    found: dict[str, Subject] = {}
    for item in LAMBDAS:
        env = environments[item.logical_id]
        root, base = runtime.task_roots[item.name], runtime.baselines[item.name]
        common = {"python": runtime.python, "inputs": inputs[item.name]}
        real_env = lambda_env(env, root, xray, logical_id=item.logical_id)
        base_env = lambda_env(env, base, xray, logical_id=item.logical_id)
        base_paths = (base, runtime.baseline_deps)
        found[f"{item.name}/real"] = Subject(
            f"{item.name}/real", (root, runtime.layer), {**real_env, **COMPILED}, True, **common
        )
        found[f"{item.name}/baseline"] = Subject(
            f"{item.name}/baseline", base_paths, {**base_env, **COMPILED}, True, **common
        )
        if item.name == "recorder":
            found["recorder/baseline-claim"] = Subject(
                "recorder/baseline-claim",
                base_paths,
                {**base_env, **COMPILED, **CLAIM},
                True,
                **common,
            )
    return found


def warm_count(item: Lambda, subject: str, warm: int) -> int:
    count = warm if item.max_warm is None else min(warm, item.max_warm)
    return min(count, 300) if subject == "baseline-claim" else count


def measure(
    tmp: Path, log: Callable[[str], None], *, cold_runs: int, warm: int, cold_only: bool
) -> dict[str, Any]:
    """Cold starts of every handler (``cold_runs`` fresh processes each, interleaved), then
    unless ``cold_only`` their import cost and their warm invocations (``warm`` for the
    recorder, capped for the others). The sandbox's moto runs in a thread of this process,
    idle while a child runs; the stack is deployed afresh before each warm run."""
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
        log("a published failure: the recorder once, in this process")
        record = published_failure(sandbox)
        inputs: dict[str, Path] = {}
        for item in LAMBDAS:
            inputs[item.name] = tmp / f"inputs-{item.name}.json"
            inputs[item.name].write_text(json.dumps(scenario_inputs(item, record)))
        environments = {item.logical_id: function_env(sandbox, item.logical_id) for item in LAMBDAS}
        every = subjects(environments, xray.address, runtime, inputs)
        timed = {name: subject for name, subject in every.items() if name not in WARM_ONLY}

        log("one untimed start per handler (the file cache, warm)")
        for subject in timed.values():
            run_child(subject, "cold", out)
        log(f"cold starts: {cold_runs} fresh processes per handler")
        cold: dict[str, list[dict[str, Any]]] = {name: [] for name in timed}
        for run in range(cold_runs):
            for name, subject in timed.items():
                result, started, _ = run_child(subject, "invoke", out)
                result["started"] = started
                cold[name].append(result)
            log(f"  run {run + 1}/{cold_runs} done")
        raw["cold"] = cold
        if cold_only:
            return raw

        log("import times (-X importtime)")
        raw["importtime"] = {
            name: parse_importtime(run_child(subject, "cold", out, importtime=True)[2])
            for name, subject in timed.items()
        }
        raw["invocations"] = {}
        for item in LAMBDAS:
            for name, subject in every.items():
                if not name.startswith(f"{item.name}/"):
                    continue
                count = warm_count(item, name.split("/")[1], warm)
                log(f"{name}: cold start, first invocation and {count} warm invocations")
                refresh(sandbox)
                if item.scenario == "watch":
                    open_cases(sandbox, record, WATCH_OPEN_CASES)
                result, _, _ = run_child(
                    subject,
                    "invoke",
                    out,
                    warm=count,
                    # The baseline has no notion of a duplicate: it would do it all again.
                    duplicates=DUPLICATES if name == "recorder/real" else 0,
                )
                raw["invocations"][name] = result
                if result["error_count"]:
                    log(f"  {result['error_count']} invocation(s) failed: {result['errors']}")
    return raw
