"""Deploy the template into the local AWS, from template.yaml itself.

moto cannot run the SAM transform or CloudFormation's intrinsics the way AWS does, so the
sandbox plays CloudFormation: it creates each stateful resource from its declared properties
(one source of truth for keys, indexes and attributes), then resolves the transformed
template against those resources and the stack's parameters. That gives every function the
environment variables and the execution role (`bwp_sandbox.iam`) it has in AWS.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bwp_sandbox.admin import admin_client
from bwp_sandbox.iam import (
    FunctionSpec,
    PhysicalResource,
    Statement,
    TemplateResolver,
    function_specs,
    managed_policy,
    transformed_template,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = PROJECT_ROOT / "template.yaml"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
STACK_NAME = "bwp-privacy"

_TABLE_KEYS = (
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
)
_TABLES = (
    "ApiBudgetTable",
    "FailuresTable",
    "DeliveryLedgerTable",
    "CasesTable",
    "SilencesTable",
    "AuditTable",
)
#: The managed policy every operator of the stack holds (the CLI's caller, here).
OPERATOR_GUARD = "AuditGuardPolicy"
#: The managed policy that lets an operator ask the reaction to act (its function URL).
OPERATOR_POLICY = "OperatorPolicy"
#: The nested application every dead-letter queue is (its outputs: QueueArn, QueueUrl...).
DEAD_LETTER_QUEUE = "templates/dead-letter-queue.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that keeps CloudFormation short-form tags (!Ref, !Sub...) as plain data."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}  # type: ignore[arg-type]


_CfnLoader.add_multi_constructor("!", _tag)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """Parse template.yaml, short-form intrinsic functions included (a copy: callers may
    change it; the parse itself is kept while the file is unchanged)."""
    status = path.stat()
    return copy.deepcopy(_parsed(path, status.st_mtime_ns, status.st_size))


@functools.lru_cache(maxsize=8)
def _parsed(path: Path, mtime_ns: int, size: int) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506
    return loaded


@dataclass(frozen=True)
class LocalStack:
    """The deployed stack: resource names, and what the template makes of its parameters."""

    failures_table_name: str
    failures_topic_arn: str
    tap_queue_url: str
    rule_dlq_url: str
    on_failure_queue_url: str
    ledger_table_name: str
    alert_queue_url: str
    alert_dlq_url: str
    partner_bus_arn: str
    rule_arn: str
    archive_arn: str
    rule_target_queue_url: str
    cases_table_name: str
    reaction_queue_url: str
    reaction_dlq_url: str
    #: InboundQueue (Slack's and PagerDuty's actions, for the reaction) and its DLQ.
    inbound_queue_url: str
    inbound_dlq_url: str
    schedule_group_name: str
    schedule_dlq_url: str
    completed_rule_arn: str
    completed_rule_target_queue_url: str
    parameters: dict[str, str] = field(default_factory=dict)
    resources: dict[str, PhysicalResource] = field(default_factory=dict)
    template: Path = TEMPLATE
    #: Verified Slack and PagerDuty requests, for the reaction (InboundQueue).

    def resolver(self, parameters: Mapping[str, str] | None = None) -> TemplateResolver:
        """The template's intrinsics, resolved for these resources and parameter values."""
        return TemplateResolver(
            transformed_template(self.template),
            {**self.parameters, **(parameters or {})},
            self.resources,
            region=REGION,
            account=ACCOUNT_ID,
            stack_name=STACK_NAME,
        )

    def functions(self, parameters: Mapping[str, str] | None = None) -> dict[str, FunctionSpec]:
        """Each function's role and environment with these parameters (default: the stack's)."""
        resolver = self.resolver(parameters)
        return function_specs(transformed_template(self.template), resolver)

    def operator_guard(self) -> tuple[Statement, ...]:
        """What README asks every operator to hold: the audit trail's append-only guard."""
        return managed_policy(transformed_template(self.template), OPERATOR_GUARD, self.resolver())

    def operator_policies(self) -> tuple[Statement, ...]:
        """Everything an operator holds, as README has it attached: OperatorPolicy (what
        lets them ask the reaction to act) beside AuditGuardPolicy."""
        granted = managed_policy(
            transformed_template(self.template), OPERATOR_POLICY, self.resolver()
        )
        return granted + self.operator_guard()

    @property
    def audit_table_name(self) -> str:
        return self.resources["AuditTable"].ref

    @property
    def silences_table_name(self) -> str:
        return self.resources["SilencesTable"].ref


def deploy_local_stack(
    parameters: Mapping[str, str], prefix: str = STACK_NAME, template: Path = TEMPLATE
) -> LocalStack:
    """Create the stack's resources in whatever AWS endpoint boto3 is pointed at.

    A "tap" queue is subscribed to the failures topic (raw delivery) so that the demo and the
    tests can read what was published.
    """
    resources = load_template(template)["Resources"]
    physical: dict[str, PhysicalResource] = {}
    dynamodb = admin_client("dynamodb")
    for logical_id in _TABLES:
        name = f"{prefix}-{logical_id}"
        properties = resources[logical_id]["Properties"]
        table = dynamodb.create_table(
            TableName=name, **{k: properties[k] for k in _TABLE_KEYS if k in properties}
        )["TableDescription"]
        ttl = properties.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        physical[logical_id] = PhysicalResource(name, {"Arn": table["TableArn"]})
    key = admin_client("kms").create_key(
        Description=resources["AlertsKey"]["Properties"]["Description"]
    )["KeyMetadata"]
    physical["AlertsKey"] = PhysicalResource(key["KeyId"], {"Arn": key["Arn"]})
    sqs = admin_client("sqs")
    # Each dead-letter queue is a nested stack: CloudFormation's GetAtt X.Outputs.QueueArn.
    dlq = load_template(PROJECT_ROOT / DEAD_LETTER_QUEUE)["Resources"]["Queue"]["Properties"]
    for logical_id in dead_letter_queues(resources):
        name = f"{prefix}-{logical_id}"
        url = sqs.create_queue(
            QueueName=name,
            Attributes={"MessageRetentionPeriod": str(dlq["MessageRetentionPeriod"])},
        )["QueueUrl"]
        outputs = {"QueueArn": queue_arn(url), "QueueName": name, "QueueUrl": url}
        physical[logical_id] = PhysicalResource(
            f"{name}-stack", {f"Outputs.{key}": value for key, value in outputs.items()}
        )
    declared = resources["AlertQueue"]["Properties"]
    dead_letters = physical["AlertDeadLetterQueue"].attributes["Outputs.QueueArn"]
    url = sqs.create_queue(
        QueueName=f"{prefix}-AlertQueue",
        Attributes={
            "VisibilityTimeout": str(declared["VisibilityTimeout"]),
            "MessageRetentionPeriod": str(declared["MessageRetentionPeriod"]),
            "RedrivePolicy": json.dumps(
                {
                    "deadLetterTargetArn": dead_letters,
                    "maxReceiveCount": int(parameters.get("RouterMaxReceiveCount", 5)),
                }
            ),
        },
    )["QueueUrl"]
    physical["AlertQueue"] = PhysicalResource(
        url, {"Arn": queue_arn(url), "QueueName": f"{prefix}-AlertQueue", "QueueUrl": url}
    )
    topic_name = f"{prefix}-FailuresTopic"
    topic_arn = admin_client("sns").create_topic(
        Name=topic_name, Attributes={"KmsMasterKeyId": key["Arn"]}
    )["TopicArn"]
    physical["FailuresTopic"] = PhysicalResource(topic_arn, {"TopicName": topic_name})
    tap = sqs.create_queue(QueueName=f"{prefix}-FailuresTap")["QueueUrl"]
    subscribe_queue(topic_arn, tap)
    subscribe_queue(topic_arn, physical["AlertQueue"].ref)
    reaction = _reaction(prefix, resources, physical, topic_arn)
    inbound = _inbound_queue(prefix, resources, physical)
    rule_dlq = physical["RuleDeadLetterQueue"].attributes["Outputs.QueueArn"]
    partner = _partner_bus(prefix, resources, parameters["PartnerEventBusName"], rule_dlq)
    physical["RecorderFunctionDeletionTaskFailed"] = PhysicalResource(
        f"{prefix}-recorder", {"Arn": partner["rule_arn"]}
    )
    physical["DeletionTaskFailedArchive"] = PhysicalResource(
        f"{prefix}-archive", {"Arn": partner["archive_arn"]}
    )
    completed = _completed_rule(prefix, resources, parameters["PartnerEventBusName"], rule_dlq)
    physical["ReactionFunctionDeletionTaskCompleted"] = PhysicalResource(
        f"{prefix}-reaction", {"Arn": completed["completed_rule_arn"]}
    )
    # ReactionFunction is named in the template (${AWS::StackName}-reaction).
    names = {"ReactionFunction": f"{prefix}-reaction"}
    for function in (
        "RecorderFunction",
        "AlertRouterFunction",
        "ReactionFunction",
        "DeadlineWatchFunction",
        "InboundFunction",
    ):
        name = names.get(function, f"{prefix}-{function}")
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
        physical[function] = PhysicalResource(name, {"Arn": arn})
    stack = LocalStack(
        failures_table_name=physical["FailuresTable"].ref,
        failures_topic_arn=topic_arn,
        tap_queue_url=tap,
        rule_dlq_url=physical["RuleDeadLetterQueue"].attributes["Outputs.QueueUrl"],
        on_failure_queue_url=physical["OnFailureQueue"].attributes["Outputs.QueueUrl"],
        ledger_table_name=physical["DeliveryLedgerTable"].ref,
        alert_queue_url=physical["AlertQueue"].ref,
        alert_dlq_url=physical["AlertDeadLetterQueue"].attributes["Outputs.QueueUrl"],
        parameters=dict(parameters),
        resources=physical,
        template=template,
        **partner,
        **reaction,
        **inbound,
        **completed,
    )
    create_alarms(stack)
    return stack


