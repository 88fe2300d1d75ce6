"""JSON secrets from Secrets Manager: cached, validated, never echoed.

One reader per function, built at cold start with the project's client configuration
(bounded timeouts and retries): a hung Secrets Manager call cannot eat the invocation, and
no process-wide default client is shared between functions. Every secret of a function is
read through it, with one cache age: a rotated secret is in use within that time.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from bwp_privacy.common.settings import SettingsError
from bwp_privacy.common.validation import validation_problems

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

SECRET_MAX_AGE_SECONDS = 300
M = TypeVar("M", bound=BaseModel)


class JsonSecrets:
    """Reads JSON secrets through Powertools Parameters (cached ``max_age_seconds``)."""

    def __init__(self, client: Any, max_age_seconds: int = SECRET_MAX_AGE_SECONDS) -> None:
        self._client = client
        self._max_age = max_age_seconds
        self._provider: SecretsProvider | None = None
        self._lock = threading.Lock()

    def read(self, secret_id: str, model: type[M], setting: str) -> M:
        """The secret as ``model``; a SettingsError names the secret, the setting and the
        fields that are wrong, never a value."""
        raw = self._secrets().get(secret_id, transform="json", max_age=self._max_age)
        try:
            return model.model_validate(raw)
        except ValidationError as error:
            fields = sorted({p.path.split(".")[0] for p in validation_problems(error) if p.path})
            raise SettingsError(
                f"secret {secret_id} ({setting}) is missing or has invalid fields: "
                + (", ".join(fields) or "not a JSON object")
            ) from None

    def _secrets(self) -> SecretsProvider:
        with self._lock:
            if self._provider is None:
                # Imported here: Parameters pulls in machinery that local runs never need.
                from aws_lambda_powertools.utilities.parameters import SecretsProvider

                self._provider = SecretsProvider(boto3_client=self._client)
            return self._provider
