"""Point every registered receiver at the sandbox: a secret naming the sink for each HTTP
receiver, a topic and a bus (each with a tap queue) for the AWS ones.

It reads the receiver registry: a new receiver plug-in is set up here without a change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from bwp_privacy.alerting import RECEIVERS, ReceiverSpec
from bwp_sandbox.admin import admin_client
from bwp_sandbox.inbound import SLACK_SIGNING_SECRET
from bwp_sandbox.sink import ReceiverSink
from bwp_sandbox.stack import queue_arn, subscribe_queue

PAGERDUTY_ROUTING_KEY = "local-routing-key-0000000000000000"


@dataclass(frozen=True)
class LocalReceivers:
    """The stack parameters that turn every receiver on, the router variables the template
    does not let a local URL through (an endpoint parameter takes https only), and the queues
    that show what the AWS receivers delivered (by receiver name)."""

    parameters: dict[str, str]
    env: dict[str, str]
    taps: dict[str, str]

    @property
    def amazon_q_queue_url(self) -> str:
        return self.taps["amazon-q"]

    @property
    def eventbridge_queue_url(self) -> str:
        return self.taps["eventbridge"]


def configure_receivers(
    sink: ReceiverSink,
    prefix: str = "bwp-privacy",
    *,
    routing_key: str = PAGERDUTY_ROUTING_KEY,
    hook_path: str = "local",
    slack_signing_secret: str = SLACK_SIGNING_SECRET,
) -> LocalReceivers:
    """Create each receiver's secret, topic or bus in the local AWS.

    ``routing_key`` (PagerDuty's), ``hook_path`` (the secret part of every webhook URL) and
    ``slack_signing_secret`` (the Slack app's, which verifies its buttons' requests) can be
    canaries; the signed webhook shares the sink's signing secret.
    """
    overrides: Mapping[str, Mapping[str, str]] = {
        "pagerduty": {"routingKey": routing_key},
        "slack": {"signingSecret": slack_signing_secret},
        "webhook": {"signingSecret": sink.webhook_secret},
    }
    receivers = LocalReceivers(parameters={}, env={}, taps={})
    for spec in RECEIVERS.values():
        if spec.resource == "secret":
            _secret(spec, sink, prefix, hook_path, overrides.get(spec.name, {}), receivers)
        elif spec.resource == "sns-topic":
            topic = admin_client("sns").create_topic(Name=f"{prefix}-{spec.name}")["TopicArn"]
            tap = admin_client("sqs").create_queue(QueueName=f"{prefix}-{spec.name}-tap")
            subscribe_queue(topic, tap["QueueUrl"])
            receivers.parameters[spec.parameter] = topic
            receivers.taps[spec.name] = tap["QueueUrl"]
        else:
            bus = f"{prefix}-{spec.name}"
            receivers.parameters[spec.parameter] = bus
            receivers.taps[spec.name] = _bus_with_tap(bus, prefix)
    return receivers


def _secret(
    spec: ReceiverSpec,
    sink: ReceiverSink,
    prefix: str,
    hook_path: str,
    override: Mapping[str, str],
    receivers: LocalReceivers,
) -> None:
    assert spec.example_secret is not None
    name = f"{prefix}/{spec.name}"
    value = {**spec.example_secret(sink.url(spec.name, hook_path)), **override}
    admin_client("secretsmanager").create_secret(Name=name, SecretString=json.dumps(value))
    receivers.parameters[spec.parameter] = name
    if spec.endpoint_setting:
        # Slack's endpoint parameter is its Web API (a bot secret's), the others' the hook.
        endpoint = sink.slack_api_url if spec.name == "slack" else sink.url(spec.name, hook_path)
        receivers.env[spec.endpoint_setting] = endpoint


def _bus_with_tap(bus: str, prefix: str) -> str:
    events = admin_client("events")
    events.create_event_bus(Name=bus)
    tap: str = admin_client("sqs").create_queue(QueueName=f"{bus}-tap")["QueueUrl"]
    events.put_rule(
        Name=f"{prefix}-all-alerts",
        EventBusName=bus,
        EventPattern=json.dumps({"source": ["bwp-privacy"]}),
    )
    events.put_targets(
        Rule=f"{prefix}-all-alerts",
        EventBusName=bus,
        Targets=[{"Id": "tap", "Arn": queue_arn(tap)}],
    )
    return tap
