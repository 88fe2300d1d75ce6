"""A package's public names, each imported on first use (PEP 562).

Why: a Lambda function pays at cold start for every module its handler imports, used or
not. A package whose ``__init__`` imports all its modules makes every user pay for all of
them: the deadline watch, which reads cases, imported the reaction's SQS batch machinery
and the API client's HTTP stack with them. With lazy exports, ``from package import Name``
imports the one module that defines ``Name``.

A package keeps its ``__all__`` and, for type checkers, the same imports under
``TYPE_CHECKING``; ``tests/unit/test_lazy_exports.py`` checks that the two lists agree and
that every name resolves.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, tuple[str, ...]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``exports`` maps each of its modules
    (relative, e.g. ``"case"``) to the public names it defines."""
    owner = {name: module for module, names in exports.items() for name in names}
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> Any:
        module = owner.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value  # the next lookup is a plain attribute
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *owner})

    return __getattr__, __dir__
