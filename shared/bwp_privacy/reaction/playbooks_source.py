"""Where the playbooks come from: the file shipped with the function (or its SSM override) for
the reaction's settings, and the catalogue (shipped in the layer, or its SSM override) for the
action per error code and task kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bwp_privacy.catalogue import CatalogueSource
from bwp_privacy.common import ConfigSource
from bwp_privacy.reaction.playbooks import PlaybooksConfig, PlaybooksFile, parse_playbooks


class PlaybooksSource:
    """``playbooks.json`` beside the function, or the SSM parameter that overrides it, with
    the catalogue; `get` gives the current pair (each part re-read every 5 minutes)."""

    def __init__(
        self,
        bundled: Path,
        parameter_name: str | None = None,
        ssm_client: Any | None = None,
        *,
        catalogue: CatalogueSource | None = None,
    ) -> None:
        self._settings: ConfigSource[PlaybooksFile] = ConfigSource(
            parse_playbooks, bundled, parameter_name, ssm_client
        )
        self._catalogue = catalogue or CatalogueSource()

    def get(self) -> PlaybooksConfig:
        """The current playbooks; raises the loader's error (naming the key) if a part is
        invalid."""
        return PlaybooksConfig(self._settings.get(), self._catalogue.get())
