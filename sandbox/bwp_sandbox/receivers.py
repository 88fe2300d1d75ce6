"""Point every alert receiver at the sandbox: secrets naming the sink, a chat topic, a bus."""

from __future__ import annotations

import json
from dataclasses import dataclass

import boto3

from bwp_sandbox.sink import ReceiverSink
from bwp_sandbox.stack import queue_arn, subscribe_queue

PAGERDUTY_ROUTING_KEY = "local-routing-key-0000000000000000"


@dataclass(frozen=True)
class LocalReceivers:
    """Router settings for all six receivers, and the queues that show AWS-side deliveries."""

    env: dict[str, str]
    amazon_q_queue_url: str
    eventbridge_queue_url: str


def configure_receivers(
    sink: ReceiverSink,
    prefix: str = "bwp-privacy",
    *,
    routing_key: str = PAGERDUTY_ROUTING_KEY,
    hook_path: str = "local",
) -> LocalReceivers:
    """Create the receivers' secrets, the Amazon Q topic and the alert bus in the local AWS.

    ``routing_key`` and ``hook_path`` (the secret part of the webhook URLs) can be canaries.
    """
    secrets = boto3.client("secretsmanager")
    values = {
        "PAGERDUTY_SECRET_ID": {"routingKey": routing_key},
        "SLACK_SECRET_ID": {"webhookUrl": sink.url("slack", f"T000/B000/{hook_path}")},
        "TEAMS_SECRET_ID": {"webhookUrl": sink.url("teams", f"workflows/{hook_path}")},
        "WEBHOOK_SECRET_ID": {
            "url": sink.url("webhook", hook_path),
            "signingSecret": sink.webhook_secret,
        },
    }
    env: dict[str, str] = {}
    for setting, value in values.items():
        name = f"{prefix}/{setting.removesuffix('_SECRET_ID').lower()}"
        secrets.create_secret(Name=name, SecretString=json.dumps(value))
        env[setting] = name
    env["PAGERDUTY_EVENTS_URL"] = sink.url("pagerduty")

    sqs = boto3.client("sqs")
    chat_topic = boto3.client("sns").create_topic(Name=f"{prefix}-AmazonQ")["TopicArn"]
    chat_queue = sqs.create_queue(QueueName=f"{prefix}-AmazonQTap")["QueueUrl"]
    subscribe_queue(chat_topic, chat_queue)
    env["AMAZON_Q_TOPIC_ARN"] = chat_topic

    events = boto3.client("events")
    bus = f"{prefix}-alerts"
    events.create_event_bus(Name=bus)
    bus_queue = sqs.create_queue(QueueName=f"{prefix}-AlertBusTap")["QueueUrl"]
    bus_queue_arn = queue_arn(bus_queue)
    events.put_rule(
        Name=f"{prefix}-all-alerts",
        EventBusName=bus,
        EventPattern=json.dumps({"source": ["bwp-privacy"]}),
    )
    events.put_targets(
        Rule=f"{prefix}-all-alerts", EventBusName=bus, Targets=[{"Id": "tap", "Arn": bus_queue_arn}]
    )
    env["ALERT_EVENT_BUS_NAME"] = bus
    return LocalReceivers(env=env, amazon_q_queue_url=chat_queue, eventbridge_queue_url=bus_queue)
