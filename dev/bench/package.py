"""Deployment package sizes without sam: the layer and function zips, and the baseline's."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from bench.harness import BASELINE_DIR, FUNCTION_DIR, ROOT

REQUIREMENTS = ROOT / "shared" / "requirements.txt"
LAMBDA_PLATFORM = ["--python-platform", "aarch64-manylinux2014", "--python-version", "3.13"]
SKIP = ("__pycache__", ".pyc")


def _uv() -> list[str]:
    """uv as the Makefile runs it (UV), else from PATH, else as a module."""
    if os.environ.get("UV"):
        return shlex.split(os.environ["UV"])
    found = shutil.which("uv")
    return [found] if found else [sys.executable, "-m", "uv"]


def _install(target: Path, requirements: list[str], *, no_deps: bool) -> list[str]:
    """``uv pip install --target`` for python3.13 on arm64 Lambda; returns what it installed."""
    command = [
        *_uv(),
        "pip",
        "install",
        "--quiet",
        "--target",
        str(target),
        *LAMBDA_PLATFORM,
        "--only-binary",
        ":all:",
        *(["--no-deps"] if no_deps else []),
        *requirements,
    ]
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603 (fixed arguments)
    return sorted(
        path.name.removesuffix(".dist-info").rsplit("-", 1)[0]
        for path in target.glob("*.dist-info")
    )


def _zip(source: Path, archive: Path, prefix: str = "") -> dict[str, Any]:
    """Zip ``source`` (bytecode caches left out) under ``prefix``; sizes in KB."""
    unzipped = 0
    files = 0
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for path in sorted(source.rglob("*")):
            if path.is_dir() or any(part in SKIP for part in path.parts) or path.suffix in SKIP:
                continue
            out.write(path, prefix + str(path.relative_to(source)))
            unzipped += path.stat().st_size
            files += 1
    return {
        "zip_kb": round(archive.stat().st_size / 1024, 1),
        "unzipped_kb": round(unzipped / 1024, 1),
        "files": files,
    }


def _pinned(name: str) -> str:
    match = re.search(rf"^{re.escape(name)}==\S+", REQUIREMENTS.read_text(), re.MULTILINE)
    if match is None:
        raise RuntimeError(f"{name} is not pinned in {REQUIREMENTS}")
    return match.group(0)


def package_sizes() -> dict[str, Any]:
    """Layer as `sam build` would resolve it (dependencies of the requirements included),
    layer with exactly the requirements (--no-deps), the function zip, and the baseline."""
    work = Path(tempfile.mkdtemp(prefix="bwp-bench-package-"))
    try:
        result: dict[str, Any] = {}
        for name, no_deps in (("layer", False), ("layer_exact", True)):
            python = work / name / "python"
            installed = _install(python, ["-r", str(REQUIREMENTS)], no_deps=no_deps)
            shutil.copytree(ROOT / "shared" / "bwp_privacy", python / "bwp_privacy")
            sizes = _zip(work / name, work / f"{name}.zip")
            sizes["packages"] = installed
            largest = sorted(
                (
                    (sum(f.stat().st_size for f in p.rglob("*") if f.is_file()), p.name)
                    for p in python.iterdir()
                    if p.is_dir() and not p.name.endswith(".dist-info")
                ),
                reverse=True,
            )[:6]
            sizes["largest_unzipped_kb"] = {n: round(size / 1024) for size, n in largest}
            result[name] = sizes
        result["function"] = _zip(FUNCTION_DIR, work / "function.zip")
        baseline = work / "baseline"
        installed = _install(baseline, [_pinned("requests")], no_deps=False)
        shutil.copy(BASELINE_DIR / "app.py", baseline / "app.py")
        result["baseline"] = _zip(baseline, work / "baseline.zip")
        result["baseline"]["packages"] = installed
        result["real_total_zip_kb"] = round(
            result["layer"]["zip_kb"] + result["function"]["zip_kb"], 1
        )
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)
