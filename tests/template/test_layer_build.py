"""The layer as `sam build` makes it (shared/Makefile): exactly the packages uv.lock pins, for
Lambda's python3.13 on arm64, with bytecode for every module it ships."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Provided by the Lambda runtime: never in the layer.
RUNTIME = {"boto3", "botocore", "s3transfer"}


def python313() -> str | None:
    """An interpreter for Lambda's runtime: SAM_PYTHON, PATH (not a pyenv shim), pyenv, uv."""
    candidates = [os.environ.get("SAM_PYTHON")]
    found = shutil.which("python3.13")
    if found and "/shims/" not in found:
        candidates.append(found)
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False)  # noqa: S603
        candidates += sorted(
            str(p) for p in Path(root.stdout.strip()).glob("versions/3.13*/bin/python3.13")
        )
    uv = shutil.which("uv")
    if uv:
        answer = subprocess.run(  # noqa: S603
            [uv, "python", "find", "3.13"], capture_output=True, text=True, check=False
        )
        candidates.append(answer.stdout.strip() if answer.returncode == 0 else None)
    return next((c for c in candidates if c and Path(c).exists()), None)


@pytest.fixture(scope="module")
def built_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    python = python313()
    if python is None:
        pytest.skip("no python3.13 here (the layer is built for Lambda's python3.13): install one")
    artifacts = tmp_path_factory.mktemp("layer")
    subprocess.run(  # noqa: S603
        [
            shutil.which("make") or "make",
            "-s",
            "-C",
            str(ROOT / "shared"),
            "build-BwpPrivacyLayer",
            f"ARTIFACTS_DIR={artifacts}",
            f"PYTHON={python}",
        ],
        check=True,
        capture_output=True,
    )
    return artifacts / "python"


def _locked() -> dict[str, str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return {
        package["name"]: package["version"] for package in lock["package"] if "version" in package
    }


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_built_layer_holds_exactly_the_locked_packages(built_layer: Path) -> None:
    installed = {}
    for info in built_layer.glob("*.dist-info"):
        name, version = info.name.removesuffix(".dist-info").rsplit("-", 1)
        installed[_normal(name)] = version
    wanted = {
        _normal(line.split("==")[0]): line.split("==")[1].strip()
        for line in (ROOT / "shared" / "requirements.txt").read_text().splitlines()
        if "==" in line
    }
    locked = {_normal(name): version for name, version in _locked().items()}
    assert installed == wanted
    assert all(locked[name] == version for name, version in installed.items())
    assert not RUNTIME & set(installed)  # botocore is the runtime's: no 30 MB copy
    assert (built_layer / "bwp_privacy" / "recorder" / "recorder.py").exists()


def test_every_module_it_ships_has_its_bytecode(built_layer: Path) -> None:
    missing = [
        str(source.relative_to(built_layer))
        for source in built_layer.rglob("*.py")
        if not (source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc").exists()
    ]
    assert missing == []
