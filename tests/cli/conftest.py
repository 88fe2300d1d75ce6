"""Drive `bwp-privacy` against the test sandbox: in a subprocess (entry point) or in-process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bwp_privacy_cli.main import cli
from bwp_privacy_cli.output import PIPED_WIDTH, console
from bwp_sandbox.admin import ADMIN_CREDENTIALS
from bwp_sandbox.local_aws import LocalAws
from bwp_sandbox.sandbox import Sandbox

ENTRY_POINT = str(Path(sys.executable).with_name("bwp-privacy"))


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def target_file(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's sandbox, announced to the CLI as a running sandbox."""
    path = tmp_path / "sandbox.json"
    sandbox.target().write(path)
    monkeypatch.setenv("BWP_SANDBOX_FILE", str(path))
    return path


Run = Callable[..., Result]


@pytest.fixture
def run_cli(target_file: Path) -> Run:
    """Run the CLI in a subprocess through its console script, as a user would."""

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        completed = subprocess.run(  # noqa: S603
            [ENTRY_POINT, *args],
            input=input,
            capture_output=True,
            text=True,
            # The width tables are laid out for, whatever the terminal running the tests.
            env={**os.environ, "COLUMNS": str(PIPED_WIDTH), **(env or {})},
            timeout=120,
            check=False,
        )
        return Result(completed.returncode, completed.stdout, completed.stderr)

    return run


@pytest.fixture
def invoke(target_file: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run the CLI in-process (faster; same code path below the entry point)."""
    # The console took its width from COLUMNS when it was imported: the width a pipe gets,
    # whatever the terminal running the tests.
    monkeypatch.setattr(console, "width", PIPED_WIDTH)

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        outcome = runner.invoke(
            cli, list(args), input=input, env=env, catch_exceptions=False, prog_name="bwp-privacy"
        )
        return Result(outcome.exit_code, outcome.stdout, outcome.stderr)

    return run


@pytest.fixture
def merchant_shell(sandbox: Sandbox, local_aws: LocalAws, tmp_path: Path) -> dict[str, str]:
    """A merchant's shell before and after a deploy: their account (the sandbox's AWS) and
    region, no sandbox of the CLI's; Buy with Prime is the sandbox's emulator (BWP_API_URL and
    BWP_TOKEN_URL point setup at it before a stack says where the API is)."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "BWP_", "FAILURES_", "LEDGER_", "POWERTOOLS_"))
    }
    return {
        **keep,
        "AWS_ENDPOINT_URL": local_aws.url,
        "AWS_REGION": "us-east-1",
        **ADMIN_CREDENTIALS,
        "BWP_SANDBOX_FILE": str(tmp_path / "no-sandbox-here.json"),
        "BWP_API_URL": sandbox.emulator.graphql_url,
        "BWP_TOKEN_URL": sandbox.emulator.token_url,
    }


@pytest.fixture
def ctrl_c_as_a_terminal_sends() -> Iterator[None]:
    """The processes a test starts get Ctrl-C (SIGINT) at its default, as from a terminal.

    A shell that runs a command in the background without job control (`make test &` in a
    script, some CI runners) starts it with SIGINT ignored, and every process inherits that:
    a Python CLI started so never raises KeyboardInterrupt, and a test of what Ctrl-C does
    would test nothing. A Python handler here becomes the default in a started process.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
