"""Is the stack whole: CloudFormation's status of the stack and of each nested stack (the
dead-letter queues and alarms), and a name the template's own names can hold."""

from __future__ import annotations

from typing import Any

from bwp_privacy_cli.doctor.findings import Finding, failed, passed, warned
from bwp_privacy_cli.doctor.view import StackView
from bwp_privacy_cli.onboarding import stack_name_problem

CHECK = "stack"
_COMPLETE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}


def stack_complete(view: StackView) -> list[Finding]:
    name = view.stack_name
    if name is None:
        return [
            passed(
                CHECK,
                "the sandbox's: every resource made from template.yaml by the sandbox itself",
            )
        ]
    cloudformation = view.client("cloudformation")
    statuses = {name: cloudformation.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=name):
        for resource in page["StackResourceSummaries"]:
            if resource["ResourceType"] == "AWS::CloudFormation::Stack":
                nested = resource.get("PhysicalResourceId") or resource["LogicalResourceId"]
                found = cloudformation.describe_stacks(StackName=nested)["Stacks"][0]
                statuses[resource["LogicalResourceId"]] = found["StackStatus"]
    findings = []
    events = f"aws cloudformation describe-stack-events --stack-name {name}"
    broken = {k: v for k, v in statuses.items() if v not in _COMPLETE}
    if not broken:
        findings.append(
            passed(CHECK, f"{name}: {statuses[name]}, and its {len(statuses) - 1} nested stacks")
        )
    elif all(status.endswith("_IN_PROGRESS") for status in broken.values()):
        findings.append(
            warned(
                CHECK,
                f"in progress: {_listed(broken, name)}",
                "run `bwp-privacy doctor` again when CloudFormation is done",
            )
        )
    elif set(broken.values()) == {"UPDATE_ROLLBACK_COMPLETE"}:
        findings.append(
            warned(
                CHECK,
                f"the last update was rolled back ({_listed(broken, name)}): the stack runs the"
                " version before it",
                f"read why in `{events}`, fix, and `make deploy` again",
            )
        )
    else:
        first = _first_failure(cloudformation, name)
        fix = f"read why in `{events}`, fix, and `make deploy` again"
        if first and "Event bus aws.partner/" in first and "does not exist" in first:
            # Deployed before setup: the partner bus is setup's, and comes first.
            fix = "run `bwp-privacy setup` (it makes the partner bus), then `make deploy` again"
        if "ROLLBACK_COMPLETE" in statuses.values():
            fix += (
                f" (a stack in ROLLBACK_COMPLETE must be deleted first: aws cloudformation"
                f" delete-stack --stack-name {name})"
            )
        findings.append(
            failed(
                CHECK,
                f"{_listed(broken, name)}" + (f"; first failure: {first}" if first else ""),
                fix,
            )
        )
    problem = stack_name_problem(name)
    if problem is not None:
        findings.append(warned("stack name", problem, "deploy under a shorter name"))
    return findings


def _first_failure(cloudformation: Any, name: str) -> str | None:
    """The first resource that failed, and why: the oldest failed event (CloudFormation lists
    them newest first, a page at a time; a rollback of this stack makes more than a page)."""
    first = None
    for page in cloudformation.get_paginator("describe_stack_events").paginate(StackName=name):
        for event in page.get("StackEvents", []):
            reason = event.get("ResourceStatusReason") or ""
            if event.get("ResourceStatus", "").endswith("_FAILED") and "cancelled" not in reason:
                first = f"{event.get('LogicalResourceId')}: {reason[:300]}"
    return first


def _listed(statuses: dict[str, str], root: str) -> str:
    """Each stack's status: the root's under its name, a nested one's as nested."""
    return ", ".join(
        f"{name} {status}" if name == root else f"nested {name} {status}"
        for name, status in statuses.items()
    )
