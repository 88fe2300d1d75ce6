"""Where commands act: the local sandbox (`SandboxTarget`, the function run here as Lambda
would) or a deployed stack (`DeployedTarget`, read from CloudFormation); `open_target`
chooses from ``--env`` and ``--stack-name``."""

from bwp_privacy_cli.targets.background import port_free, start_background_sandbox, stop_sandbox
from bwp_privacy_cli.targets.base import (
    FUNCTION_SETTINGS,
    RECORDER,
    RECORDER_HANDLER,
    Target,
    TargetError,
)
from bwp_privacy_cli.targets.deployed import (
    DeployedTarget,
    IncompleteStack,
    MissingStack,
    aws_region,
    deployed_target,
    samconfig_stack_name,
)
from bwp_privacy_cli.targets.opening import open_target
from bwp_privacy_cli.targets.sandbox import (
    SANDBOX_HINT,
    SandboxTarget,
    process_exists,
    recorded_sandbox,
    sandbox_alive,
    sandbox_available,
    sandbox_file,
)

__all__ = [
    "FUNCTION_SETTINGS",
    "RECORDER",
    "RECORDER_HANDLER",
    "SANDBOX_HINT",
    "DeployedTarget",
    "IncompleteStack",
    "MissingStack",
    "SandboxTarget",
    "Target",
    "TargetError",
    "aws_region",
    "deployed_target",
    "open_target",
    "port_free",
    "process_exists",
    "recorded_sandbox",
    "samconfig_stack_name",
    "sandbox_alive",
    "sandbox_available",
    "sandbox_file",
    "start_background_sandbox",
    "stop_sandbox",
]
