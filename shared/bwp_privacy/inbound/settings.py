"""InboundFunction's environment variables: where each verified request goes, which secrets
verify them, and who may act from Slack."""

from __future__ import annotations

from pydantic import Field, field_validator

from bwp_privacy.common import EnvSettings
from bwp_privacy.contract.inbound import SLACK_ID

#: Slack's Web API (a GovSlack workspace uses https://slack-gov.com/api).
SLACK_API_URL = "https://slack.com/api"
#: Where Slack's ``response_url``s live: any other URL a payload names is not kept.
SLACK_RESPONSE_URL_PREFIX = "https://hooks.slack.com/"


class InboundSettings(EnvSettings):
    """Environment variables of InboundFunction. Slack's requests are taken when
    SLACK_SECRET_ID and SLACK_ALLOWED_USERS are set, PagerDuty's when
    PAGERDUTY_WEBHOOK_SECRET_ID is."""

    inbound_queue_url: str = Field(alias="INBOUND_QUEUE_URL", min_length=1)
    #: The Slack secret ``{"botToken", "channel", "signingSecret"}`` (the router's, bot mode).
    slack_secret_id: str | None = Field(None, alias="SLACK_SECRET_ID")
    #: Comma-separated Slack user ids who may act (`SlackAllowedUsers`).
    slack_allowed_users: frozenset[str] = Field(frozenset(), alias="SLACK_ALLOWED_USERS")
    #: The one workspace whose requests are taken (`SlackTeamId`).
    slack_team_id: str | None = Field(None, alias="SLACK_TEAM_ID", pattern=f"^{SLACK_ID.pattern}$")
    slack_api_url: str = Field(SLACK_API_URL, alias="SLACK_API_URL", pattern=r"^https?://")
    slack_response_url_prefix: str = Field(
        SLACK_RESPONSE_URL_PREFIX, alias="SLACK_RESPONSE_URL_PREFIX", pattern=r"^https?://.+/$"
    )
    #: The secret ``{"signingSecrets": ["…"]}`` of the PagerDuty webhook subscription.
    pagerduty_webhook_secret_id: str | None = Field(None, alias="PAGERDUTY_WEBHOOK_SECRET_ID")

    @field_validator("slack_allowed_users", mode="before")
    @classmethod
    def _user_ids(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        users = frozenset(part.strip() for part in value.split(",") if part.strip())
        if any(not SLACK_ID.fullmatch(user) for user in users):
            raise ValueError("Slack user ids (U0123ABCD) separated by commas")
        return users

    @property
    def takes_slack(self) -> bool:
        """Whether Slack's requests are taken: a secret, a workspace and someone allowed."""
        return bool(self.slack_secret_id and self.slack_team_id and self.slack_allowed_users)

    @property
    def takes_pagerduty(self) -> bool:
        """Whether PagerDuty's webhooks are taken."""
        return bool(self.pagerduty_webhook_secret_id)
