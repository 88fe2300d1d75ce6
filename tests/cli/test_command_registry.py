"""The command registry: each module of `bwp_privacy_cli.commands` is a command that registers
itself (summary, place in --help, --json models), and main and the schemas find it there."""

from __future__ import annotations

import click
import pytest
from pydantic import BaseModel

from bwp_privacy_cli import command_registry
from bwp_privacy_cli.command_registry import load, load_all, outputs, registered
from bwp_privacy_cli.schemas import names


def test_each_command_is_its_own_module_and_the_places_order_help() -> None:
    entries = load_all()
    assert sorted(entry.name for entry in entries) == command_registry.command_names()
    assert [entry.place for entry in entries] == sorted({entry.place for entry in entries})
    for entry in entries:
        module = entry.command.callback.__module__ if entry.command.callback else ""
        assert module.startswith(f"bwp_privacy_cli.commands.{entry.name}"), (entry.name, module)
        assert entry.summary
        assert "\n" not in entry.summary


def test_an_unknown_command_is_none_and_loads_nothing() -> None:
    assert load("no-such-command") is None


def test_every_schema_file_is_of_a_model_a_command_registered() -> None:
    models = outputs()
    assert set(names()) == set(models)
    assert all(issubclass(model, BaseModel) for model in models.values())
    # Each output belongs to the command whose name it starts with.
    owners = {name: entry.name for entry in load_all() for name in entry.outputs}
    assert all(name.split("-")[0] == owner for name, owner in owners.items()), owners


def test_a_command_registered_from_another_module_is_refused() -> None:
    @click.command()
    def stray() -> None:
        """Not in bwp_privacy_cli.commands."""

    with pytest.raises(RuntimeError, match="registered from"):
        registered("A stray command.", place=999)(stray)


def test_two_commands_cannot_share_a_place_in_help() -> None:
    setup = load("setup")
    doctor = load("doctor")
    assert setup is not None
    assert doctor is not None
    with pytest.raises(RuntimeError, match="which setup holds"):
        registered("Check a stack end to end.", place=setup.place)(doctor.command)
