"""Client credentials: from Secrets Manager (deployed) or environment (local runs)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from bwp_privacy.settings import Settings, SettingsError

SECRET_MAX_AGE_SECONDS = 300


class ClientCredentials(BaseModel):
    """The secret's JSON: ``{"clientId": ..., "clientSecret": ...}``."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    client_id: str = Field(alias="clientId", min_length=1)
    client_secret: SecretStr = Field(alias="clientSecret", min_length=1)


def load_credentials(settings: Settings) -> ClientCredentials:
    """Return the credentials; the secret is cached by Powertools Parameters for 5 minutes."""
    if settings.credentials_secret_id:
        # Imported here: Parameters pulls in boto3 machinery that local runs never need.
        from aws_lambda_powertools.utilities import parameters

        raw = parameters.get_secret(
            settings.credentials_secret_id, transform="json", max_age=SECRET_MAX_AGE_SECONDS
        )
        try:
            return ClientCredentials.model_validate(raw)
        except ValidationError:
            # Never echo the pydantic error: its input is the secret itself.
            raise SettingsError(
                f"secret {settings.credentials_secret_id} (BWP_CREDENTIALS_SECRET_ID) must be "
                'JSON {"clientId": "...", "clientSecret": "..."}'
            ) from None
    assert settings.client_id is not None
    assert settings.client_secret is not None
    return ClientCredentials(client_id=settings.client_id, client_secret=settings.client_secret)
