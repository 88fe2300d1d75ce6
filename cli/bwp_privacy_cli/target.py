"""Where a command runs: the sandbox (a running one, or one started in the background for it)
or a deployed stack, whose settings are read from CloudFormation and the function itself."""

from __future__ import annotations

import importlib.util
import json
import os
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from bwp_privacy.recorder import RecorderSettings
from bwp_privacy_cli.json_output import TargetOut
from bwp_sandbox.environ import patched_environ

if TYPE_CHECKING:
    from bwp_sandbox.sandbox import Sandbox

# In the user's own cache folder, not a shared /tmp path another user could plant.
DEFAULT_SANDBOX_FILE = Path.home() / ".cache" / "bwp-privacy" / "sandbox.json"
SAMCONFIG = Path("samconfig.toml")
#: What a sandbox needs beyond the CLI's own dependencies (the `sandbox` extra).
SANDBOX_MODULES = ("moto", "graphql", "yaml")
SANDBOX_HINT = (
    "the sandbox needs the development dependencies: run `uv sync` in a checkout of"
    " bwp-privacy (or `pip install 'bwp-privacy[sandbox]'`), or use a deployed stack with"
    " --env deployed or --stack-name NAME"
)


#: Every variable the function reads, so a shell's stray values never leak into a target.
FUNCTION_SETTINGS = tuple(
    str(field.alias) for field in RecorderSettings.model_fields.values() if field.alias
)


class TargetError(RuntimeError):
    """The target cannot be reached or described; the message says what to do."""


@dataclass(frozen=True)
class Target:
    """Everything commands need to know about the stack they act on."""

    kind: str  # "sandbox" or "deployed"
    label: str
    function_env: dict[str, str]
    queues: dict[str, str]
    aws_env: dict[str, str] = field(default_factory=dict)
    #: The role credentials an in-process run of the handler signs with (sandbox only: on a
    #: deployed stack the handler runs here with the operator's own credentials).
    function_credentials: dict[str, str] = field(default_factory=dict)
    function_arn: str | None = None
    rule_arn: str | None = None
    archive_arn: str | None = None
    partner_bus_arn: str | None = None
    rule_target_queue_url: str | None = None
    emulator_url: str | None = None
    #: ``--env`` as given ("sandbox", "deployed" or a samconfig environment), the stack and
    #: its region (the sandbox's are local).
    env: str = "sandbox"
    stack: str | None = None
    region: str | None = None
    #: The process that serves a sandbox (`bwp-privacy sandbox stop` ends it).
    pid: int | None = None

    @property
    def is_sandbox(self) -> bool:
        return self.kind == "sandbox"

    def identity(self) -> TargetOut:
        """What every command's --json says it acted on."""
        return TargetOut(env=self.env, stack=self.stack, region=self.region)

    def banner(self) -> str:
        """The first line of every command's human output: where it acts."""
        if self.is_sandbox:
            aws = self.aws_env.get("AWS_ENDPOINT_URL", "local")
            return f"Target: the local sandbox (AWS at {aws}, API emulator at {self.emulator_url})"
        return f"Target: stack {self.stack} in {self.region} (--env {self.env})"

    @contextmanager
    def aws(self) -> Iterator[None]:
        """boto3 calls inside the block go to this target's AWS (moto for the sandbox)."""
        with patched_environ(self.aws_env):
            yield

    def function_client(self, service: str) -> Any:
        """A client for a call Lambda makes with the function's role (the OnFailure send)."""
        import boto3

        credentials = self.function_credentials
        if not credentials:
            return boto3.client(service)
        return boto3.client(
            service,
            aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=credentials.get("AWS_SESSION_TOKEN"),
        )

    @contextmanager
    def function_environment(self) -> Iterator[None]:
        """The function's settings exactly: none of the shell's own BWP_* and table names."""
        with patched_environ(self.function_env, unset=FUNCTION_SETTINGS):
            yield


def sandbox_file() -> Path:
    return Path(os.environ.get("BWP_SANDBOX_FILE", str(DEFAULT_SANDBOX_FILE)))


def sandbox_target(sandbox: Sandbox, *, pid: int | None = None) -> Target:
    """Describe a started sandbox."""
    stack = sandbox.stack
    return Target(
        kind="sandbox",
        label="sandbox",
        function_env=sandbox.function_env(),
        function_credentials=sandbox.recorder.role.credentials(),
        queues={
            "rule-dlq": stack.rule_dlq_url,
            "on-failure": stack.on_failure_queue_url,
            "router-dlq": stack.alert_dlq_url,
            "alert-queue": stack.alert_queue_url,
        },
        aws_env=sandbox.aws.env,
        rule_arn=stack.rule_arn,
        archive_arn=stack.archive_arn,
        partner_bus_arn=stack.partner_bus_arn,
        rule_target_queue_url=stack.rule_target_queue_url,
        emulator_url=sandbox.emulator.base_url,
        env="sandbox",
        stack=None,
        region=sandbox.aws.env.get("AWS_REGION"),
        pid=pid,
    )


