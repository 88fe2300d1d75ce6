"""Where a command runs: the sandbox (a running one, or one started for the command) or a
deployed stack, whose settings are read from CloudFormation and the function itself."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from bwp_privacy.settings import Settings
from bwp_sandbox.environ import patched_environ

if TYPE_CHECKING:
    from bwp_sandbox.sandbox import Sandbox

# In the user's own cache folder, not a shared /tmp path another user could plant.
DEFAULT_SANDBOX_FILE = Path.home() / ".cache" / "bwp-privacy" / "sandbox.json"
SAMCONFIG = Path("samconfig.toml")


#: Every variable the function reads, so a shell's stray values never leak into a target.
FUNCTION_SETTINGS = tuple(
    str(field.alias) for field in Settings.model_fields.values() if field.alias
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

    @property
    def is_sandbox(self) -> bool:
        return self.kind == "sandbox"

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


def sandbox_target(sandbox: Sandbox, label: str = "sandbox") -> Target:
    """Describe a started sandbox."""
    stack = sandbox.stack
    return Target(
        kind="sandbox",
        label=label,
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
    )


def write_sandbox_file(target: Target, path: Path) -> None:
    """Let later commands find a running sandbox."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(target), indent=2))


def _running_sandbox() -> Target | None:
    path = sandbox_file()
    try:
        target = Target(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    try:
        requests.get(f"{target.emulator_url}/_control/health", timeout=0.5).raise_for_status()
    except requests.RequestException:
        return None  # a file left by a sandbox that has stopped
    return target


@contextmanager
def open_target(env: str, *, stack_name: str | None = None) -> Iterator[Target]:
    """Yield the target named by ``--env``: ``sandbox``, ``deployed`` or a samconfig env."""
    if env == "sandbox":
        running = _running_sandbox()
        if running is not None:
            yield running
            return
        from bwp_sandbox.sandbox import running_sandbox  # moto: only when a sandbox starts

        with running_sandbox() as sandbox:
            yield sandbox_target(sandbox, label="sandbox (started for this command)")
        return
    yield deployed_target(stack_name or samconfig_stack_name(env))


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


def deployed_target(stack_name: str) -> Target:
    """Read a deployed stack's outputs and DeletionTaskFailedFunction's environment."""
    import boto3
    from botocore.exceptions import ClientError

    try:
        stack = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    except ClientError as error:
        raise TargetError(f"stack {stack_name}: {error.response['Error']['Message']}") from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    function_arn = outputs.get("DeletionTaskFailedFunctionArn")
    if not function_arn:
        raise TargetError(f"stack {stack_name} has no DeletionTaskFailedFunctionArn output")
    config = boto3.client("lambda").get_function_configuration(FunctionName=function_arn)
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
        function_arn=function_arn,
        rule_arn=outputs.get("DeletionTaskFailedRuleArn"),
        archive_arn=outputs.get("ArchiveArn"),
        partner_bus_arn=outputs.get("PartnerEventBusArn"),
    )
