"""The local sandbox as a target: its state file (written by the sandbox process), whether it
still answers, and running the function here the way Lambda would."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import io
import json
import os
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from bwp_privacy_cli.local import LocalFunction, LocalLambdaContext, on_failure_record
from bwp_privacy_cli.targets.base import (
    FUNCTION_TIMEOUT_SECONDS,
    ROUTER,
    ROUTER_HANDLER,
    Target,
    TargetError,
)

if TYPE_CHECKING:
    from bwp_privacy_cli.event_runner import ReplayResult

# In the user's own cache folder, not a shared /tmp path another user could plant.
SANDBOX_STATE_DIR = Path.home() / ".cache" / "bwp-privacy"
#: The state file of an installation without a checkout (no sandbox of its own to find).
DEFAULT_SANDBOX_FILE = SANDBOX_STATE_DIR / "sandbox.json"
#: What a sandbox needs beyond the CLI: a checkout (the sandbox is not in the wheel), with the
#: development dependencies.
SANDBOX_MODULES = ("bwp_sandbox", "moto", "graphql", "yaml")
SANDBOX_HINT = (
    "the sandbox runs from a checkout of bwp-privacy: run `uv sync` (or `make setup`) there"
    " and use its bwp-privacy; or use a deployed stack with --env deployed or --stack-name NAME"
)


@functools.cache
def this_checkout() -> Path | None:
    """The checkout this installation runs a sandbox from: the folder holding the sandbox's
    code (``dev/bwp_sandbox``) where this Python finds it, which an editable install (`uv
    sync`) points at its own clone. None without one (a plain install has no sandbox)."""
    spec = importlib.util.find_spec("bwp_sandbox")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).resolve().parents[2]


@dataclass(frozen=True)
class SandboxTarget(Target):
    """A sandbox process: moto, the API emulator and the receiver sink on this machine."""

    #: RecorderFunction's role credentials: the sandbox's AWS holds each call to that role.
    credentials: dict[str, str] = field(default_factory=dict)
    #: ReactionFunction's, for a redrive of its parked inputs.
    reaction_credentials: dict[str, str] = field(default_factory=dict)
    #: AlertRouterFunction's, for a test alert.
    router_credentials: dict[str, str] = field(default_factory=dict)
    emulator_url: str | None = None
    #: No Lambda in the sandbox: the rule delivers to this queue, and the CLI runs what is on it.
    rule_target_queue_url: str | None = None
    #: The process that serves it (`bwp-privacy sandbox stop` ends it).
    pid: int | None = None
    #: The checkout whose code the sandbox runs (its template, its emulator), as a path. The
    #: process that builds the target is that checkout's; a state file written before this
    #: was recorded reads as None (unknown).
    checkout: str | None = field(default_factory=lambda: _path_text(this_checkout()))

    def banner(self) -> str:
        aws = self.aws_env.get("AWS_ENDPOINT_URL", "local")
        return (
            f"Target: the local sandbox{self.of_checkout()} (AWS at {aws},"
            f" API emulator at {self.emulator_url})"
        )

    def of_checkout(self) -> str:
        """Which checkout's sandbox it is, for a sentence: " of the checkout PATH", or
        nothing when unknown."""
        return f" of the checkout {shown_path(self.checkout)}" if self.checkout else ""

    def serves_another_checkout(self) -> bool:
        """Whether this sandbox runs another checkout's code than this installation's: its
        stack is that checkout's template, and what it stores belongs to that work."""
        mine = this_checkout()
        return self.checkout is not None and mine is not None and Path(self.checkout) != mine

    def function_credentials(self) -> dict[str, str]:
        return dict(self.credentials)

    def reaction_function_credentials(self) -> dict[str, str]:
        return dict(self.reaction_credentials)

    def invoke_router(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Run AlertRouterFunction here with its role, as a synchronous invocation."""
        if not self.router_env:
            raise TargetError(f"{self.label} has no AlertRouterFunction: no receiver is deployed")
        router = LocalFunction(
            logical_id=ROUTER,
            handler_path=ROUTER_HANDLER,
            environment={**self.aws_env, **self.router_env, **self.router_credentials},
            timeout_seconds=FUNCTION_TIMEOUT_SECONDS,
        )
        with contextlib.redirect_stdout(io.StringIO()):  # the function's logs
            answer: dict[str, Any] = router.cold_start().handler(
                payload, LocalLambdaContext(function_name=ROUTER)
            )
        return answer

    def redrive_event(
        self, event: dict[str, Any], origin: str, *, verbose: bool
    ) -> tuple[bool, str]:
        """The sandbox has no Lambda: the function runs here, the way Lambda would run it."""
        result = self._runner(verbose).run_event(origin, event)
        return result.ok, f"{result.outcome}: {result.detail}"

    def replayed_events(self, *, verbose: bool) -> list[ReplayResult] | None:
        """Run what the rule delivered through the function; park failures as Lambda would."""
        if not self.rule_target_queue_url:
            return []
        import boto3

        runner = self._runner(verbose)
        sqs = boto3.client("sqs")
        account = self.partner_bus_arn.split(":")[4] if self.partner_bus_arn else ""
        results = []
        while messages := sqs.receive_message(
            QueueUrl=self.rule_target_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", []):
            for message in messages:
                event = json.loads(message["Body"])
                # moto drops `account` from what a rule delivers; AWS always sets it.
                event.setdefault("account", account)
                result = runner.run_event(message["MessageId"], event)
                if not result.ok:
                    record = on_failure_record(event, RuntimeError(result.detail), attempts=3)
                    # Lambda sends the OnFailure record with the function's role.
                    self.function_client("sqs").send_message(
                        QueueUrl=self.queues["on-failure"], MessageBody=json.dumps(record)
                    )
                sqs.delete_message(
                    QueueUrl=self.rule_target_queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
                results.append(result)
        return results

    def _runner(self, verbose: bool) -> Any:
        from bwp_privacy_cli.event_runner import EventRunner

        return EventRunner(self.recorder(), log_stream=sys.stderr if verbose else io.StringIO())

    def write(self, path: Path) -> None:
        """Let later commands find this sandbox (the sandbox process calls it)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(asdict(self), indent=2))
        partial.replace(path)  # atomic: a command never reads half a file


