"""An invocation's time budget: what is left of it, less a margin kept for answering.

Lambda stops an invocation at its timeout, whatever it is doing: work cut off there loses
its answer (a partial-batch answer becomes a failed batch, an error becomes a timeout). So no
request starts unless it can end, timeout included, before the margin; the margin is what
the code after it needs (storing, publishing, releasing claims, answering).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bwp_privacy.common.errors import BwpPrivacyError

#: No request starts with less time than this for itself.
MIN_REQUEST_SECONDS = 0.25


class OutOfTime(BwpPrivacyError):
    """Too little of the invocation is left to start a request and still answer in time."""


@dataclass(frozen=True)
class Budget:
    """``deadline`` is a ``clock()`` value (None: unbounded, as in a script)."""

    deadline: float | None
    margin_seconds: float
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    @classmethod
    def from_remaining(
        cls,
        remaining_seconds: float,
        margin_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> Budget:
        """The budget of an invocation with ``remaining_seconds`` left (Lambda's context)."""
        return cls(clock() + remaining_seconds, margin_seconds, clock)

    def left(self) -> float | None:
        """Seconds left for work before the margin (None when unbounded)."""
        if self.deadline is None:
            return None
        return self.deadline - self.margin_seconds - self.clock()

    @property
    def work_deadline(self) -> float | None:
        """The ``clock()`` value by which work must be over (the deadline less the margin)."""
        return None if self.deadline is None else self.deadline - self.margin_seconds

    def request_timeout(self, wanted: float) -> float:
        """``wanted``, cut to what is left; OutOfTime when too little is left to start."""
        left = self.left()
        if left is None:
            return wanted
        if left < MIN_REQUEST_SECONDS:
            raise OutOfTime(f"{max(left, 0):.2f} s left before the answer is due")
        return min(wanted, left)
