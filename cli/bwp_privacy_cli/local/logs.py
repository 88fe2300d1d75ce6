"""Where a locally run function's log records go: the CLI's -v stream, or nowhere.

In Lambda, the library's records reach the function's Powertools Logger: its child loggers
are named after the service (``recorder.bwp_privacy.recorder.recorder``), which the
environment names before anything is imported. Locally the library is imported before any
function's environment is applied, so its child loggers are named ``service_undefined.…``
and their records propagate to the root logger. A root logger without handlers hands a
warning to Python's last-resort handler, which prints it on stderr: the "Task lookup failed
for good" lines a replay printed without -v. So while functions run, the root logger gets a
handler of ours, on the stream the caller chose.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator
from typing import IO, Any


class _Nowhere(io.StringIO):
    """A text stream that keeps nothing (a plain StringIO would hold every log line of a
    long replay in memory)."""

    def write(self, text: str) -> int:
        return len(text)


#: Where function logs go without -v.
NOWHERE: IO[str] = _Nowhere()


class _FunctionLogs(logging.StreamHandler):  # type: ignore[type-arg]
    """A root handler that keeps the library's records.

    Each time a function's Powertools Logger is made, Powertools puts a SuppressFilter on
    every root handler: it drops records whose logger name contains the service name, so
    that the service's own records are not printed twice. Here that drops the library's own
    records too ("recorder" is in "bwp_privacy.recorder.recorder"), and it is never needed:
    the function's logger does not propagate to the root, it writes to our stdout.
    """

    def addFilter(self, filter: Any) -> None:
        if type(filter).__name__ != "SuppressFilter":
            super().addFilter(filter)


@contextlib.contextmanager
def function_logs_to(stream: IO[str]) -> Iterator[None]:
    """The log records that reach the root logger in this block (those of the functions run
    here, whatever logger they were made on) go to ``stream``: stderr with -v, ``NOWHERE``
    otherwise. Nested blocks keep the outermost stream, so that no record is written twice."""
    root = logging.getLogger()
    if any(isinstance(handler, _FunctionLogs) for handler in root.handlers):
        yield
        return
    handler = _FunctionLogs(stream)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