#: The nested application every single alarm is (its parameters: the alarm's settings).
ALARM = "templates/alarm.yaml"


def create_alarms(stack: LocalStack) -> list[str]:
    """The template's alarms, in CloudWatch: each alarm application's, and each dead-letter
    queue's "not empty" alarm, as their nested templates define them (names, metrics,
    dimensions, thresholds; actions when AlarmTopicArn is set). Their names."""
    resolver = stack.resolver()
    # The transformed template: its intrinsics are the long form the resolver reads.
    declared = transformed_template(stack.template)["Resources"]
    defaults = {
        name: spec.get("Default")
        for name, spec in load_template(PROJECT_ROOT / ALARM)["Parameters"].items()
    }
    dlq_alarm = load_template(PROJECT_ROOT / DEAD_LETTER_QUEUE)["Resources"]["NotEmptyAlarm"]
    cloudwatch = admin_client("cloudwatch")
    names = []
    for logical_id, resource in declared.items():
        location = (resource.get("Properties") or {}).get("TemplateURL")
        if resource["Type"] != "AWS::CloudFormation::Stack" or location not in (
            ALARM,
            DEAD_LETTER_QUEUE,
        ):
            continue
        if "Condition" in resource and not resolver.condition(resource["Condition"]):
            continue
        given = resolver.resolve(resource["Properties"]["Parameters"])
        if location == ALARM:
            settings = {**defaults, **given}
            dimension = {"Name": settings["DimensionName"], "Value": settings["DimensionValue"]}
        else:
            queue = stack.resources[logical_id].attributes["Outputs.QueueName"]
            settings = {**dlq_alarm["Properties"], **given}
            dimension = {"Name": "QueueName", "Value": queue}
        topic = given.get("AlarmTopicArn") or ""
        cloudwatch.put_metric_alarm(
            AlarmName=settings["AlarmName"],
            AlarmDescription=settings["AlarmDescription"],
            Namespace=settings["Namespace"],
            MetricName=settings["MetricName"],
            Dimensions=[dimension],
            Statistic=settings["Statistic"],
            Period=300,
            EvaluationPeriods=1,
            Threshold=float(settings["Threshold"]),
            ComparisonOperator=settings["ComparisonOperator"],
            TreatMissingData="notBreaching",
            AlarmActions=[topic] if topic else [],
            OKActions=[topic] if topic else [],
        )
        names.append(settings["AlarmName"])
    return names


