"""The local sandbox as a target: its state file (written by the sandbox process), whether it
still answers, and running the function here the way Lambda would."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
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
DEFAULT_SANDBOX_FILE = Path.home() / ".cache" / "bwp-privacy" / "sandbox.json"
#: What a sandbox needs beyond the CLI: a checkout (the sandbox is not in the wheel), with the
#: development dependencies.
SANDBOX_MODULES = ("bwp_sandbox", "moto", "graphql", "yaml")
SANDBOX_HINT = (
    "the sandbox runs from a checkout of bwp-privacy: run `uv sync` (or `make setup`) there"
    " and use its bwp-privacy; or use a deployed stack with --env deployed or --stack-name NAME"
)


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

    def banner(self) -> str:
        aws = self.aws_env.get("AWS_ENDPOINT_URL", "local")
        return f"Target: the local sandbox (AWS at {aws}, API emulator at {self.emulator_url})"

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
    return Path(os.environ.get("BWP_SANDBOX_FILE", str(DEFAULT_SANDBOX_FILE)))


def recorded_sandbox(path: Path | None = None) -> tuple[SandboxTarget | None, bool]:
    """The sandbox the state file names, and whether it still answers."""
    path = path or sandbox_file()
    try:
        target = SandboxTarget(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None, False
    return target, sandbox_alive(target)


def sandbox_alive(target: SandboxTarget) -> bool:
    """Whether the sandbox's emulator answers its health check (a busy machine may take a
    while: a sandbox whose process still runs gets a few seconds)."""
    attempts = 5 if target.pid is not None and process_exists(target.pid) else 1
    for _ in range(attempts):
        try:
            requests.get(f"{target.emulator_url}/_control/health", timeout=2).raise_for_status()
        except requests.RequestException:
            continue
        return True
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
