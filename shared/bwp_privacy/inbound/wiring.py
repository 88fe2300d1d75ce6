"""The inbound function's collaborators, built once per execution environment: the queue
(SQS SendMessage), the secrets (cached five minutes: a rotated signing secret is in use within
that time) and the Slack Web API for the close modal."""

from __future__ import annotations

import time
from typing import Any

import boto3
from botocore.config import Config

from bwp_privacy.common import JsonSecrets, MetricsSink
from bwp_privacy.inbound.endpoint import Inbound
from bwp_privacy.inbound.secrets import PagerDutyWebhookSecret, SlackInboundSecret
from bwp_privacy.inbound.settings import InboundSettings
from bwp_privacy.inbound.slack_api import SlackWebApi, ViewOpener

#: Slack waits three seconds for the answer: one quick retry of SendMessage, short timeouts.
INBOUND_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 2}, connect_timeout=1, read_timeout=1
)


class SqsQueue:
    """The inbound queue: one SendMessage per verified request."""

    def __init__(self, client: Any, url: str) -> None:
        self._client = client
        self._url = url

    def send(self, body: str) -> None:
        self._client.send_message(QueueUrl=self._url, MessageBody=body)


def build_inbound(settings: InboundSettings, metrics: MetricsSink) -> Inbound:
    """The endpoint with its AWS clients (made here, at cold start)."""
    secrets = JsonSecrets(boto3.client("secretsmanager", config=INBOUND_CLIENT_CONFIG))
    openers: dict[str, SlackWebApi] = {}

    def slack_secret() -> SlackInboundSecret:
        assert settings.slack_secret_id is not None  # only read when Slack is taken
        return secrets.read(settings.slack_secret_id, SlackInboundSecret, "SLACK_SECRET_ID")

    def pagerduty_secret() -> PagerDutyWebhookSecret:
        assert settings.pagerduty_webhook_secret_id is not None
        return secrets.read(
            settings.pagerduty_webhook_secret_id,
            PagerDutyWebhookSecret,
            "PAGERDUTY_WEBHOOK_SECRET_ID",
        )

    def views(secret: SlackInboundSecret) -> ViewOpener | None:
        if secret.bot_token is None:
            return None
        token = secret.bot_token.get_secret_value()
        if token not in openers:  # a rotated token gets a session of its own
            openers.clear()
            openers[token] = SlackWebApi(settings.slack_api_url, token)
        return openers[token]

    return Inbound(
        settings=settings,
        queue=SqsQueue(
            boto3.client("sqs", config=INBOUND_CLIENT_CONFIG), settings.inbound_queue_url
        ),
        metrics=metrics,
        slack_secret=slack_secret,
        pagerduty_secret=pagerduty_secret,
        views=views,
        clock=time.time,
    )
