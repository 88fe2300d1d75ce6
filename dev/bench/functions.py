"""The functions the benchmark measures, where their code and baselines are, and the
environment Lambda gives each (the template's variables with parameter defaults, Lambda's own)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bwp_sandbox.stack import load_template

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = Path(__file__).resolve().parent
#: Where the code under test comes from: this checkout, or BENCH_CODE (for instance an
#: older commit unpacked with `git archive`, to measure a "before"; see dev/bench/__init__.py).
CODE = Path(os.environ.get("BENCH_CODE") or ROOT).resolve()
FUNCTION_DIR = CODE / "functions" / "recorder"
TEMPLATE = CODE / "template.yaml"
BASELINE_DIR = BENCH_DIR / "baseline"
CHILD = BENCH_DIR / "child.py"
EVENT = ROOT / "events" / "deletion-task-failed.json"


@dataclass(frozen=True)
class Lambda:
    """A function of the template as the benchmark measures it, beside its bare baseline
    (dev/bench/baseline/<directory>/app.py: the same AWS and HTTP calls, nothing else)."""

    name: str
    logical_id: str
    #: functions/<directory>, and the baseline's directory under dev/bench/baseline.
    directory: str
    #: What its inputs are (bench/child.py).
    scenario: str
    #: Most warm invocations (the recorder's follow --warm: it is the one checked for memory).
    max_warm: int | None = None
    label: str = ""

    @property
    def baseline_dir(self) -> Path:
        return BASELINE_DIR / self.directory


LAMBDAS = (
    Lambda(
        "recorder",
        "RecorderFunction",
        "recorder",
        "recorder",
        label="recorder (a FAILED event)",
    ),
    Lambda(
        "router",
        "AlertRouterFunction",
        "alert_router",
        "router",
        max_warm=200,
        label="alert router (a published failure, five receivers)",
    ),
    Lambda(
        "reaction",
        "ReactionFunction",
        "reaction",
        "reaction",
        max_warm=200,
        label="reaction (a published failure opening a case; the COMPLETED event ending it)",
    ),
    Lambda(
        "watch",
        "DeadlineWatchFunction",
        "deadline_watch",
        "watch",
        max_warm=100,
        label="deadline watch (one scheduled run over the open cases)",
    ),
)
#: Open cases in the table when the deadline watch runs (each is read at every run).
WATCH_OPEN_CASES = 20


def _resolve(value: Any, parameters: dict[str, Any], conditions: dict[str, Any]) -> Any:
    """A template value with parameter defaults: plain values, Ref to a parameter, If,
    Equals, Not, And, Or. None for anything else (references to resources)."""
    if isinstance(value, str | int | float | bool):
        return value
    if not isinstance(value, dict) or len(value) != 1:
        return None
    ((function, argument),) = value.items()
    function = function.removeprefix("Fn::")
    if function == "Ref":
        return parameters.get(argument, {}).get("Default")
    if function == "Condition":
        return _resolve(conditions.get(argument), parameters, conditions)
    if function == "If":
        name, when_true, when_false = argument
        chosen = _resolve(conditions.get(name), parameters, conditions)
        return _resolve(when_true if chosen else when_false, parameters, conditions)
    resolved = [_resolve(item, parameters, conditions) for item in argument]
    if function == "Equals":
        return str(resolved[0]) == str(resolved[1])
    if function == "Not":
        return not resolved[0]
    if function == "And":
        return all(resolved)
    if function == "Or":
        return any(resolved)
    return None


def template_function(logical_id: str = "RecorderFunction") -> tuple[int, dict[str, str]]:
    """A function's MemorySize and environment in template.yaml (Globals included), with
    parameter defaults; references to resources are left to the sandbox."""
    template = load_template(TEMPLATE)
    globals_ = template.get("Globals", {}).get("Function", {})
    function = template["Resources"][logical_id]["Properties"]
    parameters = template.get("Parameters", {})
    conditions = template.get("Conditions", {})
    memory = int(function.get("MemorySize", globals_.get("MemorySize", 128)))
    env: dict[str, str] = {}
    for source in (globals_, function):
        for name, value in source.get("Environment", {}).get("Variables", {}).items():
            resolved = _resolve(value, parameters, conditions)
            if resolved is not None:
                env[name] = str(resolved).lower() if isinstance(resolved, bool) else str(resolved)
    return memory, env


TEMPLATE_FUNCTIONS = {item.logical_id: template_function(item.logical_id) for item in LAMBDAS}


def lambda_env(
    function_env: Mapping[str, str],
    task_root: Path,
    xray_address: str,
    *,
    logical_id: str = "RecorderFunction",
) -> dict[str, str]:
    """The environment Lambda gives a function, pointed at the sandbox.

    The template's variables (Globals and the function; parameter defaults), the sandbox's
    endpoints, tables and credentials, and Lambda's own variables, as with Tracing Active.
    With LAMBDA_TASK_ROOT set, Powertools' Tracer enables itself (and patches botocore and
    requests) unless POWERTOOLS_TRACE_DISABLED says otherwise: it is the template's. The
    X-Ray daemon address points at an
    XRaySink, so segments are built and sent over UDP as in Lambda, where a daemon receives
    them. Nothing else of the parent's environment is passed on.
    """
    memory, template_env = TEMPLATE_FUNCTIONS[logical_id]
    host, port = xray_address.split(":")
    env = {key: value for key, value in function_env.items() if key != "POWERTOOLS_TRACE_DISABLED"}
    env.update((key, value) for key, value in template_env.items() if key not in env)
    if "POWERTOOLS_TRACE_DISABLED" in template_env:
        env["POWERTOOLS_TRACE_DISABLED"] = template_env["POWERTOOLS_TRACE_DISABLED"]
    env.update(
        {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": str(task_root),
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
            "_HANDLER": "app.handler",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            "AWS_LAMBDA_FUNCTION_NAME": f"bwp-privacy-{logical_id}",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/bwp-privacy-{logical_id}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]bench",
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "AWS_XRAY_DAEMON_ADDRESS": xray_address,
            "_AWS_XRAY_DAEMON_ADDRESS": host,
            "_AWS_XRAY_DAEMON_PORT": port,
        }
    )
    return env
