"""Foreground servers: block until SIGINT or SIGTERM."""

from __future__ import annotations

import signal
import threading


def wait_for_stop_signal() -> None:
    """Return on SIGINT or SIGTERM (main thread only).

    Explicit handlers: a shell running us in the background may have SIGINT ignored, and
    SIGTERM is what service managers and test harnesses send.
    """
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
