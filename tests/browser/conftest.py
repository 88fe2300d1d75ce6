"""A real headless Chromium for the browser tests: the system's, installed once per session
with apt-get when it is missing and this runs as root; otherwise the tests skip, saying how
to install it."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

#: How to get Chromium by hand, said when the tests skip.
HOW_TO_INSTALL = (
    "install Chromium (Debian/Ubuntu: `sudo apt-get install -y chromium`; elsewhere, put a"
    " `chromium` on PATH) and run the tests again"
)
#: A first install downloads about 100 MB: generous, yet a hung mirror still fails the session.
_INSTALL_TIMEOUT = 900


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The path of a `chromium` executable; skips the test when there is none to be had."""
    found = shutil.which("chromium")
    if found is None:
        # Each pytest-xdist worker is a session of its own: one installs, the others wait
        # for it (apt-get holds its own lock and would fail them) and then find chromium.
        lock = Path(tempfile.gettempdir()) / "bwp-privacy-chromium-install.lock"
        with lock.open("w") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            found = shutil.which("chromium")
            why = _install() if found is None else "installed"
            found = shutil.which("chromium")
        if found is None:
            message = f"no headless Chromium: {why}; {HOW_TO_INSTALL}"
            if os.environ.get("BWP_UPDATE_DOCS") == "1":
                # `make report-screenshot` must not end well without the screenshot it promised.
                pytest.fail(f"docs/report.png not updated: {message}")
            pytest.skip(message)
    return Path(found)


def _install() -> str:
    """Try `apt-get install -y chromium`; return why it could not be done (or what it took)."""
    apt = shutil.which("apt-get")
    if apt is None:
        return "chromium is not on PATH and this machine has no apt-get to install it"
    if os.geteuid() != 0:
        return (
            f"chromium is not on PATH and installing it needs root (running as uid {os.geteuid()})"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    started = time.monotonic()
    install = [apt, "install", "-y", "chromium"]
    done = _run(install, env)
    if done.returncode != 0:
        # A fresh image has no package lists yet: fetch them once and try again.
        _run([apt, "update"], env)
        done = _run(install, env)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        tail = done.stdout.strip().splitlines()[-1:] or ["no output"]
        return f"`apt-get install -y chromium` failed after {seconds:.0f} s: {tail[0]}"
    print(f"\ninstalled chromium with apt-get in {seconds:.0f} s")
    return f"apt-get installed chromium in {seconds:.0f} s, yet it is not on PATH"


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(  # noqa: S603 (a fixed command, no shell)
            command,
            env=env,
            capture_output=True,
            text=True,
            timeout=_INSTALL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(command, 1, f"timed out after {_INSTALL_TIMEOUT} s", "")
