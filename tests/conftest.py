"""Shared fixtures: one emulator, moto server and sink per session, reset before each test.

Under pytest-xdist (`make test` runs `pytest -n 2 --dist loadgroup`) each worker is a session
of its own: its own emulator, moto server and sink, each on a free port the system picks, and
its own environment. What workers share: the SAM transform cache (written atomically, under a
lock: `bwp_sandbox.iam.sam`) and the uv cache. No test uses the home folder's sandbox state
file (`no_user_sandbox`). The scheduling below hands out the longest tests first.
"""

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


# -- several workers (pytest-xdist) -------------------------------------------------------------

#: The longest tests (a node id, or its start for every parametrization; rough serial seconds),
#: handed out to the workers first, in this order:
#: - the two soaks together, one per worker. Each runs in its worker's process with short
#:   timeouts (0.4 s HTTP, 1 s leases) and counts an answer that came too late as a duplicate:
#:   it wants a core to itself, and the other soak is the one long test that leaves it one;
#: - then the long tests that run in their worker's process;
#: - then those that start processes of their own (a background sandbox, the CLI, installs),
#:   by when the soaks are done.
#: Missing here only means handed out later, in collection order; nothing else depends on it.
LONG_TESTS: tuple[tuple[str, int], ...] = (
    ("tests/soak/test_soak.py::test_soak_loses_nothing_and_duplicates_nothing", 90),
    ("tests/soak/test_reaction_soak.py::test_the_reaction_soak_ends_every_case_right", 60),
    ("tests/integration/test_alert_router.py::test_storm_is_grouped_for_chat_and_one_page", 50),
    ("tests/iam/test_least_privilege.py::test_each_function_calls_exactly_what_its_role", 19),
    ("tests/integration/test_canaries.py::test_no_email_and_no_secret_leaks_anywhere", 12),
    ("tests/cli/test_targets.py::test_a_sandbox_started_by_a_command_outlives_it", 100),
    ("tests/cli/test_audit_cli.py::test_every_action_on_a_case_is_in_its_audit_trail", 35),
    ("tests/cli/test_targets.py::test_stack_name_means_the_deployed_stack_and_aws_region", 30),
    ("tests/cli/test_targets.py::test_an_interrupted_replay_stops_at_once_says_how_far", 25),
    ("tests/cli/test_targets.py::test_a_plain_install_works_against_a_stack", 22),
    ("tests/template/test_layer_build.py::test_the_built_layer_holds_exactly_the_locked", 20),
    ("tests/cli/test_cli.py::test_interrupted_redrive_loses_nothing", 19),
    ("tests/template/test_template.py::test_cfn_lint_with_serverless_rules_is_clean", 18),
    ("tests/cli/test_targets.py::test_a_port_in_use_is_one_line_with_the_way_out", 18),
    ("tests/cli/test_output.py::test_failures_list_takes_codes_in_any_case_and_bounds_the", 17),
)


@pytest.hookimpl(tryfirst=True)  # before xdist's own, which reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an xdist worker, order the work: LONG_TESTS first, then the rest as collected. Group
    the tests of a module with a module-scoped fixture, so that one worker builds it once.

    `--dist loadgroup` hands out one test (or group) at a time, in this order, to the worker
    with the least left. (pytest-xdist 3.8 does not group under pytest 9.2, pytest-xdist issue
    #1386: such a fixture, the layer builds of tests/template, is then built by both workers,
    a few seconds. Once it does, the groups are handed out first.)
    """
    units: dict[str, list[pytest.Item]] = {}
    for item in items:
        group = _module_fixture_group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
        units.setdefault(group or item.nodeid, []).append(item)
    if hasattr(config, "workerinput"):  # the controller queues the work in the workers' order
        ordered = sorted(units.values(), key=lambda unit: min(map(_rank, unit)))
        items[:] = [item for unit in ordered for item in unit]


def _rank(item: pytest.Item) -> int:
    """The item's place in LONG_TESTS; after all of them when it is not there."""
    starts = [rank for rank, (nodeid, _) in enumerate(LONG_TESTS) if item.nodeid.startswith(nodeid)]
    return min(starts, default=len(LONG_TESTS))


def _module_fixture_group(item: pytest.Item) -> str | None:
    """The item's module when it uses a fixture set up once per module (or class or package):
    split across workers, each would build it."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    for definitions in info.name2fixturedefs.values():
        if definitions and definitions[-1].scope in ("module", "class", "package"):
            return item.nodeid.split("::", 1)[0]
    return None


@pytest.fixture(scope="session", autouse=True)
def no_user_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test finds or starts the user's own sandbox (its state file is in the home folder,
    shared by every run on the machine, every xdist worker included): by default the CLI looks
    for one in this worker's temporary folder. A test that needs a sandbox names its own file."""
    state = tmp_path_factory.mktemp("no-user-sandbox") / "sandbox.json"
    with patched_environ({"BWP_SANDBOX_FILE": str(state)}):
        yield


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
