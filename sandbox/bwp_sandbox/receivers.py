"""Point every alert receiver at the sandbox: secrets naming the sink, a chat topic, a bus."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bwp_sandbox.admin import admin_client
from bwp_sandbox.sink import ReceiverSink
from bwp_sandbox.stack import queue_arn, subscribe_queue

PAGERDUTY_ROUTING_KEY = "local-routing-key-0000000000000000"
#: Template parameter of each receiver secret, and where that secret's name comes from.
_SECRET_PARAMETERS = {
    "PagerDutySecretName": "pagerduty",
    "SlackSecretName": "slack",
    "TeamsSecretName": "teams",
    "WebhookSecretName": "webhook",
}


@dataclass(frozen=True)
class LocalReceivers:
    """The stack parameters that turn all six receivers on, the router settings the template
    leaves to its defaults (PagerDuty's endpoint), and the queues that show AWS deliveries."""

    parameters: dict[str, str]
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
    secrets = admin_client("secretsmanager")
    values = {
        "pagerduty": {"routingKey": routing_key},
        "slack": {"webhookUrl": sink.url("slack", f"T000/B000/{hook_path}")},
        "teams": {"webhookUrl": sink.url("teams", f"workflows/{hook_path}")},
        "webhook": {"url": sink.url("webhook", hook_path), "signingSecret": sink.webhook_secret},
    }
    parameters: dict[str, str] = {}
    for parameter, kind in _SECRET_PARAMETERS.items():
        name = f"{prefix}/{kind}"
        secrets.create_secret(Name=name, SecretString=json.dumps(values[kind]))
        parameters[parameter] = name

    sqs = admin_client("sqs")
    chat_topic = admin_client("sns").create_topic(Name=f"{prefix}-AmazonQ")["TopicArn"]
    chat_queue = sqs.create_queue(QueueName=f"{prefix}-AmazonQTap")["QueueUrl"]
    subscribe_queue(chat_topic, chat_queue)
    parameters["AmazonQTopicArn"] = chat_topic

    events = admin_client("events")
    bus = f"{prefix}-alerts"
    events.create_event_bus(Name=bus)
    bus_queue = sqs.create_queue(QueueName=f"{prefix}-AlertBusTap")["QueueUrl"]
    events.put_rule(
        Name=f"{prefix}-all-alerts",
        EventBusName=bus,
        EventPattern=json.dumps({"source": ["bwp-privacy"]}),
    )
    events.put_targets(
        Rule=f"{prefix}-all-alerts",
        EventBusName=bus,
        Targets=[{"Id": "tap", "Arn": queue_arn(bus_queue)}],
    )
    parameters["AlertEventBusName"] = bus
    return LocalReceivers(
        parameters=parameters,
        env={"PAGERDUTY_EVENTS_URL": sink.url("pagerduty")},
        amazon_q_queue_url=chat_queue,
        eventbridge_queue_url=bus_queue,
    )
