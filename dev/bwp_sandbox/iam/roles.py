"""Each function's execution role and environment, as the transformed template gives them.

SAM turns a function's ``Policies`` into an inline policy of a generated role, adds its own
statements (the OnFailure destination's ``sqs:SendMessage``) and managed policies (logs,
X-Ray, the SQS event source). CloudFormation then resolves every reference. This reads the
transformed template and resolves it for the local deployment, so a local function runs with
exactly the statements (and variables) it would have in AWS, conditions and all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bwp_sandbox.iam.enforcer import Role
from bwp_sandbox.iam.intrinsics import TemplateResolver, UnresolvedError
from bwp_sandbox.iam.managed import MANAGED_POLICIES
from bwp_sandbox.iam.policy import PolicyError, Statement


@dataclass(frozen=True)
class FunctionSpec:
    """A deployed function: its role and the environment variables the template sets."""

    logical_id: str
    role: Role
    environment: dict[str, str]
    timeout_seconds: int
    #: The handler as an importable path: ``functions.recorder.app.handler``.
    handler: str


def function_specs(
    transformed: Mapping[str, Any], resolver: TemplateResolver
) -> dict[str, FunctionSpec]:
    """Every function the stack deploys with these parameters, by logical id."""
    resources: Mapping[str, Any] = transformed["Resources"]
    specs: dict[str, FunctionSpec] = {}
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function" or not _deployed(resource, resolver):
            continue
        properties = resource["Properties"]
        role_id = _role_logical_id(properties.get("Role"), logical_id)
        role = read_role(role_id, resources[role_id], logical_id, resolver)
        variables = resolver.resolve(properties.get("Environment", {}).get("Variables", {}))
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            role=role,
            environment={name: str(value) for name, value in (variables or {}).items()},
            timeout_seconds=int(resolver.resolve(properties.get("Timeout", 3))),
            handler=_handler_path(properties),
        )
    return specs


def read_role(
    logical_id: str, resource: Mapping[str, Any], function: str, resolver: TemplateResolver
) -> Role:
    """The role's statements: managed policies first, then each inline policy."""
    properties = resource["Properties"]
    statements: list[Statement] = []
    for arn in properties.get("ManagedPolicyArns", []):
        document = MANAGED_POLICIES.get(resolver.resolve(arn))
        if document is None:
            raise PolicyError(f"{logical_id}: managed policy {arn} is unknown to the local IAM")
        name = str(arn).rsplit("/", 1)[-1]
        statements += [Statement.parse(raw, name) for raw in document["Statement"]]
    for policy in resolver.resolve(properties.get("Policies", [])) or []:
        raw_statements = policy["PolicyDocument"]["Statement"]
        if isinstance(raw_statements, dict):
            raw_statements = [raw_statements]
        statements += [Statement.parse(raw, policy["PolicyName"]) for raw in raw_statements]
    return Role(logical_id=logical_id, function=function, statements=tuple(statements))


def _handler_path(properties: Mapping[str, Any]) -> str:
    """CodeUri ``functions/x/`` and Handler ``app.handler`` as ``functions.x.app.handler``."""
    code = str(properties["Code"]["S3Key"]).strip("/").replace("/", ".")
    return f"{code}.{properties['Handler']}"


def _deployed(resource: Mapping[str, Any], resolver: TemplateResolver) -> bool:
    condition = resource.get("Condition")
    return condition is None or resolver.condition(condition)


def _role_logical_id(role: Any, function: str) -> str:
    if isinstance(role, dict) and "Fn::GetAtt" in role:
        target = role["Fn::GetAtt"]
        return str(target[0] if isinstance(target, list) else target.split(".", 1)[0])
    raise UnresolvedError(f"{function}: its Role is not a role of this template ({role!r})")


def managed_policy(
    transformed: Mapping[str, Any], logical_id: str, resolver: TemplateResolver
) -> tuple[Statement, ...]:
    """The statements of a customer managed policy the template declares (resolved)."""
    document = resolver.resolve(
        transformed["Resources"][logical_id]["Properties"]["PolicyDocument"]
    )
    raw_statements = document["Statement"]
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    return tuple(Statement.parse(raw, logical_id) for raw in raw_statements)
