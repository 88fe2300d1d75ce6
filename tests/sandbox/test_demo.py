"""`make demo`, the first command README gives, as a new user runs it: it sets up the sandbox
as `bwp-privacy setup` does, carries every sample through, and ends with doctor passing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bwp_sandbox.stack import PROJECT_ROOT


def test_the_demo_ends_with_every_doctor_check_passing(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    done = subprocess.run(
        [sys.executable, "-m", "bwp_sandbox.demo"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "BWP_DEMO_REPORT": str(report)},
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "== Setup before the first deploy (`bwp-privacy setup`) ==" in out
    assert "  done      partner event bus: aws.partner/buywithprime/" in out
    doctor = out.split("== Doctor: the stack checked end to end (`bwp-privacy doctor`) ==")[1]
    lines = doctor.strip().splitlines()
    assert lines[-1].endswith(" passed, 0 warning(s), 0 failed"), doctor
    assert all(line.startswith("PASS ") for line in lines[:-1]), doctor
    assert report.stat().st_size > 10_000