def write_sandbox_file(target: Target, path: Path) -> None:
    """Let later commands find a running sandbox."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(asdict(target), indent=2))
    partial.replace(path)  # atomic: a command never reads half a file


def recorded_sandbox(path: Path | None = None) -> tuple[Target | None, bool]:
    """The sandbox the state file names, and whether it still answers."""
    path = path or sandbox_file()
    try:
        target = Target(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None, False
    return target, sandbox_alive(target)


def sandbox_alive(target: Target) -> bool:
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
    """Whether this installation can run a sandbox (the development dependencies)."""
    return all(importlib.util.find_spec(module) is not None for module in SANDBOX_MODULES)


@contextmanager
def open_target(env: str, *, stack_name: str | None = None, notify: Any = None) -> Iterator[Target]:
    """Yield the target named by ``--env`` (sandbox, deployed or a samconfig environment);
    ``--stack-name`` always means a deployed stack.

    With no sandbox running, one is started in the background, so that what a command
    stores is still there for the next one; ``notify`` (a callable) is told so, once.
    """
    if stack_name is not None or env != "sandbox":
        deployed_env = "deployed" if env == "sandbox" else env
        yield deployed_target(stack_name or samconfig_stack_name(env), deployed_env)
        return
    running, alive = recorded_sandbox()
    if running is not None and alive:
        yield running
        return
    if not sandbox_available():
        raise TargetError(SANDBOX_HINT)
    from bwp_privacy_cli.sandbox_process import start_background_sandbox

    started = start_background_sandbox(sandbox_file())
    if notify is not None:
        gone = f"The sandbox recorded in {sandbox_file()} is gone; " if running else ""
        notify(
            f"{gone}Started a{' fresh, empty' if running else ''} sandbox in the background"
            f" (pid {started.pid}): it keeps what commands store until"
            " `bwp-privacy sandbox stop`."
        )
    yield started


def samconfig_stack_name(env: str) -> str:
    """The stack name samconfig.toml gives the environment (``deployed`` = ``default``)."""
    section = "default" if env == "deployed" else env
    try:
        config = tomllib.loads(SAMCONFIG.read_text())
    except OSError:
        raise TargetError(f"--env {env}: no samconfig.toml here; pass --stack-name NAME") from None
    params: dict[str, Any] = config.get(section, {}).get("global", {}).get("parameters", {})
    deploy: dict[str, Any] = config.get(section, {}).get("deploy", {}).get("parameters", {})
    name = deploy.get("stack_name") or params.get("stack_name")
    if not name:
        raise TargetError(f"--env {env}: samconfig.toml [{section}] has no stack_name")
    return str(name)


def aws_region() -> str:
    """The region, as the AWS CLI finds it: AWS_REGION, AWS_DEFAULT_REGION, the profile."""
    import boto3

    region = (
        os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or boto3.session.Session().region_name
    )
    if not region:
        raise TargetError(
            "AWS: no region: set AWS_REGION (or AWS_DEFAULT_REGION, or a region in your profile)"
        )
    return region


def deployed_target(stack_name: str, env: str = "deployed") -> Target:
    """Read a deployed stack's outputs and DeletionTaskFailedFunction's environment."""
    import boto3
    from botocore.exceptions import ClientError

    region = aws_region()
    try:
        stack = boto3.client("cloudformation", region_name=region).describe_stacks(
            StackName=stack_name
        )["Stacks"][0]
    except ClientError as error:
        raise TargetError(f"stack {stack_name}: {error.response['Error']['Message']}") from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    function_arn = outputs.get("DeletionTaskFailedFunctionArn")
    if not function_arn:
        raise TargetError(f"stack {stack_name} has no DeletionTaskFailedFunctionArn output")
    config = boto3.client("lambda", region_name=region).get_function_configuration(
        FunctionName=function_arn
    )
    queues = {
        name: outputs[key]
        for name, key in (
            ("rule-dlq", "RuleDeadLetterQueueUrl"),
            ("on-failure", "OnFailureQueueUrl"),
            ("router-dlq", "AlertDeadLetterQueueUrl"),
            ("alert-queue", "AlertQueueUrl"),
        )
        if key in outputs
    }
    return Target(
        kind="deployed",
        label=f"stack {stack_name}",
        function_env=dict(config.get("Environment", {}).get("Variables", {})),
        queues=queues,
        # boto3 reads AWS_DEFAULT_REGION only; the AWS CLI honours AWS_REGION too.
        aws_env={"AWS_DEFAULT_REGION": region},
        function_arn=function_arn,
        rule_arn=outputs.get("DeletionTaskFailedRuleArn"),
        archive_arn=outputs.get("ArchiveArn"),
        partner_bus_arn=outputs.get("PartnerEventBusArn"),
        env=env,
        stack=stack_name,
        region=region,
    )
