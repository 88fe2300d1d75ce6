"""In-memory personal-data deletion tasks, keyed by (business product id, task id), and the
shoppers behind them: whether they have orders still open, and until when.

Tasks started with the mutation run as Buy with Prime runs them: ON_HOLD for their holding
period, then they complete, or fail with ORDERS_NOT_CLOSED (the shopper's orders are open)
or DATA_SUBJECT_NOT_FOUND (no such shopper). They run on the store's clock, which a sandbox
can move forward (`advance`), so 30 days pass in a moment.
"""

from __future__ import annotations

import copy
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bwp_sandbox.emulator.errors import BwpError, invalid_input, not_found

Task = dict[str, Any]

DEFAULT_HOLDING_PERIOD = 10
MAX_HOLDING_PERIOD = 180
CLIENT_TOKEN_LENGTH = range(36, 65)
#: Upstream keeps a client token for 8 hours: reused later, it starts a new task.
CLIENT_TOKEN_WINDOW = timedelta(hours=8)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def now_iso(moment: datetime | None = None) -> str:
    """``moment`` (default now) as the API writes dates: ISO-8601, microseconds, ``Z``."""
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Finished:
    """A task that finished running: what Buy with Prime publishes an event about."""

    business_product_id: str
    task_id: str
    status: str
    error_code: str | None


def with_defaults(task: Task) -> Task:
    """A deep copy of ``task`` with the documented fields filled in; ``taskId`` is required."""
    if not isinstance(task.get("taskId"), str) or not task["taskId"]:
        raise ValueError("task needs a non-empty string taskId")
    now = now_iso()
    defaults: Task = {
        "status": "FAILED",
        "dataSubject": {"type": "SHOPPER", "email": "shopper@example.com"},
        "holdingPeriod": DEFAULT_HOLDING_PERIOD,
        "submissionDate": now,
        "lastUpdatedDate": now,
        "errors": [],
    }
    return copy.deepcopy(defaults | task)


