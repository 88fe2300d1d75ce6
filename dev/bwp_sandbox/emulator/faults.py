"""Faults to inject: their kinds and parameters, a per-target queue, and seeded chaos."""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bwp_sandbox.emulator.errors import NOT_FOUND_MESSAGE, BwpError

TARGETS = ("graphql", "token")

# Kind -> (classification type, default message): answered as a GraphQL error.
GRAPHQL_FAULTS: dict[str, tuple[str, str]] = {
    "throttle": ("ThrottlingError", "Rate exceeded."),
    "internal_error": ("InternalServerError", "An internal error occurred. Try again later."),
    "conflict": ("ConflictError", "The resource was modified concurrently. Try again."),
    "access_denied": ("AccessDeniedError", "Access denied."),
    "validation_error": ("ValidationError", "Invalid input."),
    "not_found": ("ResourceNotFoundError", NOT_FOUND_MESSAGE),
}
# Kind -> allowed parameters with their defaults: answered at the HTTP level.
TRANSPORT_FAULTS: dict[str, dict[str, Any]] = {
    "http_status": {"status": 503},
    "unauthorized": {},
    "timeout": {"seconds": 30.0},
    "slow": {"seconds": 1.0},
    "malformed_json": {},
    "connection_reset": {},
}
FAULT_KINDS = (*GRAPHQL_FAULTS, *TRANSPORT_FAULTS)


@dataclass(frozen=True)
class Fault:
    """One fault to apply to one request; ``params`` already holds the defaults."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def delay_seconds(self) -> float | None:
        """How long to wait before answering normally; None unless timeout or slow."""
        return float(self.params["seconds"]) if self.kind in ("timeout", "slow") else None

    def graphql_error(self) -> BwpError | None:
        """The GraphQL error this fault answers with, if it is a GraphQL fault."""
        if self.kind not in GRAPHQL_FAULTS:
            return None
        type_, message = GRAPHQL_FAULTS[self.kind]
        code = self.params.get("code", "UnspecifiedError") if type_ == "ValidationError" else None
        return BwpError(type_, self.params.get("message", message), code)


def make_fault(kind: str, target: str, params: dict[str, Any]) -> Fault:
    """Check a fault request and fill in default parameters; ValueError if it makes no sense."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; expected one of {TARGETS}")
    if kind in GRAPHQL_FAULTS:
        if target != "graphql":
            raise ValueError(f"{kind} is a GraphQL fault; use http_status for the token target")
        allowed = (
            {"message": None, "code": None} if kind == "validation_error" else {"message": None}
        )
        return Fault(kind, _checked_params(kind, params, allowed))
    if kind in TRANSPORT_FAULTS:
        defaults = TRANSPORT_FAULTS[kind]
        return Fault(kind, defaults | _checked_params(kind, params, defaults))
    raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")


def _checked_params(kind: str, params: dict[str, Any], allowed: dict[str, Any]) -> dict[str, Any]:
    unknown = set(params) - set(allowed)
    if unknown:
        raise ValueError(f"{kind} takes no parameter(s) {sorted(unknown)}")
    status = params.get("status")
    if status is not None and (not isinstance(status, int) or not 400 <= status <= 599):
        raise ValueError("status must be an HTTP error status, 400..599")
    seconds = params.get("seconds")
    if seconds is not None and (not isinstance(seconds, int | float) or seconds < 0):
        raise ValueError("seconds must be a non-negative number")
    return dict(params)


@dataclass
class _Queued:
    fault: Fault
    remaining: int


class FaultPlan:
    """Queued faults per target, applied in order; then, for GraphQL, seeded random chaos."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[_Queued]] = {target: deque() for target in TARGETS}
        self._chaos: list[tuple[float, Fault]] = []
        self._rng = random.Random(0)
        self._outage: frozenset[str] = frozenset()

    def set_outage(self, task_ids: Iterable[str]) -> None:
        """Tasks whose GraphQL requests all fail; ``[]`` ends the outage."""
        with self._lock:
            self._outage = frozenset(task_ids)

    def in_outage(self, task_id: str) -> bool:
        """True while ``task_id`` is in an outage."""
        with self._lock:
            return task_id in self._outage

    def inject(self, kind: str, *, times: int = 1, target: str = "graphql", **params: Any) -> None:
        """Queue ``kind`` for the next ``times`` requests to ``target``."""
        if not isinstance(times, int) or times < 1:
            raise ValueError("times must be a positive integer")
        fault = make_fault(kind, target, params)
        with self._lock:
            self._queues[target].append(_Queued(fault, times))

    def set_chaos(
        self, rates: dict[str, float], seed: int, params: dict[str, dict[str, Any]] | None = None
    ) -> None:
        """Apply GraphQL-target faults at random with these per-kind rates; ``{}`` turns it off.

        ``params`` gives a kind its parameters (e.g. ``{"timeout": {"seconds": 0.3}}``).

        One draw per request, kinds in sorted order: the same seed and request sequence
        give the same faults.
        """
        if any(not 0 <= rate <= 1 for rate in rates.values()) or sum(rates.values()) > 1:
            raise ValueError("rates must be within 0..1 and add up to at most 1")
        thresholds: list[tuple[float, Fault]] = []
        total = 0.0
        for kind in sorted(rates):
            total += rates[kind]
            thresholds.append((total, make_fault(kind, "graphql", (params or {}).get(kind, {}))))
        with self._lock:
            self._chaos = thresholds
            self._rng = random.Random(seed)

    def next_fault(self, target: str) -> Fault | None:
        """The fault for the request just received at ``target``, if any; consumes it."""
        with self._lock:
            queue = self._queues[target]
            if queue:
                head = queue[0]
                head.remaining -= 1
                if head.remaining == 0:
                    queue.popleft()
                return head.fault
            if target != "graphql" or not self._chaos:
                return None
            draw = self._rng.random()
            return next((fault for limit, fault in self._chaos if draw < limit), None)

    def clear(self) -> None:
        """Drop queued faults and turn chaos and outages off."""
        with self._lock:
            for queue in self._queues.values():
                queue.clear()
            self._chaos = []
            self._outage = frozenset()
