"""Two clones of bwp-privacy on one machine, each with its own bwp-privacy (what `uv sync` in
each gives): each checkout has a sandbox of its own, every target line names the checkout its
sandbox serves, and no command acts on another checkout's sandbox without saying so."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from bwp_sandbox.sandbox import Sandbox
from tests.cli.conftest import ENTRY_POINT, Result
from tests.cli.test_targets import clean_env
from tests.conftest import EVENTS
from tests.integration.helpers import stored_items

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
#: What a clone holds that its CLI and its sandbox run from.
CLONED = (
    "shared",
    "cli",
    "dev",
    "functions",
    "templates",
    "template.yaml",
    "pyproject.toml",
    "samconfig.toml",
)
#: The folders an editable install puts on the path (pyproject.toml's dev-mode-dirs).
ON_THE_PATH = ("shared", "cli", "dev", ".")


@pytest.fixture(scope="module")
def checkouts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two copies of this working tree: the first clone and the second."""
    made = []
    for name in ("first-clone", "second-clone"):
        checkout = tmp_path_factory.mktemp(name).resolve()
        for part in CLONED:
            source = ROOT / part
            if source.is_dir():
                shutil.copytree(
                    source, checkout / part, ignore=shutil.ignore_patterns("__pycache__")
                )
            else:
                shutil.copy2(source, checkout / part)
        made.append(checkout)
    return made[0], made[1]


def shell(checkout: Path, home: Path, **extra: str) -> dict[str, str]:
    """A shell whose bwp-privacy runs ``checkout``'s code, as that clone's own virtual
    environment would; the home folder is the test's (the state files' folder)."""
    path = os.pathsep.join(str(checkout / folder) for folder in ON_THE_PATH)
    return clean_env(HOME=str(home), PYTHONPATH=path, **extra)


def run(env: dict[str, str], *args: str) -> Result:
    done = subprocess.run(  # noqa: S603
        [ENTRY_POINT, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    return Result(done.returncode, done.stdout, done.stderr)


def the_first_clones_sandbox(sandbox: Sandbox, first: Path, state_file: Path) -> None:
    """The test's sandbox, recorded as the first clone's own running sandbox (this process
    serves it)."""
    replace(sandbox.target(pid=os.getpid()), checkout=str(first)).write(state_file)


def test_each_checkout_has_its_own_sandbox_and_the_target_line_names_it(
    sandbox: Sandbox, checkouts: tuple[Path, Path], tmp_path: Path
) -> None:
    first, second = checkouts
    home = tmp_path / "home"
    in_first, in_second = shell(first, home), shell(second, home)
    first_file = Path(run(in_first, "sandbox", "status", "--json").json()["stateFile"])
    second_file = Path(run(in_second, "sandbox", "status", "--json").json()["stateFile"])
    assert first_file != second_file
    assert first_file.parent == second_file.parent == home / ".cache" / "bwp-privacy"
    the_first_clones_sandbox(sandbox, first, first_file)

    listed = run(in_first, "failures", "list")
    assert listed.exit_code == 0, listed.stderr
    assert listed.stdout.splitlines()[0].startswith(
        f"Target: the local sandbox of the checkout {first} (AWS at "
    )
    status = run(in_first, "sandbox", "status")
    assert status.stdout.startswith(f"The sandbox of the checkout {first} is running")

    # The second clone does not find the first one's: it has none running, and says whose is.
    elsewhere = run(in_second, "sandbox", "status")
    assert elsewhere.exit_code == 0, elsewhere.stderr
    said = " ".join(elsewhere.stdout.split())  # the terminal's wrapping aside
    assert said.startswith(f"No sandbox is running for this checkout, {second} (")
    assert f"The sandbox of the checkout {first} is running (pid {os.getpid()}, state in" in said
    assert "another checkout's, which commands here do not use." in said
    assert run(in_second, "sandbox", "status", "--json").json()["running"] is False


def test_a_state_file_shared_by_two_checkouts_is_refused_by_the_other_one(
    sandbox: Sandbox, checkouts: tuple[Path, Path], tmp_path: Path
) -> None:
    first, second = checkouts
    shared = tmp_path / "shared-sandbox.json"
    home = tmp_path / "home"
    in_first = shell(first, home, BWP_SANDBOX_FILE=str(shared))
    in_second = shell(second, home, BWP_SANDBOX_FILE=str(shared))
    the_first_clones_sandbox(sandbox, first, shared)

    for args in (["failures", "list"], ["replay", str(EVENTS / "deletion-task-failed.json")]):
        refused = run(in_second, *args)
        assert refused.exit_code == 1, refused.stdout
        lines = [line for line in refused.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, refused.stderr
        assert f"serves the checkout {first}, not this one ({second})" in lines[0]
        assert "`bwp-privacy sandbox stop`" in lines[0]
        assert "unset BWP_SANDBOX_FILE" in lines[0]
    assert stored_items(sandbox.stack) == []  # the replay did not act on it
    started = run(in_second, "sandbox", "start")
    assert started.exit_code == 1
    assert f"serves the checkout {first}" in started.stderr
    told = run(in_second, "sandbox", "status")
    assert told.exit_code == 0
    assert "It is another checkout's: commands here do not use it." in told.stdout

    # Its own checkout uses it as ever.
    own = run(in_first, "failures", "list")
    assert own.exit_code == 0, own.stderr
    assert own.stdout.startswith(f"Target: the local sandbox of the checkout {first} (")


def test_a_port_another_checkouts_sandbox_holds_is_said_to_be_its(
    sandbox: Sandbox, checkouts: tuple[Path, Path], tmp_path: Path
) -> None:
    first, second = checkouts
    home = tmp_path / "home"
    in_first, in_second = shell(first, home), shell(second, home)
    first_file = Path(run(in_first, "sandbox", "status", "--json").json()["stateFile"])
    the_first_clones_sandbox(sandbox, first, first_file)
    port = sandbox.emulator.base_url.rsplit(":", 1)[1].rstrip("/")
    taken = run(in_second, "sandbox", "--api-port", port, "--aws-port", "0", "--sink-port", "0")
    assert taken.exit_code == 1
    lines = [line for line in taken.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, taken.stderr
    assert f"in use by the sandbox of the checkout {first} (pid {os.getpid()})" in lines[0]
    assert f"API emulator {port}" in lines[0]