class TaskStore:
    """Deletion tasks per business product, plus start idempotency by client token."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: dict[tuple[str, str], Task] = {}
        self._client_tokens: dict[tuple[str, str], tuple[str, datetime]] = {}
        # (business product, email) -> when the shopper's last open order closes (None: none).
        self._shoppers: dict[tuple[str, str], datetime | None] = {}
        self._running: set[tuple[str, str]] = set()
        self._start_calls: dict[str, int] = {}
        self._tasks_created: dict[str, int] = {}
        self._offset = timedelta()

    # -- the clock and the shoppers ------------------------------------------------------

    def now(self) -> datetime:
        """The store's time: the wall clock moved forward by every `advance`."""
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> datetime:
        """Move the store's clock forward; return the new time."""
        with self._lock:
            self._offset += delta
            return datetime.now(UTC) + self._offset

    def set_shopper(
        self, business_product_id: str, email: str, *, orders_open_for: timedelta | None = None
    ) -> None:
        """A shopper Buy with Prime holds data for, with orders open for ``orders_open_for``
        from now on the store's clock (None: no open orders)."""
        closes = None if orders_open_for is None else self.now() + orders_open_for
        with self._lock:
            self._shoppers[(business_product_id, email.lower())] = closes

    def start_calls(self) -> dict[str, int]:
        """How many start mutations each client token came with (None-token calls as "")."""
        with self._lock:
            return dict(self._start_calls)

    def tasks_created(self) -> dict[str, int]:
        """How many tasks each client token created (more than one: a duplicate start)."""
        with self._lock:
            return dict(self._tasks_created)

    def finish_due(self) -> list[Finished]:
        """Run every started task whose holding period is over, as of the store's clock."""
        now = self.now()
        finished: list[Finished] = []
        with self._lock:
            for key in sorted(self._running):
                task = self._tasks.get(key)
                if task is None:
                    self._running.discard(key)
                    continue
                submitted = datetime.fromisoformat(task["submissionDate"].replace("Z", "+00:00"))
                if submitted + timedelta(days=task["holdingPeriod"]) > now:
                    continue
                self._running.discard(key)
                code = self._outcome(key[0], task["dataSubject"]["email"], now)
                task["status"] = "FAILED" if code else "COMPLETED"
                task["lastUpdatedDate"] = now_iso(now)
                task["errors"] = [{"code": code, "message": _MESSAGES[code]}] if code else []
                finished.append(Finished(key[0], key[1], task["status"], code))
        return finished

    def _outcome(self, business_product_id: str, email: str, now: datetime) -> str | None:
        known = (business_product_id, email.lower()) in self._shoppers
        if not known:
            return "DATA_SUBJECT_NOT_FOUND"
        closes = self._shoppers[(business_product_id, email.lower())]
        return "ORDERS_NOT_CLOSED" if closes is not None and closes > now else None

    def add(self, business_product_id: str, task: Task) -> Task:
        """Store (or replace) a task; return the stored copy."""
        stored = with_defaults(task)
        with self._lock:
            self._tasks[(business_product_id, stored["taskId"])] = stored
        return copy.deepcopy(stored)

    def remove(self, business_product_id: str, task_id: str) -> bool:
        """Forget a task; True if it existed."""
        with self._lock:
            return self._tasks.pop((business_product_id, task_id), None) is not None

    def get(self, business_product_id: str, task_id: str) -> Task:
        """A copy of the task, or the documented not-found error."""
        with self._lock:
            task = self._tasks.get((business_product_id, task_id))
        if task is None:
            raise not_found()
        return copy.deepcopy(task)

    def cancel(self, business_product_id: str, task_id: str) -> None:
        """Cancel an ON_HOLD task (it disappears); other statuses cannot be cancelled."""
        key = (business_product_id, task_id)
        with self._lock:
            task = self._tasks.get(key)
            if task is None:
                raise not_found()
            status = task["status"]
            if status != "ON_HOLD":
                raise BwpError(
                    "ValidationError",
                    f"The personalDataDeletionTask cannot be cancelled with a status of {status}.",
                    "CannotCancelPersonalDataDeletionTask",
                )
            del self._tasks[key]

    def start(self, business_product_id: str, request: dict[str, Any]) -> str:
        """Create an ON_HOLD task from a start input; the same client token within 8 hours
        gives the same id (and starts nothing)."""
        holding_period = _holding_period(request.get("holdingPeriod"))
        subject = request["dataSubject"]
        if subject["type"] != "SHOPPER":
            raise invalid_input("dataSubject.type must be SHOPPER.")
        if not _EMAIL.fullmatch(subject["email"]):
            raise invalid_input("dataSubject.email is not a valid email address.")
        token = _client_token(request.get("clientToken"))
        now = self.now()
        with self._lock:
            self._start_calls[token or ""] = self._start_calls.get(token or "", 0) + 1
            earlier = self._client_tokens.get((business_product_id, token or ""))
            if token is not None and earlier is not None and now - earlier[1] < CLIENT_TOKEN_WINDOW:
                return earlier[0]
            task_id = str(uuid.uuid4())
            self._tasks[(business_product_id, task_id)] = {
                "taskId": task_id,
                "status": "ON_HOLD",
                "dataSubject": {"type": subject["type"], "email": subject["email"]},
                "holdingPeriod": holding_period,
                "submissionDate": now_iso(now),
                "lastUpdatedDate": now_iso(now),
                "errors": [],
            }
            self._running.add((business_product_id, task_id))
            if token is not None:
                self._client_tokens[(business_product_id, token)] = (task_id, now)
                self._tasks_created[token] = self._tasks_created.get(token, 0) + 1
            return task_id

    def clear(self) -> None:
        """Forget every task, client token and shopper; the clock is the wall clock again."""
        with self._lock:
            self._tasks.clear()
            self._client_tokens.clear()
            self._shoppers.clear()
            self._running.clear()
            self._start_calls.clear()
            self._tasks_created.clear()
            self._offset = timedelta()


_MESSAGES = {
    "ORDERS_NOT_CLOSED": "The data subject has orders that are not closed.",
    "DATA_SUBJECT_NOT_FOUND": "No personal data found for the data subject.",
}


def _holding_period(value: int | None) -> int:
    if value is None:
        return DEFAULT_HOLDING_PERIOD
    if not 0 <= value <= MAX_HOLDING_PERIOD:
        raise invalid_input(f"holdingPeriod must be between 0 and {MAX_HOLDING_PERIOD}.")
    return value


def _client_token(value: dict[str, Any] | None) -> str | None:
    if value is None:
        return None
    token: str = value["token"]
    if len(token) not in CLIENT_TOKEN_LENGTH:
        raise invalid_input("clientToken.token must be 36 to 64 characters long.")
    return token
