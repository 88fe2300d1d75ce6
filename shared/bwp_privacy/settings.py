"""The function's settings, read from environment variables (one model for Lambda and CLI)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

DEFAULT_API_URL = "https://api.buywithprime.amazon.com/graphql"
DEFAULT_TOKEN_URL = "https://api.buywithprime.amazon.com/token"  # noqa: S105 (a URL)
DEFAULT_API_VERSION = "2024-11-01"


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names the environment variable."""


class EnvSettings(BaseModel):
    """Settings read from environment variables, with errors that name the variables."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Read settings from ``environ`` (default os.environ); empty values count as unset."""
        source = os.environ if environ is None else environ
        values = {key: value for key, value in source.items() if value != ""}
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            raise SettingsError(_describe(error)) from None


class Settings(EnvSettings):
    """Environment variables of DeletionTaskFailedFunction (README lists each)."""

    api_url: str = Field(DEFAULT_API_URL, alias="BWP_API_URL", min_length=1)
    token_url: str = Field(DEFAULT_TOKEN_URL, alias="BWP_TOKEN_URL", min_length=1)
    api_version: str = Field(DEFAULT_API_VERSION, alias="BWP_API_VERSION", min_length=1)
    credentials_secret_id: str | None = Field(None, alias="BWP_CREDENTIALS_SECRET_ID")
    client_id: str | None = Field(None, alias="BWP_CLIENT_ID")
    client_secret: SecretStr | None = Field(None, alias="BWP_CLIENT_SECRET")
    http_timeout_seconds: float = Field(5.0, alias="BWP_HTTP_TIMEOUT_SECONDS", gt=0, le=60)
    max_attempts: int = Field(5, alias="BWP_MAX_ATTEMPTS", ge=1, le=10)
    retry_base_seconds: float = Field(0.2, alias="BWP_RETRY_BASE_SECONDS", gt=0, le=5)
    failures_table_name: str = Field(alias="FAILURES_TABLE_NAME", min_length=1)
    failures_topic_arn: str = Field(alias="FAILURES_TOPIC_ARN", min_length=1)
    idempotency_table_name: str = Field(alias="IDEMPOTENCY_TABLE_NAME", min_length=1)
    retention_days: int = Field(730, alias="RETENTION_DAYS", ge=1, le=3650)
    idempotency_expiry_hours: int = Field(48, alias="IDEMPOTENCY_EXPIRY_HOURS", ge=1, le=720)
    expected_account_id: str | None = Field(None, alias="EXPECTED_ACCOUNT_ID", pattern=r"^\d{12}$")

    @model_validator(mode="after")
    def _credentials_source(self) -> Settings:
        local = self.client_id is not None and self.client_secret is not None
        if not self.credentials_secret_id and not local:
            raise ValueError(
                "set BWP_CREDENTIALS_SECRET_ID, "
                "or BWP_CLIENT_ID and BWP_CLIENT_SECRET for local runs"
            )
        return self


class RouterSettings(EnvSettings):
    """Environment variables of AlertRouterFunction; a receiver without its variable is off."""

    ledger_table_name: str = Field(alias="LEDGER_TABLE_NAME", min_length=1)
    alert_queue_url: str | None = Field(None, alias="ALERT_QUEUE_URL")
    alert_dlq_url: str | None = Field(None, alias="ALERT_DLQ_URL")
    routes_parameter_name: str | None = Field(None, alias="ROUTES_PARAMETER_NAME")
    pagerduty_secret_id: str | None = Field(None, alias="PAGERDUTY_SECRET_ID")
    pagerduty_events_url: str = Field(
        "https://events.pagerduty.com/v2/enqueue", alias="PAGERDUTY_EVENTS_URL"
    )
    slack_secret_id: str | None = Field(None, alias="SLACK_SECRET_ID")
    teams_secret_id: str | None = Field(None, alias="TEAMS_SECRET_ID")
    webhook_secret_id: str | None = Field(None, alias="WEBHOOK_SECRET_ID")
    amazon_q_topic_arn: str | None = Field(None, alias="AMAZON_Q_TOPIC_ARN")
    alert_event_bus_name: str | None = Field(None, alias="ALERT_EVENT_BUS_NAME")
    http_timeout_seconds: float = Field(5.0, alias="ALERT_HTTP_TIMEOUT_SECONDS", gt=0, le=30)
    ledger_lease_seconds: int = Field(300, alias="LEDGER_LEASE_SECONDS", ge=1, le=3600)
    retry_base_seconds: float = Field(0.5, alias="ALERT_RETRY_BASE_SECONDS", gt=0, le=5)

    def receiver_secret_ids(self) -> list[str]:
        """The Secrets Manager secrets of the receivers this stack deploys."""
        secrets = (
            self.pagerduty_secret_id,
            self.slack_secret_id,
            self.teams_secret_id,
            self.webhook_secret_id,
        )
        return [secret for secret in secrets if secret]


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        names = [str(part) for part in item["loc"]]
        if item["type"] == "missing":
            problems.append(f"missing setting {'.'.join(names)}")
        elif names:
            problems.append(f"setting {'.'.join(names)}: {item['msg']}")
        else:
            problems.append(item["msg"].removeprefix("Value error, "))
    return "; ".join(problems)
