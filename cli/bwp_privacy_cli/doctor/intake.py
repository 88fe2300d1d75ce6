"""Can events come in: the partner event source is ACTIVE with its bus, and each rule on that
bus is enabled, targets its function and has its dead-letter queue."""

from __future__ import annotations

from bwp_privacy_cli.doctor.findings import Finding, failed, passed, warned
from bwp_privacy_cli.doctor.view import StackView
from bwp_privacy_cli.onboarding import source_state

SOURCE = "partner event source"
SETUP = "`bwp-privacy setup` (it subscribes and associates the source with its bus)"


def partner_source(view: StackView) -> list[Finding]:
    bus = view.partner_bus
    if bus is None:
        return [failed(SOURCE, "the stack names no partner event bus", "deploy this version")]
    events = view.client("events")
    state = source_state(events, bus)
    if state is None:
        return [
            failed(
                SOURCE,
                f"no partner event source {bus} in this account and region: events are sent"
                " nowhere",
                f"{SETUP}; PartnerEventBusName must be aws.partner/buywithprime/NAME",
            )
        ]
    if state == "PENDING":
        return [
            failed(
                SOURCE,
                f"{bus} is PENDING: it has no bus, and Buy with Prime's events to it are dropped",
                SETUP,
            )
        ]
    if state != "ACTIVE":
        return [
            failed(
                SOURCE,
                f"{bus} is {state}",
                "subscribe again with a new source name: `bwp-privacy setup --source-name NAME`,"
                " then deploy with PartnerEventBusName=aws.partner/buywithprime/NAME",
            )
        ]
    return [passed(SOURCE, f"{bus}: ACTIVE, associated with its bus")]


def rules(view: StackView) -> list[Finding]:
    bus = view.partner_bus
    events = view.client("events")
    findings = []
    for arn, expected in sorted(view.target.rule_targets.items()):
        name = arn.rsplit("/", 1)[-1]
        check = f"rule {name}"
        try:
            rule = events.describe_rule(Name=name, EventBusName=bus)
        except events.exceptions.ResourceNotFoundException:
            findings.append(
                failed(check, f"not on {bus}", "`make deploy` again (the stack makes it)")
            )
            continue
        targets = events.list_targets_by_rule(Rule=name, EventBusName=bus).get("Targets", [])
        target = next((t for t in targets if t["Arn"] == expected), None)
        if rule.get("State") != "ENABLED":
            findings.append(
                failed(
                    check,
                    f"{rule.get('State')}: its events go nowhere",
                    f"aws events enable-rule --name {name} --event-bus-name {bus}",
                )
            )
        elif target is None:
            findings.append(
                failed(
                    check,
                    f"does not target {expected.rsplit(':', 1)[-1]}",
                    "`make deploy` again (the stack sets the rule's target)",
                )
            )
        elif not target.get("DeadLetterConfig"):
            findings.append(
                warned(
                    check,
                    "its target has no dead-letter queue: an event EventBridge cannot deliver"
                    " is lost",
                    "`make deploy` again (the stack sets it)",
                )
            )
        else:
            findings.append(
                passed(
                    check,
                    f"ENABLED on {bus}, to {expected.rsplit(':', 1)[-1]}, with its dead-letter"
                    " queue",
                )
            )
    if not findings:
        findings.append(failed("rules", "the stack names no rule", "deploy this version"))
    return findings
