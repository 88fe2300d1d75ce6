"""Shared fixtures: one emulator, moto server and sink per session, reset before each test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bwp_privacy_cli.local import LocalFunction, LocalLambdaContext, patched_environ
from bwp_sandbox.emulator import BwpEmulator
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
def sandbox_env(local_aws: LocalAws) -> Iterator[dict[str, str]]:
    """Point the tests' own AWS calls at the sandbox, with the sandbox's own credentials.

    The functions never run with these: each runs in its own environment, with its role's
    credentials, and the local AWS holds it to that role.
    """
    with patched_environ(local_aws.env):
        yield local_aws.env


@pytest.fixture
def sandbox(
    request: pytest.FixtureRequest,
    emulator: BwpEmulator,
    local_aws: LocalAws,
    sink: ReceiverSink,
    sandbox_env: dict[str, str],
) -> Iterator[Sandbox]:
    """A clean sandbox for one test: the stack in an empty AWS, sample tasks, a quiet sink.

    A call the template's IAM refused fails the test, even if the code under test swallowed
    the error, unless the test is marked ``iam_denials_expected``.
    """
    local_aws.reset()
    emulator.reset()
    sink.clear()
    ready = prepare(emulator, local_aws, sink)
    yield ready
    if request.node.get_closest_marker("iam_denials_expected") is None:
        denied = [f"{r.function}: {r.action} on {r.resource}" for r in local_aws.iam.denied()]
        assert denied == [], f"calls the template's IAM refused: {denied}"


@pytest.fixture
def app(sandbox: Sandbox) -> LocalFunction:
    """RecorderFunction, freshly initialised (a cold start) in the sandbox."""
    return sandbox.recorder.cold_start()


@pytest.fixture
def router(sandbox: Sandbox) -> LocalFunction:
    """AlertRouterFunction, freshly initialised (a cold start) in the sandbox."""
    return sandbox.router.cold_start()


@pytest.fixture
def context() -> LocalLambdaContext:
    return LocalLambdaContext()
