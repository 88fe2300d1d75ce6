"""`python -m dependency_audit`: audit the layer and the installed CLI with pip-audit, one line
each, and say what is not audited (the dev tools, which nothing ships). Exit 1 on a known
vulnerability; with ``--strict``, also when a shipped set could not be audited whole."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from dependency_audit.summary import summarise

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "shared" / "requirements.txt"


def _export(path: Path, *groups: str) -> int:
    """Write uv.lock's pins (with hashes) for ``groups`` to ``path``; how many packages."""
    uv = shutil.which("uv")
    if uv is None:
        raise SystemExit("uv is not on PATH: `make setup` installs it")
    subprocess.run(  # noqa: S603 (fixed arguments)
        [uv, "export", "--frozen", "--no-emit-project", "-q", *groups, "-o", str(path)],
        check=True,
        cwd=ROOT,
    )
    return _count(path)


def _count(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines() if line[:1].isalnum())


def _audit(requirements: Path, *flags: str) -> dict[str, object]:
    done = subprocess.run(  # noqa: S603 (fixed arguments)
        [
            sys.executable,
            "-m",
            "pip_audit",
            "--disable-pip",
            "--progress-spinner",
            "off",
            "-f",
            "json",
            *flags,
            "-r",
            str(requirements),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    start = done.stdout.find("{")
    if start == -1:
        raise SystemExit(f"pip-audit gave no answer: {done.stderr.strip()[-300:]}")
    answer: dict[str, object] = json.loads(done.stdout[start:])
    return answer


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m dependency_audit")
    parser.add_argument("--strict", action="store_true", help="fail when a set is unaudited")
    strict = parser.parse_args().strict
    with tempfile.TemporaryDirectory() as tmp:
        cli = Path(tmp) / "cli.txt"
        everything = Path(tmp) / "all.txt"
        shipped_to_merchants = _export(cli, "--no-dev")
        all_pinned = _export(everything, "--all-groups")
        readings = [
            # The layer's file pins versions without hashes (the build installs it): no deps
            # resolved, each pin read as it is.
            summarise("the Lambda layer", _audit(LAYER, "--no-deps")),
            summarise("the CLI and library", _audit(cli, "--require-hashes")),
        ]
    for reading in readings:
        print(f"pip-audit: {reading.line}")
    print(
        f"pip-audit: the dev tools ({all_pinned - shipped_to_merchants} more packages: tests,"
        " linters, the sandbox) ship nowhere and are not audited"
    )
    if any(r.vulnerable for r in readings):
        return 1
    if strict and any(r.audited < r.total for r in readings):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
