"""The secrets that verify inbound requests, as the function reads them (values never logged,
answered or queued)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

#: A signing secret's shortest plausible length (Slack's are 32 hex characters).
MIN_SIGNING_SECRET = 16


class SlackInboundSecret(BaseModel):
    """The Slack secret (`SlackSecretName`) as the inbound function reads it: the app's signing
    secret, and the bot token that opens the close modal (``views.open``). The router reads
    the same secret for ``botToken`` and ``channel``."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    signing_secret: SecretStr = Field(alias="signingSecret", min_length=MIN_SIGNING_SECRET)
    bot_token: SecretStr | None = Field(None, alias="botToken", min_length=1)


class PagerDutyWebhookSecret(BaseModel):
    """``{"signingSecrets": ["…", "…"]}``: the webhook subscription's signing secret, two while
    one rotates (PagerDuty then signs with both)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    signing_secrets: list[SecretStr] = Field(alias="signingSecrets", min_length=1, max_length=4)

    def values(self) -> list[str]:
        """The secrets, to verify with."""
        return [secret.get_secret_value() for secret in self.signing_secrets]
