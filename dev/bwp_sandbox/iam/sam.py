"""template.yaml after the SAM transform, made by aws-sam-translator in its own environment.

The translator pins older boto3 and pydantic than the project, so it never enters the project's
environment: `uv tool run` gives it a throwaway one (cached by uv, so only the first run needs
the package registry). The result is cached by the template's content, so a changed template
is transformed again and a stale role can never be used.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TRANSLATOR = "aws-sam-translator==1.115.0"
PYYAML = "pyyaml==6.0.3"
SCRIPT = Path(__file__).with_name("sam_transform.py")
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "bwp-privacy"


class TransformError(RuntimeError):
    """The SAM transform could not run; the message says how to get it running."""


def transformed_template(template: Path) -> dict[str, Any]:
    """The transformed template as JSON, from the cache or a fresh transform."""
    digest = hashlib.sha256(
        template.read_bytes() + SCRIPT.read_bytes() + TRANSLATOR.encode()
    ).hexdigest()[:20]
    cached = CACHE_DIR / "sam-transform" / f"{template.stem}-{digest}.json"
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        # Parallel runs (pytest-xdist workers, a sandbox beside the tests) share this cache: the
        # first transforms while the others wait for its file instead of transforming again.
        with _locked(cached.with_suffix(".lock")):
            if not cached.exists():
                fd, partial = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
                os.close(fd)
                try:
                    _run_transform(template, Path(partial))
                    os.replace(partial, cached)  # atomic: no run ever reads half a file
                finally:
                    Path(partial).unlink(missing_ok=True)
    return copy.deepcopy(_read(cached))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (a no-op where there is no fcntl: the write stays
    atomic, only the work may be done twice)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover (Windows)
        yield
        return
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@functools.lru_cache(maxsize=8)
def _read(cached: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(cached.read_text())
    return loaded


def _run_transform(template: Path, output: Path) -> None:
    command = [
        *_uv(),
        "tool",
        "run",
        "--from",
        TRANSLATOR,
        "--with",
        PYYAML,
        "python",
        str(SCRIPT),
        str(template),
        str(output),
    ]
    try:
        done = subprocess.run(  # noqa: S603 (fixed arguments, no shell)
            command, capture_output=True, text=True, timeout=300, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise TransformError(f"the SAM transform did not run ({error}); {_HOW}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise TransformError(f"the SAM transform of {template.name} failed: {last}")


_HOW = "the sandbox needs uv (`pip install uv`, or `make setup`) to apply it"


def _uv() -> list[str]:
    configured = os.environ.get("UV")
    if configured:
        return configured.split()
    found = shutil.which("uv")
    if found:
        return [found]
    # `make setup` installs uv with the base interpreter's pip when it is missing.
    return [getattr(sys, "_base_executable", sys.executable), "-m", "uv"]
