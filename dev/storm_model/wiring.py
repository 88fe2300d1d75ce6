"""The model's inputs put together: the settings and the shipped playbooks."""

from __future__ import annotations

from pathlib import Path

from bwp_privacy.reaction.playbooks import PlaybooksConfig, load_playbooks
from storm_model.settings import Settings
from storm_model.storm import Storm, run_storm

PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: The reaction's shipped playbooks file (the catalogue is the shipped one, in the layer).
PLAYBOOKS = PROJECT_ROOT / "functions" / "reaction" / "playbooks.json"


def shipped_playbooks() -> PlaybooksConfig:
    return load_playbooks(PLAYBOOKS.read_text(), str(PLAYBOOKS.relative_to(PROJECT_ROOT)))


def model(settings: Settings) -> Storm:
    """Play the storm ``settings`` describe, with the shipped playbooks."""
    return run_storm(settings, shipped_playbooks())
