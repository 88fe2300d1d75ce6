"""The layer as shipped: its requirements alone (plus the runtime's boto3) import every handler."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bwp_sandbox.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = sorted(p.parent for p in (ROOT / "functions").glob("*/app.py"))


def _uv() -> list[str]:
    found = shutil.which("uv")
    return [found] if found else [sys.executable, "-m", "uv"]


@pytest.fixture(scope="module")
def layer_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bare virtualenv with only shared/requirements.txt and boto3 (the Lambda runtime's)."""
    venv = tmp_path_factory.mktemp("layer") / "venv"
    subprocess.run([*_uv(), "venv", "-q", "--python", sys.executable, str(venv)], check=True)  # noqa: S603
    python = venv / "bin" / "python"
    subprocess.run(  # noqa: S603
        [
            *_uv(),
            "pip",
            "install",
            "-q",
            "--python",
            str(python),
            "-r",
            str(ROOT / "shared" / "requirements.txt"),
            "boto3",
        ],
        check=True,
    )
    return python


@pytest.mark.parametrize("tracer", ["true", "false"], ids=["tracer-off", "tracer-on"])
@pytest.mark.parametrize("handler_dir", HANDLERS, ids=lambda p: p.name)
def test_handler_imports_with_the_layer_alone(
    layer_python: Path, handler_dir: Path, tracer: str, sandbox: Sandbox
) -> None:
    [function] = [
        f
        for f in sandbox.functions.values()
        if f.module_name == f"functions.{handler_dir.name}.app"
    ]
    env = {
        **{
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PYTHON", "VIRTUAL_ENV"))
        },
        **function.environment,  # as the template deploys it
    }
    # The layer is unpacked under /opt/python and the function code is the working directory.
    env["PYTHONPATH"] = str(ROOT / "shared")
    env["POWERTOOLS_TRACE_DISABLED"] = tracer  # EnableTracer: the X-Ray SDK must be there
    result = subprocess.run(  # noqa: S603
        [
            str(layer_python),
            "-c",
            "import app",
        ],
        cwd=handler_dir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
