"""Create the template's stateful resources in the local AWS, from template.yaml itself.

moto cannot run the SAM transform, so the tables are built from their declared properties
(one source of truth for keys and indexes) and the topic and queues by name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = PROJECT_ROOT / "template.yaml"

_TABLE_KEYS = (
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
)


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
    """Parse template.yaml, short-form intrinsic functions included."""
    loaded: dict[str, Any] = yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506
    return loaded


@dataclass(frozen=True)
class LocalStack:
    """Names of the resources the functions are configured with."""

    failures_table_name: str
    idempotency_table_name: str
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

    def function_env(self) -> dict[str, str]:
        """Environment variables the template gives DeletionTaskFailedFunction."""
        return {
            "FAILURES_TABLE_NAME": self.failures_table_name,
            "FAILURES_TOPIC_ARN": self.failures_topic_arn,
            "IDEMPOTENCY_TABLE_NAME": self.idempotency_table_name,
        }

    def router_env(self) -> dict[str, str]:
        """Environment variables the template gives AlertRouterFunction (receivers aside)."""
        return {"LEDGER_TABLE_NAME": self.ledger_table_name}


def deploy_local_stack(prefix: str = "bwp-privacy", template: Path = TEMPLATE) -> LocalStack:
    """Create tables, topic and queues in whatever AWS endpoint boto3 is pointed at.

    A "tap" queue is subscribed to the failures topic (raw delivery) so that the demo and the
    tests can read what was published.
    """
    resources = load_template(template)["Resources"]
    dynamodb = boto3.client("dynamodb")
    tables = {}
    for logical_id in ("FailuresTable", "IdempotencyTable", "DeliveryLedgerTable"):
        name = f"{prefix}-{logical_id}"
        properties = resources[logical_id]["Properties"]
        dynamodb.create_table(
            TableName=name, **{k: properties[k] for k in _TABLE_KEYS if k in properties}
        )
        ttl = properties.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        tables[logical_id] = name
    sqs = boto3.client("sqs")
    sns = boto3.client("sns")
    topic_arn = sns.create_topic(Name=f"{prefix}-FailuresTopic")["TopicArn"]
    queues = {
        logical_id: sqs.create_queue(QueueName=f"{prefix}-{logical_id}")["QueueUrl"]
        for logical_id in (
            "FailuresTap",
            "RuleDeadLetterQueue",
            "OnFailureQueue",
            "AlertDeadLetterQueue",
        )
    }
    alert_queue = resources["AlertQueue"]["Properties"]
    queues["AlertQueue"] = sqs.create_queue(
        QueueName=f"{prefix}-AlertQueue",
        Attributes={
            "VisibilityTimeout": str(alert_queue["VisibilityTimeout"]),
            "RedrivePolicy": json.dumps(
                {
                    "deadLetterTargetArn": queue_arn(queues["AlertDeadLetterQueue"]),
                    "maxReceiveCount": 5,
                }
            ),
        },
    )["QueueUrl"]
    subscribe_queue(topic_arn, queues["FailuresTap"])
    subscribe_queue(topic_arn, queues["AlertQueue"])
    partner = _partner_bus(prefix, resources)
    return LocalStack(
        failures_table_name=tables["FailuresTable"],
        idempotency_table_name=tables["IdempotencyTable"],
        failures_topic_arn=topic_arn,
        tap_queue_url=queues["FailuresTap"],
        rule_dlq_url=queues["RuleDeadLetterQueue"],
        on_failure_queue_url=queues["OnFailureQueue"],
        ledger_table_name=tables["DeliveryLedgerTable"],
        alert_queue_url=queues["AlertQueue"],
        alert_dlq_url=queues["AlertDeadLetterQueue"],
        **partner,
    )


def _partner_bus(prefix: str, resources: dict[str, Any]) -> dict[str, str]:
    """The partner bus with the template's rule and archive.

    moto keeps only the last segment of a name with "/", so the local bus has a plain name.
    Lambda targets cannot run in moto: the rule targets a queue, and whoever plays the
    function (the CLI) reads it.
    """
    events = boto3.client("events")
    bus = f"{prefix}-partner-bus"
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    function = resources["DeletionTaskFailedFunction"]["Properties"]
    pattern = json.dumps(function["Events"]["DeletionTaskFailed"]["Properties"]["Pattern"])
    archive = resources["DeletionTaskFailedArchive"]["Properties"]
    archive_arn = events.create_archive(
        ArchiveName=f"{prefix}-archive",
        EventSourceArn=bus_arn,
        EventPattern=json.dumps(archive["EventPattern"]),
    )["ArchiveArn"]
    rule_arn = events.put_rule(
        Name=f"{prefix}-DeletionTaskFailed", EventBusName=bus, EventPattern=pattern
    )["RuleArn"]
    sqs = boto3.client("sqs")
    target = sqs.create_queue(QueueName=f"{prefix}-RuleTarget")["QueueUrl"]
    events.put_targets(
        Rule=f"{prefix}-DeletionTaskFailed",
        EventBusName=bus,
        Targets=[{"Id": "function", "Arn": queue_arn(target)}],
    )
    return {
        "partner_bus_arn": bus_arn,
        "rule_arn": rule_arn,
        "archive_arn": archive_arn,
        "rule_target_queue_url": target,
    }


def queue_arn(queue_url: str) -> str:
    """The ARN of a queue, from its URL."""
    attributes = boto3.client("sqs").get_queue_attributes(
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
    answer = boto3.client("sns").subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn(queue_url), Attributes=attributes
    )
    return str(answer["SubscriptionArn"])


def queue_depth(queue_url: str) -> tuple[int, int]:
    """(visible, in flight) messages of a queue, as SQS approximates them."""
    counts = boto3.client("sqs").get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(counts["ApproximateNumberOfMessages"]),
        int(counts["ApproximateNumberOfMessagesNotVisible"]),
    )


def drain_queue(queue_url: str, max_messages: int = 1000) -> list[dict[str, Any]]:
    """Receive and delete every message now in a queue (body and attributes)."""
    sqs = boto3.client("sqs")
    messages: list[dict[str, Any]] = []
    while len(messages) < max_messages:
        batch = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not batch:
            return messages
        for message in batch:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        messages.extend(batch)
    return messages
