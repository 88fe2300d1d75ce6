"""A sandbox in a process of its own, in the background: started for a command that needs
one, so that what the command stores is still there for the next; stopped on request."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bwp_privacy_cli.targets.base import TargetError
from bwp_privacy_cli.targets.sandbox import SandboxTarget, process_exists, recorded_sandbox

#: The ports `bwp-privacy sandbox` uses by default (sam local's env file names them).
DEFAULT_PORTS = {"--api-port": 8787, "--aws-port": 5000, "--sink-port": 8788}
#: The exit code a background sandbox is asked to give when a port it was given is taken.
PORT_IN_USE_EXIT = 3
#: The first start of a changed template includes the SAM transform (a few seconds).
START_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 15


def start_background_sandbox(state_file: Path) -> SandboxTarget:
    """Start the sandbox (`python -m bwp_sandbox`) detached from this terminal; return it once
    it answers.

    Default ports when they are free, others chosen by the system when not. A default port
    found free can be taken before the sandbox binds it (another checkout's command starting
    its own at the same moment): the sandbox then starts again on ports the system chooses.
    Its output goes to ``sandbox.log`` beside the state file.
    """
    state_file.parent.mkdir(parents=True, exist_ok=True)
    ports = {option: port if port_free(port) else 0 for option, port in DEFAULT_PORTS.items()}
    try:
        return _start(state_file, ports)
    except _PortTaken:
        return _start(state_file, dict.fromkeys(DEFAULT_PORTS, 0))


class _PortTaken(TargetError):
    """A port the sandbox was given was taken when it bound it."""


def _start(state_file: Path, ports: dict[str, int]) -> SandboxTarget:
    log_path = state_file.with_suffix(".log")
    arguments = [item for option, port in ports.items() for item in (option, str(port))]
    arguments += ["--port-taken-exit-code", str(PORT_IN_USE_EXIT)]
    with log_path.open("wb") as log:
        child = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "bwp_sandbox", *arguments],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in this terminal does not reach it
            env={**os.environ, "BWP_SANDBOX_FILE": str(state_file)},
        )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        target, alive = recorded_sandbox(state_file)
        if target is not None and alive and target.pid == child.pid:
            return target
        if (code := child.poll()) is not None:
            error = _PortTaken if code == PORT_IN_USE_EXIT else TargetError
            last = _last_line(log_path)
            raise error(f"the sandbox did not start: {last} (its log: {log_path})")
        time.sleep(0.2)
    child.terminate()
    raise TargetError(f"the sandbox did not start within {START_TIMEOUT_SECONDS} s ({log_path})")


def stop_sandbox(state_file: Path) -> tuple[SandboxTarget | None, bool]:
    """Stop the sandbox the state file names. (its target, whether it was running)."""
    target, alive = recorded_sandbox(state_file)
    if target is None:
        return None, False
    if alive and target.pid:
        try:
            os.kill(target.pid, signal.SIGTERM)
        except ProcessLookupError:
            alive = False
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        while alive and time.monotonic() < deadline and process_exists(target.pid):
            time.sleep(0.1)
    state_file.unlink(missing_ok=True)
    return target, alive


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether nothing listens on ``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _last_line(path: Path) -> str:
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no output"
    return lines[-1] if lines else "no output"
