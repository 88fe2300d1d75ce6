"""Is the stack running well: the schedule group of the attempts, the alarms, the
dead-letter queues, when the last failure was recorded, and (only AWS can tell) the account's
Lambda concurrency."""

from __future__ import annotations

from datetime import UTC, datetime

from bwp_privacy.api_budget import DEFAULT_REQUESTS_PER_SECOND
from bwp_privacy_cli.doctor.findings import Finding, failed, passed, warned
from bwp_privacy_cli.doctor.view import DEAD_LETTER_QUEUES, StackView

#: Lambda keeps this much of an account's concurrency unreserved.
UNRESERVED_FLOOR = 100


def schedule_group(view: StackView) -> list[Finding]:
    name = view.target.reaction_env.get("SCHEDULE_GROUP_NAME")
    if not name:
        return [failed("schedule group", "the stack has no reaction", "deploy this version")]
    scheduler = view.client("scheduler")
    try:
        state = scheduler.get_schedule_group(Name=name).get("State")
    except scheduler.exceptions.ResourceNotFoundException:
        return [
            failed(
                "schedule group",
                f"no {name}: no attempt can be scheduled",
                "`make deploy` again (the stack makes it)",
            )
        ]
    if state != "ACTIVE":
        return [failed("schedule group", f"{name} is {state}", "`make deploy` again")]
    return [passed("schedule group", f"{name}: ACTIVE")]


def alarms(view: StackView) -> list[Finding]:
    cloudwatch = view.client("cloudwatch")
    found = [
        alarm
        for page in cloudwatch.get_paginator("describe_alarms").paginate(
            AlarmNamePrefix=view.alarm_prefix
        )
        for alarm in page.get("MetricAlarms", [])
    ]
    if not found:
        return [
            warned(
                "alarms",
                f"no alarm named {view.alarm_prefix}*: nothing watches the stack",
                "deploy this version",
            )
        ]
    firing = [a for a in found if a["StateValue"] == "ALARM"]
    if firing:
        return [
            failed(
                f"alarm {a['AlarmName']}",
                f"ALARM since {_when(a.get('StateUpdatedTimestamp'))}",
                str(a.get("AlarmDescription") or "see the dashboard"),
            )
            for a in firing
        ]
    quiet = sum(a["StateValue"] == "INSUFFICIENT_DATA" for a in found)
    detail = f"{len(found)} alarms, none in ALARM"
    return [passed("alarms", detail + (f" ({quiet} without data yet)" if quiet else ""))]


def dead_letter_queues(view: StackView) -> list[Finding]:
    sqs = view.client("sqs")
    findings = []
    checked = 0
    for name in DEAD_LETTER_QUEUES:
        url = view.target.queues.get(name)
        if not url:
            continue
        checked += 1
        count = int(
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"
            ]["ApproximateNumberOfMessages"]
        )
        if count:
            findings.append(
                failed(
                    f"dead-letter queue {name}",
                    f"{count} message(s) wait for a person",
                    f"`bwp-privacy dlq list --queue {name}`, fix the cause, then"
                    f" `bwp-privacy dlq redrive --queue {name}`",
                )
            )
    if not findings:
        findings.append(passed("dead-letter queues", f"all {checked} empty"))
    return findings


def last_failure(view: StackView) -> list[Finding]:
    latest = view.latest_failure
    if latest is None:
        return [passed("last failure", f"none recorded in the last {view.recent_days} days")]
    received = str(latest.get("receivedAt"))
    return [
        passed(
            "last failure",
            f"recorded {received} ({_ago(received)}): task {latest.get('taskId')}",
        )
    ]


def concurrency(view: StackView) -> list[Finding]:
    """Only the account can tell: how much concurrency it has for the functions."""
    limit = view.client("lambda").get_account_settings()["AccountLimit"]
    quota = int(limit["ConcurrentExecutions"])
    unreserved = int(limit["UnreservedConcurrentExecutions"])
    reserved = view.target.parameters.get("RecorderReservedConcurrency", "0")
    reaction = view.target.parameters.get("ReactionReservedConcurrency", "0")
    budget = view.target.parameters.get("ApiRequestsPerSecond", f"{DEFAULT_REQUESTS_PER_SECOND:g}")
    # InboundFunction's bound, on a stack that has it (its URL is open to the internet).
    inbound_reserved = view.target.parameters.get("InboundReservedConcurrency", "0")
    inbound = (
        f", InboundReservedConcurrency is {inbound_reserved}" if view.target.inbound_url else ""
    )
    if quota <= UNRESERVED_FLOOR:
        return [
            warned(
                "concurrency",
                f"the account's Lambda quota is {quota}: nothing can be reserved (Lambda keeps"
                f" {UNRESERVED_FLOOR} unreserved) and a storm of failures is throttled early",
                "ask for a higher 'Concurrent executions' quota in Service Quotas (Lambda)",
            )
        ]
    detail = (
        f"the account's Lambda quota is {quota}, {unreserved} unreserved;"
        f" RecorderReservedConcurrency is {reserved}, ReactionReservedConcurrency is"
        f" {reaction}{inbound}; the API budget is {budget} requests a second"
    )
    if "0" in (reserved, reaction):
        # Measured by the storm model (docs/performance.md, "Storms"): unreserved, a storm
        # takes the account's whole concurrency, and what the budget cannot take in time is
        # parked in OnFailureQueue.
        return [
            warned(
                "concurrency",
                f"{detail}: a storm of failures would take the account's whole concurrency,"
                " and park in OnFailureQueue the events the API budget cannot take in time",
                "deploy with RecorderReservedConcurrency=10 ReactionReservedConcurrency=10"
                f" (this account can reserve {unreserved - UNRESERVED_FLOOR} in all;"
                " README, 'Storms')",
            )
        ]
    return [passed("concurrency", detail)]


def _when(moment: object) -> str:
    return moment.isoformat() if isinstance(moment, datetime) else str(moment or "?")


def _ago(received: str) -> str:
    try:
        then = datetime.fromisoformat(received.replace("Z", "+00:00"))
    except ValueError:
        return "when unknown"
    days = (datetime.now(UTC) - then).days
    return "today" if days <= 0 else f"{days} day{'s' if days > 1 else ''} ago"


def operator_url(view: StackView) -> list[Finding]:
    """Operators act through the reaction's function URL: it must take signed requests only
    (AuthType AWS_IAM), or anyone could act in anyone's name."""
    url = view.target.operator_url
    if not url:
        return [
            failed("operator URL", "the stack has no OperatorUrl output", "deploy this version")
        ]
    if view.sandbox:
        return [passed("operator URL", f"{url}: the sandbox's, signed requests only (AWS_IAM)")]
    function = str(getattr(view.target, "reaction_arn", ""))
    config = view.client("lambda").get_function_url_config(FunctionName=function)
    if config.get("AuthType") != "AWS_IAM":
        return [
            failed(
                "operator URL",
                f"{url} takes requests with AuthType {config.get('AuthType')}: anyone could act"
                " on cases",
                "`make deploy` again (the template sets AuthType AWS_IAM), and read the audit"
                " trail for actions you do not know",
            )
        ]
    return [passed("operator URL", f"{url}: signed requests only (AWS_IAM)")]
