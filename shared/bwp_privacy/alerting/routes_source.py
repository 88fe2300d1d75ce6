"""Where the routing config comes from: the routes file shipped with the function (or its SSM
override) for the tree, and the catalogue (shipped in the layer, or its SSM override) for each
error code's severity and runbook."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from bwp_privacy.alerting.routes import RoutesFile, RoutingConfig, parse_routes
from bwp_privacy.catalogue import CatalogueSource
from bwp_privacy.common import ConfigSource, aws_client

if TYPE_CHECKING:
    from bwp_privacy.alerting.settings import RouterSettings


class RoutesSource:
    """The routes: ``routes.json`` beside the function, or the SSM parameter that overrides it,
    with the catalogue; `get` gives the current pair (each part re-read every 5 minutes)."""

    def __init__(
        self,
        bundled: Path,
        parameter_name: str | None = None,
        ssm_client: Any | None = None,
        *,
        catalogue: CatalogueSource | None = None,
    ) -> None:
        self._tree: ConfigSource[RoutesFile] = ConfigSource(
            parse_routes, bundled, parameter_name, ssm_client
        )
        self._catalogue = catalogue or CatalogueSource()

    @classmethod
    def from_settings(cls, bundled: Path, settings: RouterSettings) -> RoutesSource:
        """The sources the settings name, sharing one SSM client (made at cold start, and
        only when an override is set: each client costs cold-start time)."""
        wanted = settings.routes_parameter_name or settings.catalogue_parameter_name
        ssm = aws_client("ssm") if wanted else None
        return cls(
            bundled,
            settings.routes_parameter_name,
            ssm,
            catalogue=CatalogueSource(settings.catalogue_parameter_name, ssm),
        )

    def get(self) -> RoutingConfig:
        """The current routing config; raises the loader's error (naming the key) if a part
        is invalid."""
        return RoutingConfig(self._tree.get().route, self._catalogue.get())
