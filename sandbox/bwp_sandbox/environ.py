"""Temporarily set and unset environment variables (no heavy imports: the CLI uses it)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager


@contextmanager
def patched_environ(values: Mapping[str, str], *, unset: Iterable[str] = ()) -> Iterator[None]:
    """Set (and unset) environment variables for the duration of the block, then restore."""
    removed = [key for key in unset if key not in values]
    saved = {key: os.environ.get(key) for key in [*values, *removed]}
    for key in removed:
        os.environ.pop(key, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
