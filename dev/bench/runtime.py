"""A Lambda-like python3.13 execution environment on this machine, built as the stack ships.

- the runtime: python3.13 (the template's Runtime) with the runtime's own boto3, botocore and
  s3transfer (versions from uv.lock), in a virtualenv of its own, compiled as an installed
  runtime is;
- /opt/python: the layer exactly as `sam build` makes it (the code's shared/Makefile, for this
  machine's architecture instead of arm64): the locked packages and bwp_privacy, with
  unchecked-hash bytecode;
- /var/task: each function's directory, compiled as `make sam-build` compiles it (when the
  code's Makefile does: an older commit may not);
- the baselines: each bare handler with requests beside it, compiled the same way.

The handlers run on the bytecode shipped there and write none (Lambda's /opt and /var/task
are read-only).
"""

from __future__ import annotations

import os
import platform
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: What the Lambda runtime ships beside the interpreter (never in the layer).
RUNTIME_PACKAGES = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "python-dateutil",
    "six",
    "urllib3",
)
RUNTIME_VERSION = "3.13"
COMPILE = ["-m", "compileall", "-q", "-j0", "--invalidation-mode", "unchecked-hash"]


@dataclass(frozen=True)
class Runtime:
    """Where each piece of the execution environment is."""

    python: Path
    layer: Path
    task_roots: dict[str, Path]
    baselines: dict[str, Path]
    baseline_deps: Path
    version: str
    functions_compiled: bool
    #: Modules the layer and the functions ship without bytecode for the runtime's Python.
    missing_bytecode: tuple[str, ...] = ()
    modules: int = 0


def find_python313() -> str | None:
    """An interpreter for Lambda's runtime: SAM_PYTHON, PATH (not a pyenv shim), pyenv, uv
    (as `make sam-build` looks for one)."""
    candidates = [os.environ.get("SAM_PYTHON")]
    found = shutil.which(f"python{RUNTIME_VERSION}")
    if found and "/shims/" not in found:
        candidates.append(found)
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False)  # noqa: S603
        candidates += sorted(
            str(path)
            for path in Path(root.stdout.strip()).glob(
                f"versions/{RUNTIME_VERSION}*/bin/python{RUNTIME_VERSION}"
            )
        )
    uv = uv_command()
    answer = subprocess.run(  # noqa: S603
        [*uv, "python", "find", RUNTIME_VERSION], capture_output=True, text=True, check=False
    )
    candidates.append(answer.stdout.strip() if answer.returncode == 0 else None)
    return next((c for c in candidates if c and Path(c).exists()), None)


def uv_command() -> list[str]:
    """uv as the Makefile runs it (UV), else from PATH, else as a module."""
    if os.environ.get("UV"):
        return shlex.split(os.environ["UV"])
    found = shutil.which("uv")
    return [found] if found else [sys.executable, "-m", "uv"]


def _locked(lock: Path, names: tuple[str, ...]) -> list[str]:
    packages = tomllib.loads(lock.read_text())["package"]
    versions = {package["name"]: package.get("version") for package in packages}
    return [f"{name}=={versions[name]}" for name in names]


def _run(command: list[str], **kwargs: object) -> None:
    completed = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]  # noqa: S603
    if completed.returncode != 0:
        raise RuntimeError(
            f"{shlex.join(command)} failed ({completed.returncode}):\n"
            + (completed.stdout + completed.stderr)[-3000:]
        )


def _platform() -> str:
    machine = platform.machine().lower()
    return "manylinux2014_aarch64" if machine in ("aarch64", "arm64") else "manylinux2014_x86_64"


def build_runtime(
    work: Path,
    *,
    code: Path,
    root: Path,
    functions: dict[str, str],
    baselines: dict[str, Path],
    log: Callable[[str], None],
) -> Runtime:
    """Build everything under ``work``: ``functions`` maps a name to its directory under
    ``code``/functions, ``baselines`` a name to its handler's directory."""
    python = find_python313()
    if python is None:
        raise SystemExit(
            f"the benchmark runs the handlers on python{RUNTIME_VERSION} (the template's "
            "Runtime): none found on PATH, in pyenv or among uv's interpreters. Install one "
            f"(`uv python install {RUNTIME_VERSION}`) or set SAM_PYTHON=/path/to/python3.13"
        )
    log(f"Lambda-like runtime: {python}, the layer built by shared/Makefile ({_platform()})")
    uv = uv_command()
    venv = work / "runtime"
    _run([*uv, "venv", "-q", "--python", python, str(venv)])
    runtime_python = venv / "bin" / "python"
    _run(
        [
            *uv,
            "pip",
            "install",
            "-q",
            "--python",
            str(runtime_python),
            "--no-deps",
            "--compile-bytecode",
            *_locked(root / "uv.lock", RUNTIME_PACKAGES),
        ]
    )
    layer = work / "opt"
    _run(
        [
            shutil.which("make") or "make",
            "-s",
            "-C",
            str(code / "shared"),
            "build-BwpPrivacyLayer",
            f"ARTIFACTS_DIR={layer}",
            f"PYTHON={python}",
            f"PLATFORM={_platform()}",
        ]
    )
    # As `make sam-build` ships the functions: compiled if the code's Makefile compiles them.
    makefile = code / "Makefile"
    compiled = makefile.exists() and "compileall" in makefile.read_text()
    task_roots: dict[str, Path] = {}
    for name, directory in functions.items():
        target = work / "task" / name
        shutil.copytree(
            code / "functions" / directory,
            target,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        task_roots[name] = target
    if compiled:
        _run([python, *COMPILE, str(work / "task")])
    deps = work / "baseline-deps"
    requests = next(
        line.strip()
        for line in (root / "shared" / "requirements.txt").read_text().splitlines()
        if line.startswith("requests==")
    )
    _run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--only-binary=:all:",
            "--target",
            str(deps),
            requests,
        ]
    )
    baseline_roots: dict[str, Path] = {}
    for name, source in baselines.items():
        target = work / "baseline" / name
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        baseline_roots[name] = target
    _run([python, *COMPILE, str(work / "baseline"), str(deps)])
    version = subprocess.run(  # noqa: S603
        [str(runtime_python), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    tag = f"cpython-{RUNTIME_VERSION.replace('.', '')}"
    shipped = [
        (base, source)
        for base in (layer / "python", work / "task")
        for source in sorted(base.rglob("*.py"))
    ]
    missing = tuple(
        str(source.relative_to(base))
        for base, source in shipped
        if not (source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc").exists()
    )
    return Runtime(
        python=runtime_python,
        layer=layer / "python",
        task_roots=task_roots,
        baselines=baseline_roots,
        baseline_deps=deps,
        version=version,
        functions_compiled=compiled,
        missing_bytecode=missing,
        modules=len(shipped),
    )
