"""How to reach the Buy with Prime API: endpoints, credentials, timeouts and retries."""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, model_validator

from bwp_privacy.api_budget import DEFAULT_REQUESTS_PER_SECOND
from bwp_privacy.common import EnvSettings

DEFAULT_API_URL = "https://api.buywithprime.amazon.com/graphql"
DEFAULT_TOKEN_URL = "https://api.buywithprime.amazon.com/token"  # noqa: S105 (a URL)
DEFAULT_API_VERSION = "2024-11-01"


class ApiSettings(EnvSettings):
    """The API client's environment variables (docs/configuration.md, "Settings")."""

    api_url: str = Field(DEFAULT_API_URL, alias="BWP_API_URL", min_length=1)
    token_url: str = Field(DEFAULT_TOKEN_URL, alias="BWP_TOKEN_URL", min_length=1)
    api_version: str = Field(DEFAULT_API_VERSION, alias="BWP_API_VERSION", min_length=1)
    credentials_secret_id: str | None = Field(None, alias="BWP_CREDENTIALS_SECRET_ID")
    client_id: str | None = Field(None, alias="BWP_CLIENT_ID")
    client_secret: SecretStr | None = Field(None, alias="BWP_CLIENT_SECRET")
    http_timeout_seconds: float = Field(5.0, alias="BWP_HTTP_TIMEOUT_SECONDS", gt=0, le=60)
    max_attempts: int = Field(5, alias="BWP_MAX_ATTEMPTS", ge=1, le=10)
    retry_base_seconds: float = Field(0.2, alias="BWP_RETRY_BASE_SECONDS", gt=0, le=5)
    #: The shared API budget (template ApiRequestsPerSecond, ApiBudgetTable): unset, no
    #: pacing (a local script, the CLI's own calls).
    budget_table_name: str | None = Field(None, alias="API_BUDGET_TABLE_NAME", min_length=1)
    requests_per_second: float = Field(
        DEFAULT_REQUESTS_PER_SECOND, alias="API_REQUESTS_PER_SECOND", gt=0, le=1000
    )

    @model_validator(mode="after")
    def _credentials_source(self) -> Self:
        local = self.client_id is not None and self.client_secret is not None
        if not self.credentials_secret_id and not local:
            raise ValueError(
                "set BWP_CREDENTIALS_SECRET_ID, "
                "or BWP_CLIENT_ID and BWP_CLIENT_SECRET for local runs"
            )
        return self
