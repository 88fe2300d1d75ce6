"""The reaction's event sources in a running sandbox: what Lambda and EventBridge Scheduler
do in AWS, every second, on the real clock.

`bwp-privacy sandbox` starts it beside the CLI: after `bwp-privacy replay`, the published
failures become cases on their own, COMPLETED events complete them, and due attempts fire
(a week after a failure, by the shipped playbooks: the timeline in `make demo` and the tests
shows the days passing).
"""

from __future__ import annotations

import threading

from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.timeline import Timeline

POLL_SECONDS = 1.0


class ReactionPoller:
    """A daemon thread polling the reaction's inputs until `stop`."""

    def __init__(self, sandbox: Sandbox, interval: float = POLL_SECONDS) -> None:
        self._timeline = Timeline(sandbox)
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reaction-poller", daemon=True)

    def start(self) -> ReactionPoller:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                self._timeline.react()
            except Exception as error:  # a poll that failed is retried on the next tick
                print(f"reaction poller: {type(error).__name__}: {error}", flush=True)
