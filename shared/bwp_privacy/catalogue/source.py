"""Where the catalogue comes from: the file the layer ships (both the alert router and the
reaction read it), or the one SSM parameter that overrides it for both."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from bwp_privacy.catalogue.entries import Catalogue, load_catalogue
from bwp_privacy.common import ConfigSource

#: The shipped catalogue, a data file of this package (the layer copies the package whole,
#: and the wheel takes every file of it).
CATALOGUE_FILE = "codes.json"


def shipped_catalogue_path() -> Path:
    """Where the shipped catalogue is (in the layer in Lambda, in the package elsewhere)."""
    return Path(str(files("bwp_privacy.catalogue") / CATALOGUE_FILE))


@cache
def shipped_catalogue() -> Catalogue:
    """The shipped catalogue, validated once (for tools and tests: the functions read theirs
    through `CatalogueSource`, which follows the override)."""
    path = shipped_catalogue_path()
    return load_catalogue(path.read_text("utf-8"), f"bwp_privacy/catalogue/{CATALOGUE_FILE}")


class CatalogueSource(ConfigSource[Catalogue]):
    """The shipped ``codes.json``, or the SSM parameter that overrides it."""

    def __init__(self, parameter_name: str | None = None, ssm_client: Any | None = None) -> None:
        super().__init__(load_catalogue, shipped_catalogue_path(), parameter_name, ssm_client)
