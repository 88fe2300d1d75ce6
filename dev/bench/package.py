"""Deployment package sizes without sam: the layer as shared/Makefile builds it for Lambda
(arm64, with bytecode) and without its bytecode, the recorder's function zip, the baseline's."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from bench.functions import BASELINE_DIR, CODE, FUNCTION_DIR
from bench.runtime import find_python313, uv_command

REQUIREMENTS = CODE / "shared" / "requirements.txt"
LAMBDA_PLATFORM = ["--python-platform", "aarch64-manylinux2014", "--python-version", "3.13"]
SKIP = ("__pycache__", ".pyc")


def _install(target: Path, requirements: list[str], *, no_deps: bool) -> list[str]:
    """``uv pip install --target`` for python3.13 on arm64 Lambda; returns what it installed."""
    command = [
        *uv_command(),
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


def _zip(source: Path, archive: Path, prefix: str = "", *, bytecode: bool = True) -> dict[str, Any]:
    """Zip ``source`` (with or without its bytecode) under ``prefix``; sizes in KB."""
    unzipped = 0
    files = 0
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for path in sorted(source.rglob("*")):
            cache = any(part in SKIP for part in path.parts) or path.suffix in SKIP
            if path.is_dir() or (cache and not bytecode):
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
    """The layer as `sam build` makes it (shared/Makefile, for arm64, with bytecode), the same
    without its bytecode, the recorder's function zip (compiled as `make sam-build` does, when
    the code's Makefile does) and the baseline's (app.py and requests)."""
    python = find_python313()
    if python is None:
        raise RuntimeError("no python3.13 to build the layer with")
    work = Path(tempfile.mkdtemp(prefix="bwp-bench-package-"))
    try:
        result: dict[str, Any] = {}
        subprocess.run(  # noqa: S603 (fixed arguments)
            [
                shutil.which("make") or "make",
                "-s",
                "-C",
                str(CODE / "shared"),
                "build-BwpPrivacyLayer",
                f"ARTIFACTS_DIR={work / 'layer'}",
                f"PYTHON={python}",
            ],
            check=True,
            capture_output=True,
        )
        layer = work / "layer" / "python"
        installed = sorted(
            path.name.removesuffix(".dist-info").rsplit("-", 1)[0]
            for path in layer.glob("*.dist-info")
        )
        largest = sorted(
            (
                (sum(f.stat().st_size for f in p.rglob("*") if f.is_file()), p.name)
                for p in layer.iterdir()
                if p.is_dir() and not p.name.endswith(".dist-info")
            ),
            reverse=True,
        )[:6]
        for name, bytecode in (("layer", True), ("layer_source", False)):
            sizes = _zip(work / "layer", work / f"{name}.zip", bytecode=bytecode)
            sizes["packages"] = installed
            sizes["largest_unzipped_kb"] = {n: round(size / 1024) for size, n in largest}
            result[name] = sizes
        function = work / "function"
        shutil.copytree(FUNCTION_DIR, function, ignore=shutil.ignore_patterns(*SKIP))
        makefile = CODE / "Makefile"
        if makefile.exists() and "compileall" in makefile.read_text():
            subprocess.run(  # noqa: S603
                [
                    python,
                    "-m",
                    "compileall",
                    "-q",
                    "--invalidation-mode",
                    "unchecked-hash",
                    str(function),
                ],
                check=True,
                capture_output=True,
            )
        result["function"] = _zip(function, work / "function.zip")
        baseline = work / "baseline"
        installed = _install(baseline, [_pinned("requests")], no_deps=False)
        shutil.copy(BASELINE_DIR / "recorder" / "app.py", baseline / "app.py")
        result["baseline"] = _zip(baseline, work / "baseline.zip", bytecode=False)
        result["baseline"]["packages"] = installed
        result["real_total_zip_kb"] = round(
            result["layer"]["zip_kb"] + result["function"]["zip_kb"], 1
        )
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)
