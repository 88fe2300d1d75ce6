"""Where the routing config comes from: the file shipped with the function, or SSM."""

from __future__ import annotations

from pathlib import Path

from bwp_privacy.alerting.routes import RoutingConfig, load_routes

ROUTES_MAX_AGE_SECONDS = 300


class RoutesSource:
    """Loads routes once per distinct text; an SSM override is re-read every 5 minutes."""

    def __init__(self, bundled: Path, parameter_name: str | None = None) -> None:
        self._bundled = bundled
        self._parameter = parameter_name
        self._cache: tuple[str, RoutingConfig] | None = None

    def get(self) -> RoutingConfig:
        """The current config; raises RoutesError (naming the key) if it is invalid."""
        if self._parameter:
            from aws_lambda_powertools.utilities import parameters

            text = str(parameters.get_parameter(self._parameter, max_age=ROUTES_MAX_AGE_SECONDS))
            source = f"SSM parameter {self._parameter}"
        else:
            text = self._bundled.read_text() if self._cache is None else self._cache[0]
            source = str(self._bundled.name)
        if self._cache is None or self._cache[0] != text:
            self._cache = (text, load_routes(text, source))
        return self._cache[1]
