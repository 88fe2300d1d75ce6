"""How long a stack's name may be: the template names resources after the stack, and the
tightest of those names leaves 55 characters for it (tests/template derives the figure from
template.yaml, so a new name with a longer suffix changes it there first)."""

from __future__ import annotations

import re

#: `${AWS::StackName}-recorder` (an EventBridge rule) and `${AWS::StackName}-reaction` (a
#: Lambda function), whose names take 64 characters at most.
MAX_STACK_NAME_LENGTH = 55
#: CloudFormation's own rule for a stack's name.
_STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


def stack_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name this stack, or None when it can."""
    if not _STACK_NAME.fullmatch(name):
        return (
            f"stack name {name!r}: CloudFormation takes letters, digits and hyphens, starting"
            " with a letter"
        )
    if len(name) > MAX_STACK_NAME_LENGTH:
        return (
            f"stack name {name!r} has {len(name)} characters: at most {MAX_STACK_NAME_LENGTH}"
            " (the stack names its EventBridge rules and the reaction's function after itself,"
            " and those names take 64)"
        )
    return None
