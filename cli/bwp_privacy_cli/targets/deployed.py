"""A stack deployed in AWS: its outputs and RecorderFunction's environment, read from
CloudFormation and Lambda with the operator's own credentials."""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bwp_privacy_cli.targets.base import FUNCTION_TIMEOUT_SECONDS, Target, TargetError

if TYPE_CHECKING:
    from bwp_privacy_cli.event_runner import ReplayResult

SAMCONFIG = Path("samconfig.toml")
#: Stack outputs the CLI reads, by queue name.
_QUEUE_OUTPUTS = (
    ("rule-dlq", "RuleDeadLetterQueueUrl"),
    ("on-failure", "OnFailureQueueUrl"),
    ("router-dlq", "AlertDeadLetterQueueUrl"),
    ("alert-queue", "AlertQueueUrl"),
    ("reaction-dlq", "ReactionDeadLetterQueueUrl"),
    ("schedule-dlq", "ScheduleDeadLetterQueueUrl"),
    ("reaction-queue", "ReactionQueueUrl"),
    # Only on a stack that takes Slack's actions or PagerDuty's webhooks (HasInbound).
    ("inbound-queue", "InboundQueueUrl"),
    ("inbound-dlq", "InboundDeadLetterQueueUrl"),
)


class MissingStack(TargetError):
    """No stack of that name in the account and region."""


class IncompleteStack(TargetError):
    """The stack exists without its outputs: it failed, or is still being created. ``bare``
    is what can be known of it (its name and region), for doctor's stack check."""

    def __init__(self, message: str, bare: DeployedTarget) -> None:
        super().__init__(message)
        self.bare = bare


@dataclass(frozen=True)
class DeployedTarget(Target):
    """A deployed stack; the function runs in Lambda."""

    function_arn: str = ""
    reaction_arn: str = ""
    router_arn: str = ""

    def banner(self) -> str:
        return f"Target: stack {self.stack} in {self.region} (--env {self.env})"

    def redrive_event(
        self, event: dict[str, Any], origin: str, *, verbose: bool
    ) -> tuple[bool, str]:
        """Invoke the function asynchronously, as the rule does (its retries and OnFailure
        destination apply)."""
        import boto3

        answer = boto3.client("lambda").invoke(
            FunctionName=self.function_arn,
            InvocationType="Event",
            Payload=json.dumps(event).encode(),
        )
        ok = answer.get("StatusCode") == 202
        return ok, "invoked asynchronously" if ok else f"invoke answered {answer.get('StatusCode')}"

    def replayed_events(self, *, verbose: bool) -> list[ReplayResult] | None:
        return None

    def invoke_router(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Invoke the deployed router and wait for its answer (RequestResponse)."""
        if not self.router_arn:
            raise TargetError(f"{self.label} has no AlertRouterFunction: no receiver is deployed")
        import boto3
        from botocore.config import Config

        # One invocation only: a read that times out and retries would invoke the router again,
        # and every receiver would get the test alert twice. The answer may take the router's
        # whole timeout.
        config = Config(
            read_timeout=FUNCTION_TIMEOUT_SECONDS + 15, retries={"total_max_attempts": 1}
        )
        answer = boto3.client("lambda", config=config).invoke(
            FunctionName=self.router_arn,
            InvocationType="RequestResponse",
            Payload=json.dumps(payload).encode(),
        )
        body = answer["Payload"].read()
        if answer.get("FunctionError"):
            raise TargetError(
                f"AlertRouterFunction failed: {body[:300].decode('utf-8', 'replace')}"
            )
        result: dict[str, Any] = json.loads(body)
        return result


def deployed_target(stack_name: str, env: str = "deployed") -> DeployedTarget:
    """Read a deployed stack's outputs and RecorderFunction's environment."""
    import boto3
    from botocore.exceptions import ClientError

    region = aws_region()
    try:
        stack = boto3.client("cloudformation", region_name=region).describe_stacks(
            StackName=stack_name
        )["Stacks"][0]
    except ClientError as error:
        message = error.response["Error"]["Message"]
        if "does not exist" in message:
            raise MissingStack(
                f"stack {stack_name} does not exist in {region} (deploy it first, or check"
                " --stack-name and AWS_REGION)"
            ) from None
        raise TargetError(f"stack {stack_name}: {message}") from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    function_arn = outputs.get("RecorderFunctionArn")
    if not function_arn:
        raise IncompleteStack(
            f"stack {stack_name} is {stack.get('StackStatus')} without its outputs"
            " (RecorderFunctionArn): `bwp-privacy doctor` says why",
            DeployedTarget(
                label=f"stack {stack_name}",
                function_env={},
                queues={},
                aws_env={"AWS_DEFAULT_REGION": region},
                env=env,
                stack=stack_name,
                region=region,
            ),
        )
    functions = boto3.client("lambda", region_name=region)

    def environment(arn: str | None) -> dict[str, str]:
        if not arn:
            return {}
        config = functions.get_function_configuration(FunctionName=arn)
        return dict(config.get("Environment", {}).get("Variables", {}))

    reaction_arn = outputs.get("ReactionFunctionArn")
    router_arn = outputs.get("AlertRouterFunctionArn")
    rules = {
        outputs[rule]: outputs[function]
        for rule, function in (
            ("RecorderRuleArn", "RecorderFunctionArn"),
            ("ReactionRuleArn", "ReactionFunctionArn"),
        )
        if rule in outputs and function in outputs
    }
    return DeployedTarget(
        label=f"stack {stack_name}",
        function_env=environment(function_arn),
        reaction_env=environment(reaction_arn),
        router_env=environment(router_arn),
        rule_targets=rules,
        operator_url=outputs.get("OperatorUrl"),
        inbound_url=outputs.get("InboundUrl"),
        parameters={
            p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])
        },
        queues={name: outputs[key] for name, key in _QUEUE_OUTPUTS if key in outputs},
        # boto3 reads AWS_DEFAULT_REGION only; the AWS CLI honours AWS_REGION too.
        aws_env={"AWS_DEFAULT_REGION": region},
        function_arn=function_arn,
        reaction_arn=reaction_arn or "",
        router_arn=router_arn or "",
        rule_arn=outputs.get("RecorderRuleArn"),
        archive_arn=outputs.get("ArchiveArn"),
        partner_bus_arn=outputs.get("PartnerEventBusArn"),
        env=env,
        stack=stack_name,
        region=region,
    )


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
