"""Shared fixtures: one emulator, moto server and sink per session, reset before each test."""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aws_lambda_powertools.utilities import parameters

from bwp_sandbox.emulator import BwpEmulator
from bwp_sandbox.environ import patched_environ
from bwp_sandbox.lambda_context import LocalLambdaContext
from bwp_sandbox.local_aws import LocalAws
from bwp_sandbox.sandbox import Sandbox, prepare
from bwp_sandbox.sink import ReceiverSink

EVENTS = Path(__file__).resolve().parents[1] / "events"


def load_event(name: str = "deletion-task-failed.json") -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


@pytest.fixture(scope="session")
def emulator() -> Iterator[BwpEmulator]:
    with BwpEmulator() as running:
        yield running


@pytest.fixture(scope="session")
def local_aws() -> Iterator[LocalAws]:
    with LocalAws() as running:
        yield running


@pytest.fixture(scope="session")
def sink() -> Iterator[ReceiverSink]:
    with ReceiverSink() as running:
        yield running


@pytest.fixture(scope="session")
def sandbox_env(
    emulator: BwpEmulator, local_aws: LocalAws, sink: ReceiverSink
) -> Iterator[dict[str, str]]:
    """Point the process at the sandbox: handlers read settings at import, like Lambda's."""
    with patched_environ(local_aws.env):
        env = prepare(emulator, local_aws, sink).env()
    with patched_environ(env):
        yield env


@pytest.fixture
def sandbox(
    emulator: BwpEmulator, local_aws: LocalAws, sink: ReceiverSink, sandbox_env: dict[str, str]
) -> Sandbox:
    """A clean sandbox for one test: the stack in an empty AWS, sample tasks, a quiet sink."""
    local_aws.reset()
    emulator.reset()
    sink.clear()
    # Secrets are recreated with each reset: no test may see another's cached values.
    parameters.clear_caches()  # type: ignore[no-untyped-call]
    ready = prepare(emulator, local_aws, sink)
    assert ready.env().items() <= os.environ.items()  # names are stable across resets
    return ready


@pytest.fixture
def app(sandbox: Sandbox) -> ModuleType:
    """The real handler module, freshly initialised (a cold start) against the sandbox."""
    from functions.deletion_task_failed import app as module

    return importlib.reload(module)


@pytest.fixture
def router(sandbox: Sandbox) -> ModuleType:
    """The real alert router module, freshly initialised against the sandbox."""
    from functions.alert_router import app as module

    return importlib.reload(module)


@pytest.fixture
def context() -> LocalLambdaContext:
    return LocalLambdaContext()
