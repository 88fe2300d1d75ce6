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
                "the sandbox's: every resource made from template.yaml by the sandbox (there is"
                " no CloudFormation here)",
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
                f"{name}: in progress ({_listed(broken)})",
                "run `bwp-privacy doctor` again when CloudFormation is done",
            )
        )
    elif set(broken.values()) == {"UPDATE_ROLLBACK_COMPLETE"}:
        findings.append(
            warned(
                CHECK,
                f"{name}: the last update was rolled back ({_listed(broken)}): the stack runs"
                " the version before it",
                f"read why in `{events}`, fix, and `make deploy` again",
            )
        )
    else:
        first = _first_failure(cloudformation, name)
        findings.append(
            failed(
                CHECK,
                f"{name}: {_listed(broken)}" + (f"; first failure: {first}" if first else ""),
                f"read why in `{events}`, fix, and `make deploy` again (a stack in"
                " ROLLBACK_COMPLETE must be deleted first)",
            )
        )
    problem = stack_name_problem(name)
    if problem is not None:
        findings.append(warned("stack name", problem, "deploy under a shorter name"))
    return findings


def _first_failure(cloudformation: Any, name: str) -> str | None:
    """The first resource that failed, and why (CloudFormation's events, newest first)."""
    events = cloudformation.describe_stack_events(StackName=name).get("StackEvents", [])
    for event in reversed(events):
        reason = event.get("ResourceStatusReason") or ""
        if event.get("ResourceStatus", "").endswith("_FAILED") and "cancelled" not in reason:
            return f"{event.get('LogicalResourceId')}: {reason[:300]}"
    return None


def _listed(statuses: dict[str, str]) -> str:
    return ", ".join(f"{name} {status}" for name, status in statuses.items())
