"""Where the playbooks come from: the file shipped with the function, or SSM."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bwp_privacy.common import ConfigSource
from bwp_privacy.reaction.playbooks import PlaybooksConfig, load_playbooks


class PlaybooksSource(ConfigSource[PlaybooksConfig]):
    """``playbooks.json`` beside the function, or the SSM parameter that overrides it."""

    def __init__(
        self, bundled: Path, parameter_name: str | None = None, ssm_client: Any | None = None
    ) -> None:
        super().__init__(load_playbooks, bundled, parameter_name, ssm_client)
