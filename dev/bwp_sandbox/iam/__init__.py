"""The template's IAM, enforced by the local AWS: every call a function makes in the sandbox
is authorized against the role the transformed template gives it, as AWS would.

- `sam`: template.yaml after the SAM transform (aws-sam-translator, in its own environment);
- `intrinsics`: CloudFormation's functions and conditions, resolved for the local resources;
- `roles`: each function's role (managed and inline statements) and environment;
- `policy`: IAM's evaluation of identity-based statements (Deny, then Allow);
- `calls`: from an HTTP request to the actions and resource ARNs IAM checks;
- `enforcer`: the WSGI layer in front of moto that refuses, records and answers like AWS.
"""

from bwp_sandbox.iam.calls import AwsCall, Check, Resources, read_call
from bwp_sandbox.iam.enforcer import CallRecord, IamEnforcer, Role, decide
from bwp_sandbox.iam.intrinsics import PhysicalResource, TemplateResolver, UnresolvedError
from bwp_sandbox.iam.moto_resources import MotoResources
from bwp_sandbox.iam.policy import Decision, Effect, PolicyError, Statement, evaluate
from bwp_sandbox.iam.roles import FunctionSpec, function_specs, managed_policy, read_role
from bwp_sandbox.iam.sam import TransformError, transformed_template

__all__ = [
    "AwsCall",
    "CallRecord",
    "Check",
    "Decision",
    "Effect",
    "FunctionSpec",
    "IamEnforcer",
    "MotoResources",
    "PhysicalResource",
    "PolicyError",
    "Resources",
    "Role",
    "Statement",
    "TemplateResolver",
    "TransformError",
    "UnresolvedError",
    "decide",
    "evaluate",
    "function_specs",
    "managed_policy",
    "read_call",
    "read_role",
    "transformed_template",
]
