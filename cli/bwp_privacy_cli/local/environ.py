"""Environment variables set for a while, as a new process would see them (no heavy imports:
the CLI uses it).

Credentials are environment variables too, and boto3 caches what it read of them in its
default session: whenever the AWS credentials change, that cache is dropped, so the next
client signs with the credentials now in force (a function's role, or the sandbox's own).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager

_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


@contextmanager
def patched_environ(values: Mapping[str, str], *, unset: Iterable[str] = ()) -> Iterator[None]:
    """Set (and unset) environment variables for the duration of the block, then restore."""
    removed = [key for key in unset if key not in values]
    saved = {key: os.environ.get(key) for key in [*values, *removed]}
    for key in removed:
        os.environ.pop(key, None)
    os.environ.update(values)
    _forget_credentials_if_changed(saved)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
        _forget_credentials_if_changed(saved)


def _forget_credentials_if_changed(keys: Iterable[str]) -> None:
    if any(key in _CREDENTIALS for key in keys) and "boto3" in sys.modules:
        sys.modules["boto3"].DEFAULT_SESSION = None  # type: ignore[attr-defined]


class _FunctionEnvironment:
    """One function's environment at a time in this process. Invocations of the same function
    may overlap (the soak's workers); another function waits until they are done."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._active: str | None = None
        self._depth = 0
        self._stack = ExitStack()
        self._held = threading.local()

    @contextmanager
    def using(self, name: str, values: Mapping[str, str]) -> Iterator[None]:
        """Run the block with ``values`` set, as the function ``name``'s process would."""
        held = getattr(self._held, "name", None)
        if held not in (None, name):
            raise RuntimeError(f"{name} cannot run inside {held}: each has its own process")
        with self._condition:
            while self._active not in (None, name):
                self._condition.wait()
            if self._active is None:
                self._stack.enter_context(patched_environ(values))
                self._active = name
            self._depth += 1
        self._held.name = name
        try:
            yield
        finally:
            self._held.name = held
            with self._condition:
                self._depth -= 1
                if self._depth == 0:
                    self._stack.close()
                    self._active = None
                    self._condition.notify_all()


#: The process-wide guard the local functions run under.
function_environment = _FunctionEnvironment().using
