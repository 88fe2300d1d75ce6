"""The package as `make sam-build` makes it: the layer (shared/Makefile) holds exactly the
packages uv.lock pins, for Lambda's python3.13 on arm64, and the layer and every function hold
bytecode for python3.13 for every module they ship (Lambda's /opt and /var/task are read-only:
a module without it is compiled at every cold start)."""

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
def python_313() -> str:
    python = python313()
    if python is None:
        pytest.skip(
            "no python3.13 here (the package is built for Lambda's python3.13): install one"
        )
    return python


@pytest.fixture(scope="module")
def sam_build(tmp_path_factory: pytest.TempPathFactory, python_313: str) -> Path:
    """`make sam-build` into a scratch directory (sam writes build.toml beside it)."""
    build = tmp_path_factory.mktemp("sam") / "build"
    result = subprocess.run(  # noqa: S603
        [
            shutil.which("make") or "make",
            "-s",
            "-C",
            str(ROOT),
            "sam-build",
            f"SAM_BUILD_DIR={build}",
            f"SAM_PYTHON={python_313}",
            # A cache of its own: sam's clean-up of the checkout's .aws-sam/cache once failed
            # here (OSError in rmtree) with two `make test` side by side.
            f"SAM_BUILD_FLAGS=--cache-dir {build.parent / 'cache'}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return build


@pytest.fixture(scope="module")
def built_layer(sam_build: Path) -> Path:
    return sam_build / "BwpPrivacyLayer" / "python"


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
    # The table of laws is data beside the case's modules: no legal clock counts without it.
    assert (built_layer / "bwp_privacy" / "cases" / "jurisdictions.json").exists()
    # So is the catalogue: the router and the reaction both read it from the layer.
    assert (built_layer / "bwp_privacy" / "catalogue" / "codes.json").exists()


def test_every_module_shipped_has_bytecode_that_is_never_checked_against_its_source(
    sam_build: Path, python_313: str
) -> None:
    # The layer and the four handlers, each function under its logical id.
    functions = sorted(path.parent.name for path in sam_build.glob("*/app.py"))
    assert functions == sorted(
        "".join(part.title() for part in path.parent.name.split("_")) + "Function"
        for path in (ROOT / "functions").glob("*/app.py")
    )
    magic = subprocess.run(  # noqa: S603
        [python_313, "-c", "import importlib.util; print(importlib.util.MAGIC_NUMBER.hex())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    shipped = sorted(sam_build.rglob("*.py"))
    assert len(shipped) > 100  # the layer's packages and bwp_privacy, not only the handlers
    missing, checked = [], []
    for source in shipped:
        compiled = source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc"
        if not compiled.exists():
            missing.append(str(source.relative_to(sam_build)))
            continue
        header = compiled.read_bytes()[:8]
        # PEP 552 flags 0b01: hash-based and never checked, so a read-only file system never
        # compiles it again, whatever the zip does to file times.
        if header[:4].hex() != magic or int.from_bytes(header[4:8], "little") != 0b01:
            checked.append(str(source.relative_to(sam_build)))
    assert missing == []
    assert checked == []
