"""Where the routing config comes from: the file shipped with the function, or SSM."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from bwp_privacy.alerting.routes import RoutingConfig, load_routes

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SSMProvider

ROUTES_MAX_AGE_SECONDS = 300


class RoutesSource:
    """Loads routes once per distinct text; an SSM override is re-read every 5 minutes."""

    def __init__(
        self, bundled: Path, parameter_name: str | None = None, ssm_client: Any | None = None
    ) -> None:
        self._bundled = bundled
        self._parameter = parameter_name
        self._ssm_client = ssm_client
        self._provider: SSMProvider | None = None
        self._cache: tuple[str, RoutingConfig] | None = None

    def get(self) -> RoutingConfig:
        """The current config; raises RoutesError (naming the key) if it is invalid."""
        if self._parameter:
            text = str(self._ssm().get(self._parameter, max_age=ROUTES_MAX_AGE_SECONDS))
            source = f"SSM parameter {self._parameter}"
        else:
            text = self._bundled.read_text() if self._cache is None else self._cache[0]
            source = str(self._bundled.name)
        if self._cache is None or self._cache[0] != text:
            self._cache = (text, load_routes(text, source))
        return self._cache[1]

    def _ssm(self) -> SSMProvider:
        if self._provider is None:
            from aws_lambda_powertools.utilities.parameters import SSMProvider

            self._provider = SSMProvider(boto3_client=self._ssm_client)
        return self._provider