def _reaction(
    prefix: str,
    resources: dict[str, Any],
    physical: dict[str, PhysicalResource],
    topic_arn: str,
) -> dict[str, str]:
    """The reaction's queue (subscribed to the failures topic with the template's filter
    policy), its schedule group and the role its schedules run with."""
    sqs = admin_client("sqs")
    declared = resources["ReactionQueue"]["Properties"]
    dead_letters = physical["ReactionDeadLetterQueue"].attributes["Outputs.QueueArn"]
    url = sqs.create_queue(
        QueueName=f"{prefix}-ReactionQueue",
        Attributes={
            "VisibilityTimeout": str(declared["VisibilityTimeout"]),
            "MessageRetentionPeriod": str(declared["MessageRetentionPeriod"]),
            "RedrivePolicy": json.dumps(
                {
                    "deadLetterTargetArn": dead_letters,
                    "maxReceiveCount": int(declared["RedrivePolicy"]["maxReceiveCount"]),
                }
            ),
        },
    )["QueueUrl"]
    physical["ReactionQueue"] = PhysicalResource(
        url, {"Arn": queue_arn(url), "QueueName": f"{prefix}-ReactionQueue", "QueueUrl": url}
    )
    subscription = resources["ReactionQueueSubscription"]["Properties"]
    subscribe_queue(topic_arn, url, subscription["FilterPolicy"])
    group = f"{prefix}-attempts"
    group_arn = admin_client("scheduler").create_schedule_group(Name=group)["ScheduleGroupArn"]
    physical["ScheduleGroup"] = PhysicalResource(group, {"Arn": group_arn})
    role = f"{prefix}-SchedulerRole"
    physical["SchedulerRole"] = PhysicalResource(
        role, {"Arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{role}"}
    )
    return {
        "cases_table_name": physical["CasesTable"].ref,
        "reaction_queue_url": url,
        "reaction_dlq_url": physical["ReactionDeadLetterQueue"].attributes["Outputs.QueueUrl"],
        "schedule_group_name": group,
        "schedule_dlq_url": physical["ScheduleDeadLetterQueue"].attributes["Outputs.QueueUrl"],
    }


def _inbound_queue(
    prefix: str, resources: dict[str, Any], physical: dict[str, PhysicalResource]
) -> dict[str, str]:
    """InboundQueue, as declared (its condition, HasInbound, is the parameters' business: the
    queue is always there locally, and the reaction reads it only when the template gives it
    INBOUND_QUEUE_ARN); the sandbox plays its event source (`bwp_sandbox.event_source`)."""
    declared = resources["InboundQueue"]["Properties"]
    dead_letters = physical["InboundDeadLetterQueue"].attributes
    url = admin_client("sqs").create_queue(
        QueueName=f"{prefix}-InboundQueue",
        Attributes={
            "VisibilityTimeout": str(declared["VisibilityTimeout"]),
            "MessageRetentionPeriod": str(declared["MessageRetentionPeriod"]),
            "RedrivePolicy": json.dumps(
                {
                    "deadLetterTargetArn": dead_letters["Outputs.QueueArn"],
                    "maxReceiveCount": int(declared["RedrivePolicy"]["maxReceiveCount"]),
                }
            ),
        },
    )["QueueUrl"]
    physical["InboundQueue"] = PhysicalResource(
        url, {"Arn": queue_arn(url), "QueueName": f"{prefix}-InboundQueue", "QueueUrl": url}
    )
    return {"inbound_queue_url": url, "inbound_dlq_url": dead_letters["Outputs.QueueUrl"]}


def _completed_rule(
    prefix: str, resources: dict[str, Any], bus: str, dead_letters: str
) -> dict[str, str]:
    """The reaction's COMPLETED rule on the partner bus, targeting a queue the sandbox reads
    (as for the recorder's rule: moto cannot run a Lambda target)."""
    events = admin_client("events")
    function = resources["ReactionFunction"]["Properties"]
    pattern = json.dumps(function["Events"]["DeletionTaskCompleted"]["Properties"]["Pattern"])
    rule_arn = events.put_rule(Name=f"{prefix}-reaction", EventBusName=bus, EventPattern=pattern)[
        "RuleArn"
    ]
    target = admin_client("sqs").create_queue(QueueName=f"{prefix}-ReactionRuleTarget")["QueueUrl"]
    rule = function["Events"]["DeletionTaskCompleted"]["Properties"]
    events.put_targets(
        Rule=f"{prefix}-reaction",
        EventBusName=bus,
        Targets=[_rule_target(queue_arn(target), rule, dead_letters)],
    )
    return {"completed_rule_arn": rule_arn, "completed_rule_target_queue_url": target}


