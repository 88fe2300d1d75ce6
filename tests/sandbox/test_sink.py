"""The receiver sink run as a module, as `python -m bwp_sandbox.sink` would be."""

from __future__ import annotations

import subprocess
import sys

import requests


def test_the_module_serves_until_terminated() -> None:
    command = [sys.executable, "-m", "bwp_sandbox.sink", "--port", "0"]
    # A fixed command line: nothing untrusted reaches the subprocess.
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:  # noqa: S603
        try:
            assert process.stdout is not None
            assert process.stdout.readline().startswith("Receiver sink on ")
            webhook_line = next(line for line in process.stdout if "webhook" in line)
            url = webhook_line.split()[-1]
            answer = requests.post(url, json={"alerts": []}, timeout=2)
            assert answer.status_code == 401  # unsigned: the sink checks the signature
        finally:
            process.terminate()
            assert process.wait(timeout=5) == 0
        assert "stopped" in process.stdout.read()
