"""Shared fixtures: one emulator and one moto server per session, reset before each test."""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bwp_sandbox.emulator import BwpEmulator
from bwp_sandbox.lambda_context import LocalLambdaContext
from bwp_sandbox.local_aws import LocalAws
from bwp_sandbox.sandbox import Sandbox, patched_environ
from bwp_sandbox.seed import seed_sample_tasks
from bwp_sandbox.stack import deploy_local_stack

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
def sandbox_env(emulator: BwpEmulator, local_aws: LocalAws) -> Iterator[dict[str, str]]:
    """Point the process at the sandbox: the handler reads settings at import, like Lambda."""
    with patched_environ(local_aws.env):
        stack = deploy_local_stack()
    env = Sandbox(emulator=emulator, aws=local_aws, stack=stack).function_env()
    # Read-only to the tests; a test that needs other values patches its own copy.
    with patched_environ(env):
        yield env


@pytest.fixture
def sandbox(emulator: BwpEmulator, local_aws: LocalAws, sandbox_env: dict[str, str]) -> Sandbox:
    """A clean sandbox for one test: empty AWS with the stack, emulator holding sample tasks."""
    local_aws.reset()
    emulator.reset()
    stack = deploy_local_stack()
    seed_sample_tasks(emulator.add_task)
    assert stack.function_env().items() <= os.environ.items()
    return Sandbox(emulator=emulator, aws=local_aws, stack=stack)


@pytest.fixture
def app(sandbox: Sandbox) -> ModuleType:
    """The real handler module, freshly initialised (a cold start) against the sandbox."""
    from functions.deletion_task_failed import app as module

    return importlib.reload(module)


@pytest.fixture
def context() -> LocalLambdaContext:
    return LocalLambdaContext()
