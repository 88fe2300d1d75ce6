"""The capabilities CloudFormation asks a deploy of template.yaml to acknowledge, derived from
the template itself, so that no deploy path (samconfig.toml, the Makefile, README's commands,
the sandbox's CloudFormation) can drift from what the template needs.

CloudFormation refuses a stack that needs a capability the request did not give:
``Requires capabilities : [CAPABILITY_AUTO_EXPAND]``.

- ``CAPABILITY_AUTO_EXPAND``: the template has a transform (SAM's), or nested applications
  (``AWS::Serverless::Application``, which become ``AWS::CloudFormation::Stack``).
- ``CAPABILITY_IAM``: the deployed template creates IAM resources (SAM makes a role for every
  function without one).
- ``CAPABILITY_NAMED_IAM``: an IAM resource has a name of its own (``RoleName``...); it
  acknowledges plain IAM resources too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

AUTO_EXPAND = "CAPABILITY_AUTO_EXPAND"
IAM = "CAPABILITY_IAM"
NAMED_IAM = "CAPABILITY_NAMED_IAM"

_NESTED = ("AWS::Serverless::Application", "AWS::CloudFormation::Stack")
#: The IAM resource types and the property that names each (None: it has no name of its own
#: that CloudFormation counts as "named").
_IAM_NAMES: dict[str, str | None] = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::Policy": None,
    "AWS::IAM::AccessKey": None,
    "AWS::IAM::UserToGroupAddition": None,
}


def required_capabilities(
    template: Mapping[str, Any], transformed: Mapping[str, Any] | None = None
) -> set[str]:
    """What a deploy of ``template`` (as written) must acknowledge; ``transformed`` is the same
    template after the SAM transform (the IAM resources SAM adds are only there)."""
    needed: set[str] = set()
    resources = [template.get("Resources", {})]
    if transformed is not None:
        resources.append(transformed.get("Resources", {}))
    if template.get("Transform") or any(
        resource.get("Type") in _NESTED for group in resources for resource in group.values()
    ):
        needed.add(AUTO_EXPAND)
    for group in resources:
        for resource in group.values():
            kind = resource.get("Type")
            if kind not in _IAM_NAMES:
                continue
            name = _IAM_NAMES[kind]
            named = name is not None and name in (resource.get("Properties") or {})
            needed.add(NAMED_IAM if named else IAM)
    if NAMED_IAM in needed:
        needed.discard(IAM)  # NAMED_IAM acknowledges both
    return needed


def missing_capabilities(given: Iterable[str], needed: Iterable[str]) -> list[str]:
    """The capabilities of ``needed`` that ``given`` does not acknowledge, sorted."""
    have = set(given)
    if NAMED_IAM in have:
        have.add(IAM)
    return sorted(set(needed) - have)
