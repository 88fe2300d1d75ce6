"""JSON Schemas of each command's --json output, one `<command>.schema.json` file each,
written from the models each command registers with its module (`command_registry`;
`make cli-schemas`)."""

from __future__ import annotations

import json
from pathlib import Path

from bwp_privacy_cli.command_registry import outputs

__all__ = ["names", "path_of", "schema_text", "write_all"]

FOLDER = Path(__file__).parent


def names() -> list[str]:
    """Every command's --json output that has a schema file, by its name."""
    return sorted(outputs())


def schema_text(name: str) -> str:
    """The JSON Schema of command ``name``'s --json output, as its file holds it."""
    schema = outputs()[name].model_json_schema(by_alias=True, mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://github.com/bwp-privacy/cli/{name}.schema.json"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def path_of(name: str) -> Path:
    """Where command ``name``'s schema is kept."""
    return FOLDER / f"{name}.schema.json"


def write_all() -> list[Path]:
    """Write every schema file; the paths written."""
    written = []
    for name in outputs():
        path_of(name).write_text(schema_text(name))
        written.append(path_of(name))
    return written
