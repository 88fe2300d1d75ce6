"""Client credentials: from Secrets Manager (deployed) or environment (local runs)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from bwp_privacy.bwp_api.settings import ApiSettings
from bwp_privacy.common import JsonSecrets


class ClientCredentials(BaseModel):
    """The secret's JSON: ``{"clientId": ..., "clientSecret": ...}``, and the ``targetId``
    (business product) the console gives with them, which `bwp-privacy setup` stores so that
    `doctor` can check the credentials; the functions take the business product from each
    event and do not read it."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    client_id: str = Field(alias="clientId", min_length=1, max_length=256)
    client_secret: SecretStr = Field(alias="clientSecret", min_length=1, max_length=1024)
    #: Sent as the x-api-target-id header: a header's characters only (pydantic's regex
    #: engine takes `$` as the end of the text, a trailing newline included).
    target_id: str | None = Field(
        None, alias="targetId", min_length=1, max_length=256, pattern=r"^[A-Za-z0-9._:-]+$"
    )


def load_credentials(settings: ApiSettings, secrets: JsonSecrets | None) -> ClientCredentials:
    """The credentials: the secret (cached) when one is set, else the environment."""
    if settings.credentials_secret_id:
        if secrets is None:
            raise ValueError("a secret id is set but no Secrets Manager reader was given")
        return secrets.read(
            settings.credentials_secret_id, ClientCredentials, "BWP_CREDENTIALS_SECRET_ID"
        )
    assert settings.client_id is not None
    assert settings.client_secret is not None
    return ClientCredentials(client_id=settings.client_id, client_secret=settings.client_secret)
