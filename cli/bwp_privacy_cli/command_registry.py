"""Where `bwp-privacy`'s subcommands are found: each module (or package) of
`bwp_privacy_cli.commands` is one command, named as the module, that registers itself with
`@registered(...)`: its one-line summary, its place in `--help` and the models of what it
prints with --json. `main` lists and loads the commands through it and `schemas` writes their
JSON Schemas from it, so a new command is its own module and nothing else.

A command's module is imported only when that command runs (or `--help` lists them all):
every command starts without importing the others."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeVar

import click
from pydantic import BaseModel

__all__ = ["Registered", "command_names", "load", "load_all", "outputs", "registered"]

#: The package whose modules are the subcommands.
PACKAGE = "bwp_privacy_cli.commands"

_Command = TypeVar("_Command", bound=click.Command)


@dataclass(frozen=True)
class Registered:
    """A subcommand as `--help` lists it and `--json` documents it."""

    name: str
    command: click.Command
    summary: str
    #: Its rank in `--help`: the commands read in the order an operator meets them.
    place: int
    #: Its --json models, by the name of their schema file in `schemas/` (a group's
    #: subcommands each have theirs: `cases-list`, `cases-show`...).
    outputs: Mapping[str, type[BaseModel]]


_REGISTERED: dict[str, Registered] = {}


def registered(
    summary: str, *, place: int, outputs: Mapping[str, type[BaseModel]] | None = None
) -> Callable[[_Command], _Command]:
    """Register the decorated click command (or group) as the subcommand its module names."""

    def register(command: _Command) -> _Command:
        name = command.name or ""
        module = getattr(command.callback, "__module__", "")
        own = f"{PACKAGE}.{name}"
        if module != own and not module.startswith(f"{own}."):
            raise RuntimeError(f"command {name!r} is registered from {module}, not from {own}")
        taken = [other.name for other in _REGISTERED.values() if other.place == place]
        if taken and taken != [name]:
            raise RuntimeError(f"command {name!r} takes place {place}, which {taken[0]} holds")
        _REGISTERED[name] = Registered(
            name=name,
            command=command,
            summary=summary,
            place=place,
            outputs=MappingProxyType(dict(outputs or {})),
        )
        return command

    return register


def command_names() -> list[str]:
    """The subcommands' names (their modules'), without importing any."""
    package = importlib.import_module(PACKAGE)
    return sorted(module.name for module in pkgutil.iter_modules(package.__path__))


def load(name: str) -> Registered | None:
    """Subcommand ``name`` (importing its module only); None when there is no such command."""
    if name not in command_names():
        return None
    importlib.import_module(f"{PACKAGE}.{name}")
    if name not in _REGISTERED:
        raise RuntimeError(f"{PACKAGE}.{name} registers no command (@registered)")
    return _REGISTERED[name]


def load_all() -> list[Registered]:
    """Every subcommand, in its `--help` order."""
    found = [load(name) for name in command_names()]
    return sorted((entry for entry in found if entry is not None), key=lambda e: e.place)


def outputs() -> dict[str, type[BaseModel]]:
    """Every command's --json models, by the name of their schema file."""
    models: dict[str, type[BaseModel]] = {}
    for entry in load_all():
        for name, model in entry.outputs.items():
            if name in models:
                raise RuntimeError(f"two commands print the --json output {name!r}")
            models[name] = model
    return models
