"""Patch moto's CloudFormation when it is loaded, not before.

Loading moto's CloudFormation takes seconds (it imports some thirty services' models to find
their CloudFormation types), and most sandboxes never receive a CloudFormation call. So
`install` costs nothing at start: it patches at once if moto's CloudFormation is already
loaded, else as soon as anything loads it (the moto server does on the first CloudFormation
request, before answering it).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Sequence
from types import ModuleType

#: The module whose loading means moto's CloudFormation is there (its parsing and the service
#: models are loaded by then; the engine loads the responses itself).
TRIGGER = "moto.cloudformation.models"
_LOCK = threading.Lock()
_finder: _PatchWhenLoaded | None = None


def install() -> None:
    """Make moto's CloudFormation behave as AWS's for template.yaml (idempotent, thread-safe)."""
    global _finder
    with _LOCK:
        if TRIGGER in sys.modules:
            _apply()
        elif _finder is None:
            _finder = _PatchWhenLoaded()
            sys.meta_path.insert(0, _finder)


def _apply() -> None:
    from bwp_sandbox.cloudformation import engine  # here: importing it loads moto's CloudFormation

    engine.apply()


class _PatchWhenLoaded(importlib.abc.MetaPathFinder):
    """Finds TRIGGER as Python would, and patches once its module has run."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != TRIGGER:
            return None
        sys.meta_path.remove(self)  # once; and the search below must not find this finder
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        run = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            _apply()

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec
