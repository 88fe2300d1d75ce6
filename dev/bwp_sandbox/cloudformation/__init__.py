"""template.yaml deployed through CloudFormation into the sandbox's moto, as `sam deploy`
deploys it into an account, with moto's CloudFormation made to behave as AWS's where this
template needs it.

- `deploy`: `sam package` and `sam deploy` (`deploy_with_cloudformation`), over boto3.
- `hook`: `install`, which `LocalAws` calls; it patches moto once moto's CloudFormation loads.
- `engine`: CloudFormation itself (capabilities, parameters, failures and rollback, nested
  stacks, conditions, intrinsics, generated names).
- `resources`: the resource types moto skips; `services`: what moto's other models drop.

`bwp_sandbox.stack` is the sandbox's own, hand-made deploy (fast, with the functions' roles);
this one is for what must meet "a stack deployed through CloudFormation": its resource list,
outputs, events, parameters and capabilities.
"""

from __future__ import annotations

from bwp_sandbox.cloudformation.deploy import (
    ARTIFACTS_BUCKET,
    StackEvent,
    StackFailed,
    deploy_with_cloudformation,
    failed_events,
    package,
    wait_for_stack,
)
from bwp_sandbox.cloudformation.hook import install

__all__ = [
    "ARTIFACTS_BUCKET",
    "StackEvent",
    "StackFailed",
    "deploy_with_cloudformation",
    "failed_events",
    "install",
    "package",
    "wait_for_stack",
]
