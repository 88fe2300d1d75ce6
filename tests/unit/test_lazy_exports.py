"""Lazy package exports (bwp_privacy.lazy_exports): every public name resolves, the type
checkers' imports and the runtime's map agree, and a cold start imports only what its first
input needs (the deadline watch neither the reaction nor the HTTP stack; the reaction neither
its SQS batch machinery nor the HTTP stack until an SQS batch or an attempt asks for them)."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

LAZY_PACKAGES = ["bwp_privacy.reaction", "bwp_privacy.bwp_api"]


def _type_checking_imports(package: str) -> dict[str, str]:
    """Each name the package's ``if TYPE_CHECKING:`` block imports, and its module."""
    source = Path(importlib.import_module(package).__file__ or "").read_text()
    names: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom), ast.unparse(statement)
                names.update({alias.name: str(statement.module) for alias in statement.names})
    return names


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_every_public_name_resolves_and_the_three_lists_agree(package: str) -> None:
    module = importlib.import_module(package)
    typed = _type_checking_imports(package)
    assert set(typed) == set(module.__all__)
    assert set(typed) <= set(dir(module))
    for name, owner in sorted(typed.items()):
        # What the runtime resolves is what the type checker was told.
        assert getattr(module, name) is getattr(importlib.import_module(owner), name)


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_an_unknown_name_is_an_attribute_error_naming_it(package: str) -> None:
    module = importlib.import_module(package)
    with pytest.raises(AttributeError, match=f"{package}.*'NoSuchName'"):
        _ = module.NoSuchName


def _imported_by(*modules: str) -> set[str]:
    """The modules a fresh interpreter holds after importing ``modules``."""
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules)
    code += "print('\\n'.join(sorted(sys.modules)))"
    answer = subprocess.run(  # noqa: S603 (this interpreter, fixed code)
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(answer.stdout.split())


HEAVY = ("requests", "aws_lambda_powertools.utilities.batch")


def test_the_deadline_watch_imports_neither_the_http_stack_nor_the_batch_utility() -> None:
    loaded = _imported_by("bwp_privacy.deadline_watch", "bwp_privacy.cases")
    assert "bwp_privacy.cases.reader" in loaded
    assert not loaded & set(HEAVY)
    # It reads cases from bwp_privacy.cases: nothing of the reaction comes with them.
    assert not {module for module in loaded if module.startswith("bwp_privacy.reaction")}


def test_the_reaction_imports_the_batch_utility_and_the_api_client_only_when_needed() -> None:
    loaded = _imported_by("bwp_privacy.reaction.wiring", "bwp_privacy.reaction.inputs")
    assert not loaded & set(HEAVY)
    assert "bwp_privacy.reaction.failure_batch" not in loaded
    assert "bwp_privacy.bwp_api.build" not in loaded