def sandbox_file() -> Path:
    """Where this checkout's sandbox records itself: BWP_SANDBOX_FILE, else a file of this
    checkout's own in the cache folder. Two clones each have their own sandbox (a command in
    one never finds the other's), and the file's name says whose it is."""
    given = os.environ.get("BWP_SANDBOX_FILE")
    if given:
        return Path(given)
    checkout = this_checkout()
    if checkout is None:
        return DEFAULT_SANDBOX_FILE
    # The folder's name to be read by a person, a digest of the whole path to be unique.
    name = re.sub(r"[^A-Za-z0-9._-]", "-", checkout.name)[:40] or "checkout"
    digest = hashlib.sha256(str(checkout).encode()).hexdigest()[:12]
    return SANDBOX_STATE_DIR / f"sandbox-{name}-{digest}.json"


def recorded_sandbox(path: Path | None = None) -> tuple[SandboxTarget | None, bool]:
    """The sandbox the state file names, and whether it still answers."""
    target = read_sandbox_state(path or sandbox_file())
    return target, target is not None and sandbox_alive(target)


def read_sandbox_state(path: Path) -> SandboxTarget | None:
    """The sandbox the state file names (None: no file, or not one), without asking it."""
    try:
        # A file that does not say which checkout it serves was written before that was
        # recorded: unknown, not this process's own checkout (the field's default).
        return SandboxTarget(**{"checkout": None, **json.loads(path.read_text())})
    except (OSError, ValueError, TypeError):
        return None


def other_sandboxes(path: Path | None = None) -> list[tuple[Path, SandboxTarget]]:
    """The sandboxes of other checkouts running beside this one's (their state files in the
    same folder): what to name when this checkout has none, or a port is already taken."""
    path = path or sandbox_file()
    found = []
    for other in sorted(path.parent.glob("sandbox*.json")):
        if other == path:
            continue
        target, alive = recorded_sandbox(other)
        if target is not None and alive:
            found.append((other, target))
    return found


def another_checkouts_sandbox_message(target: SandboxTarget, path: Path) -> str:
    """Why a command here does not use ``target``, and the ways on (one line)."""
    # Only a state file named on purpose is shared: each checkout's default is its own.
    shared = (
        "; or unset BWP_SANDBOX_FILE, so that each checkout has a state file of its own"
        if os.environ.get("BWP_SANDBOX_FILE")
        else ""
    )
    return (
        f"the sandbox recorded in {shown_path(str(path))} (pid {target.pid}) serves the checkout"
        f" {shown_path(target.checkout)}, not this one ({shown_path(_path_text(this_checkout()))}):"
        " use that checkout's bwp-privacy; or stop it with `bwp-privacy sandbox stop` (what it"
        f" holds is lost), and a command here starts this checkout's own{shared}"
    )


def shown_path(path: str | None) -> str:
    """A path as a person reads it: under their home folder as ~/..."""
    if path is None:
        return "(unknown)"
    home = str(Path.home())
    if path == home or path.startswith(home.rstrip("/") + "/"):
        return "~" + path[len(home.rstrip("/")) :]
    return path


def _path_text(path: Path | None) -> str | None:
    return None if path is None else str(path)


def sandbox_alive(target: SandboxTarget) -> bool:
    """Whether the sandbox's emulator answers its health check (a busy machine may take a
    while: a sandbox whose process still runs gets a few seconds), and is this sandbox's: the
    port of one that stopped may since serve another sandbox, which answers with its own pid."""
    attempts = 5 if target.pid is not None and process_exists(target.pid) else 1
    for _ in range(attempts):
        try:
            answer = requests.get(f"{target.emulator_url}/_control/health", timeout=2)
            answer.raise_for_status()
            health = answer.json()
        except (requests.RequestException, ValueError):
            continue
        answered_by = health.get("pid") if isinstance(health, dict) else None
        return target.pid is None or answered_by is None or answered_by == target.pid
    return False


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sandbox_available() -> bool:
    """Whether this installation can run a sandbox (a checkout, with its dependencies)."""
    return all(importlib.util.find_spec(module) is not None for module in SANDBOX_MODULES)