def _rule_target(arn: str, rule: dict[str, Any], dead_letters: str) -> dict[str, Any]:
    """A rule's target as the template sets it: its retries and its dead-letter queue."""
    return {
        "Id": "function",
        "Arn": arn,
        "RetryPolicy": rule["RetryPolicy"],
        "DeadLetterConfig": {"Arn": dead_letters},
    }


def _partner_bus(
    prefix: str, resources: dict[str, Any], bus: str, dead_letters: str
) -> dict[str, str]:
    """The template's rule and archive on the partner bus, which exists before the stack (as
    in AWS: `bwp-privacy setup` associates the partner event source with it first).

    Lambda targets cannot run in moto: the rule targets a queue, and whoever plays the
    function (the CLI) reads it.
    """
    events = admin_client("events")
    bus_arn = events.describe_event_bus(Name=bus)["Arn"]
    function = resources["RecorderFunction"]["Properties"]
    pattern = json.dumps(function["Events"]["DeletionTaskFailed"]["Properties"]["Pattern"])
    archive = resources["DeletionTaskFailedArchive"]["Properties"]
    archive_arn = events.create_archive(
        ArchiveName=f"{prefix}-archive",
        EventSourceArn=bus_arn,
        EventPattern=json.dumps(archive["EventPattern"]),
    )["ArchiveArn"]
    rule_arn = events.put_rule(Name=f"{prefix}-recorder", EventBusName=bus, EventPattern=pattern)[
        "RuleArn"
    ]
    sqs = admin_client("sqs")
    target = sqs.create_queue(QueueName=f"{prefix}-RuleTarget")["QueueUrl"]
    events.put_targets(
        Rule=f"{prefix}-recorder",
        EventBusName=bus,
        Targets=[
            _rule_target(
                queue_arn(target),
                function["Events"]["DeletionTaskFailed"]["Properties"],
                dead_letters,
            )
        ],
    )
    return {
        "partner_bus_arn": bus_arn,
        "rule_arn": rule_arn,
        "archive_arn": archive_arn,
        "rule_target_queue_url": target,
    }


def dead_letter_queues(resources: Mapping[str, Any]) -> list[str]:
    """The logical ids of the template's dead-letter queues (nested applications)."""
    return [
        logical_id
        for logical_id, resource in resources.items()
        if resource.get("Type") == "AWS::Serverless::Application"
        and resource["Properties"]["Location"] == DEAD_LETTER_QUEUE
    ]


def queue_arn(queue_url: str) -> str:
    """The ARN of a queue, from its URL."""
    attributes = admin_client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["QueueArn"]
    )["Attributes"]
    return str(attributes["QueueArn"])


def subscribe_queue(
    topic_arn: str, queue_url: str, filter_policy: dict[str, Any] | None = None
) -> str:
    """Subscribe an SQS queue to a topic with raw message delivery; return the subscription."""
    attributes = {"RawMessageDelivery": "true"}
    if filter_policy is not None:
        attributes["FilterPolicy"] = json.dumps(filter_policy)
    answer = admin_client("sns").subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn(queue_url), Attributes=attributes
    )
    return str(answer["SubscriptionArn"])


def queue_depth(queue_url: str) -> tuple[int, int]:
    """(visible, in flight) messages of a queue, as SQS approximates them."""
    counts = admin_client("sqs").get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(counts["ApproximateNumberOfMessages"]),
        int(counts["ApproximateNumberOfMessagesNotVisible"]),
    )


def drain_queue(queue_url: str, max_messages: int = 1000) -> list[dict[str, Any]]:
    """Receive and delete every message now in a queue (body and attributes)."""
    sqs = admin_client("sqs")
    messages: list[dict[str, Any]] = []
    while len(messages) < max_messages:
        batch = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            AttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not batch:
            return messages
        for message in batch:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        messages.extend(batch)
    return messages


def purge(queue_url: str) -> None:
    """Empty a queue (what a rule delivered before anyone was there to read it)."""
    admin_client("sqs").purge_queue(QueueUrl=queue_url)
