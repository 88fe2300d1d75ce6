"""An operator acts on cases through the reaction's function URL alone, where Lambda names
the caller: no operator holding the stack's AuditGuardPolicy (the CLI's caller; the sandbox's
own credentials) can hand the reaction an event that merely looks like a function URL request
(and names anyone as its caller), neither by invoking it directly, whatever the ARN it uses,
nor through a schedule of the stack's group or one run with the stack's SchedulerRole.
Invoking the router directly stays open: doctor's test alert does it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from bwp_privacy.audit import AuditTrail
from bwp_sandbox.admin import ADMIN_CREDENTIALS, admin_client
from bwp_sandbox.iam import evaluate
from bwp_sandbox.sandbox import REACTION, ROUTER, Sandbox

pytestmark = [pytest.mark.integration, pytest.mark.iam_denials_expected]

SOMEONE_ELSE = "arn:aws:sts::123456789012:assumed-role/Operator/someone-else"


def _client(sandbox: Sandbox, service: str) -> Any:
    """A client with the sandbox's own credentials: an operator holding AuditGuardPolicy."""
    return boto3.client(
        service,
        endpoint_url=sandbox.aws.url,
        region_name="us-east-1",
        aws_access_key_id=ADMIN_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=ADMIN_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=ADMIN_CREDENTIALS["AWS_SESSION_TOKEN"],
    )


def _forged() -> dict[str, Any]:
    """A function URL request's event as Lambda would build it, naming someone else."""
    return {
        "version": "2.0",
        "rawPath": "/",
        "requestContext": {
            "authorizer": {"iam": {"userArn": SOMEONE_ELSE, "userId": "AROAFORGED:someone"}},
            "http": {"method": "POST", "path": "/"},
        },
        "body": json.dumps(
            {
                "action": "record",
                "subject": "dlq:rule-dlq",
                "name": "dlq redrive",
                "input": "",
                "outcome": "forged",
            }
        ),
        "isBase64Encoded": False,
    }


def _explicitly_denied(refused: pytest.ExceptionInfo[ClientError], action: str) -> None:
    error = refused.value.response["Error"]
    assert error["Code"] in ("AccessDeniedException", "AccessDenied"), error
    assert f"perform: {action}" in error["Message"], error
    assert "explicit deny" in error["Message"], error


def _arn(sandbox: Sandbox, logical_id: str) -> str:
    return sandbox.stack.resources[logical_id].attributes["Arn"]


@pytest.mark.parametrize(
    "how",
    ["name", "arn", "qualified name", "qualifier", "asynchronously", "InvokeAsync"],
)
def test_an_operator_cannot_invoke_the_reaction_directly(sandbox: Sandbox, how: str) -> None:
    name = sandbox.stack.resources[REACTION].ref
    arn = _arn(sandbox, REACTION)
    payload = json.dumps(_forged()).encode()
    lambda_ = _client(sandbox, "lambda")
    calls: dict[str, Callable[[], object]] = {
        "name": lambda: lambda_.invoke(FunctionName=name, Payload=payload),
        "arn": lambda: lambda_.invoke(FunctionName=arn, Payload=payload),
        # A version's or an alias's ARN is a resource of its own in IAM.
        "qualified name": lambda: lambda_.invoke(FunctionName=f"{name}:$LATEST", Payload=payload),
        "qualifier": lambda: lambda_.invoke(FunctionName=arn, Qualifier="$LATEST", Payload=payload),
        "asynchronously": lambda: lambda_.invoke(
            FunctionName=arn, InvocationType="Event", Payload=payload
        ),
        # The deprecated asynchronous API, an action of its own.
        "InvokeAsync": lambda: lambda_.invoke_async(FunctionName=name, InvokeArgs=payload),
    }
    action = "lambda:InvokeAsync" if how == "InvokeAsync" else "lambda:InvokeFunction"
    with pytest.raises(ClientError) as refused:
        calls[how]()
    _explicitly_denied(refused, action)
    [denial] = sandbox.aws.iam.denied()
    assert denial.action == action
    assert denial.resource.startswith(arn)
    assert denial.statement == "AuditGuardPolicy/ReactionIsInvokedThroughItsUrlAlone"
    audit = AuditTrail(admin_client("dynamodb"), sandbox.stack.audit_table_name)
    assert audit.entries("dlq:rule-dlq") == []


def test_an_operator_cannot_schedule_an_input_for_the_reaction(sandbox: Sandbox) -> None:
    """A schedule delivers its Input to its target as the event: in the stack's group, or
    with the stack's SchedulerRole (which may invoke the reaction), it could be a forged
    function URL request. Creating or changing one is refused; so is passing the role."""
    scheduler = _client(sandbox, "scheduler")
    target = {
        "Arn": _arn(sandbox, REACTION),
        "RoleArn": _arn(sandbox, "SchedulerRole"),
        "Input": json.dumps(_forged()),
    }
    schedule = {
        "ScheduleExpression": "at(2030-01-01T00:00:00)",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": target,
    }
    group = sandbox.stack.schedule_group_name
    with pytest.raises(ClientError) as created:
        scheduler.create_schedule(Name="forged", GroupName=group, **schedule)
    _explicitly_denied(created, "scheduler:CreateSchedule")
    with pytest.raises(ClientError) as updated:
        scheduler.update_schedule(Name="forged", GroupName=group, **schedule)
    _explicitly_denied(updated, "scheduler:UpdateSchedule")
    # Elsewhere than the stack's group, the stack's role cannot be passed either.
    with pytest.raises(ClientError) as passed:
        scheduler.create_schedule(Name="forged", GroupName="default", **schedule)
    _explicitly_denied(passed, "iam:PassRole")
    assert [(r.action, r.allowed) for r in sandbox.aws.iam.denied()] == [
        ("scheduler:CreateSchedule", False),
        ("scheduler:UpdateSchedule", False),
        ("iam:PassRole", False),
    ]
    assert admin_client("scheduler").list_schedules(GroupName=group)["Schedules"] == []


def test_the_router_may_still_be_invoked_directly(sandbox: Sandbox) -> None:
    """doctor's test alert invokes AlertRouterFunction directly (RequestResponse): the guard
    lets it through. moto runs no function here, so the call gets as far as moto, which
    does not know it: anything but a refusal by IAM."""
    with pytest.raises(ClientError) as answered:
        _client(sandbox, "lambda").invoke(
            FunctionName=_arn(sandbox, ROUTER), Payload=json.dumps({"test": True}).encode()
        )
    assert answered.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert sandbox.aws.iam.denied() == []


def test_the_guard_refuses_a_direct_invoke_of_the_reaction_whether_or_not_the_key_is_there(
    sandbox: Sandbox,
) -> None:
    """BoolIfExists: a request that does not carry lambda:InvokedViaFunctionUrl is refused as
    one that says false; only a request through the function URL (true) is let through."""
    guard = sandbox.stack.operator_guard()
    reaction = _arn(sandbox, REACTION)
    action = "lambda:InvokeFunction"
    assert evaluate(guard, action, reaction, {}).explicit_deny
    assert evaluate(guard, action, f"{reaction}:live", {}).explicit_deny
    key = "lambda:InvokedViaFunctionUrl"
    assert evaluate(guard, action, reaction, {key: "false"}).explicit_deny
    assert not evaluate(guard, action, reaction, {key: "true"}).explicit_deny
    assert not evaluate(guard, action, _arn(sandbox, ROUTER), {key: "false"}).explicit_deny
