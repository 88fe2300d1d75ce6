"""The budget's arithmetic, pure: the generic cell rate algorithm (GCRA) without a burst.

The shared state is one number, ``tat`` (the theoretical arrival time): the earliest time
the next request may be sent. A request arriving at ``now`` is sent at ``max(tat, now)`` and
moves ``tat`` one ``interval`` (1 / rate) past that. Requests are spaced at least one interval
apart, so no second ever holds more than ``rate`` of them. Used by `DynamoPacer` (the same
steps as conditional writes) and by the storm model.
"""

from __future__ import annotations


def take_slot(tat: float | None, now: float, latest: float | None = None) -> float | None:
    """When a request arriving at ``now`` may be sent, given the stored ``tat`` (None: never
    used); None when that is after ``latest`` (the caller could not wait so long)."""
    start = now if tat is None or tat <= now else tat
    if latest is not None and start > latest:
        return None
    return start


def next_allowed(start: float, interval: float) -> float:
    """The ``tat`` stored once a request took the slot at ``start``: to the microsecond, as
    the item stores it (binary fractions added up would drift a slot into the next second)."""
    return round(start + interval, 6)
