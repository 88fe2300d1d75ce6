"""Build the deployed receivers from settings; their secrets come from Secrets Manager."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from bwp_privacy.alerting.receivers.amazon_q import AmazonQReceiver
from bwp_privacy.alerting.receivers.base import Receiver
from bwp_privacy.alerting.receivers.eventbridge import EventBridgeReceiver
from bwp_privacy.alerting.receivers.http import JsonPoster
from bwp_privacy.alerting.receivers.pagerduty import PagerDutyReceiver
from bwp_privacy.alerting.receivers.slack import SlackReceiver
from bwp_privacy.alerting.receivers.teams import TeamsReceiver
from bwp_privacy.alerting.receivers.webhook import WebhookReceiver
from bwp_privacy.secrets import JsonSecrets
from bwp_privacy.settings import RouterSettings

M = TypeVar("M", bound=BaseModel)


class PagerDutySecret(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    routing_key: str = Field(alias="routingKey", min_length=1)


class WebhookUrlSecret(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    webhook_url: str = Field(alias="webhookUrl", pattern=r"^https?://")


class SignedWebhookSecret(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    url: str = Field(pattern=r"^https?://")
    signing_secret: str = Field(alias="signingSecret", min_length=16)


def build_receivers(
    settings: RouterSettings, poster: JsonPoster, secrets: JsonSecrets | None, sns: Any, events: Any
) -> dict[str, Receiver]:
    """Every receiver whose setting is present, by name (secrets cached 5 minutes)."""

    def read_secret(secret_id: str, model: type[M], setting: str) -> M:
        assert secrets is not None, "receiver secrets are set but there is no reader"
        return secrets.read(secret_id, model, setting)

    receivers: dict[str, Receiver] = {}
    if settings.pagerduty_secret_id:
        pd = read_secret(settings.pagerduty_secret_id, PagerDutySecret, "PAGERDUTY_SECRET_ID")
        receivers["pagerduty"] = PagerDutyReceiver(
            poster, pd.routing_key, settings.pagerduty_events_url
        )
    if settings.slack_secret_id:
        slack = read_secret(settings.slack_secret_id, WebhookUrlSecret, "SLACK_SECRET_ID")
        receivers["slack"] = SlackReceiver(poster, slack.webhook_url)
    if settings.teams_secret_id:
        teams = read_secret(settings.teams_secret_id, WebhookUrlSecret, "TEAMS_SECRET_ID")
        receivers["teams"] = TeamsReceiver(poster, teams.webhook_url)
    if settings.webhook_secret_id:
        hook = read_secret(settings.webhook_secret_id, SignedWebhookSecret, "WEBHOOK_SECRET_ID")
        receivers["webhook"] = WebhookReceiver(poster, hook.url, hook.signing_secret)
    if settings.amazon_q_topic_arn:
        receivers["amazon-q"] = AmazonQReceiver(sns, settings.amazon_q_topic_arn)
    if settings.alert_event_bus_name:
        receivers["eventbridge"] = EventBridgeReceiver(events, settings.alert_event_bus_name)
    return receivers
