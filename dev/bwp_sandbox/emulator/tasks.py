"""In-memory personal-data tasks of both kinds, deletion and retrieval, each kind keyed by
(business product id, task id), and the shoppers behind them: whether they have orders still
open, and until when.

Deletion tasks started with the mutation run as Buy with Prime runs them: ON_HOLD for their
holding period, then they complete, or fail with ORDERS_NOT_CLOSED (the shopper's orders are
open) or DATA_SUBJECT_NOT_FOUND (no such shopper). Retrieval tasks have no holding period:
IN_PROGRESS, then they complete (with a pre-signed `dataRetrievalLink`) or fail with
DATA_SUBJECT_NOT_FOUND. They run on the store's clock, which a sandbox can move forward
(`advance`), so 30 days pass in a moment.
"""

from __future__ import annotations

import copy
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from bwp_sandbox.emulator.errors import BwpError, invalid_input, not_found

Task = dict[str, Any]
#: The two kinds of privacy task the API serves.
Kind = Literal["deletion", "retrieval"]
KINDS: tuple[Kind, ...] = ("deletion", "retrieval")

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
    kind: Kind = "deletion"


def with_defaults(task: Task, kind: Kind = "deletion") -> Task:
    """A deep copy of ``task`` with the documented fields of its kind filled in (a retrieval
    has no holding period, and a link once it completes); ``taskId`` is required."""
    if not isinstance(task.get("taskId"), str) or not task["taskId"]:
        raise ValueError("task needs a non-empty string taskId")
    now = now_iso()
    defaults: Task = {
        "status": "FAILED",
        "dataSubject": {"type": "SHOPPER", "email": "shopper@example.com"},
        "submissionDate": now,
        "lastUpdatedDate": now,
        "errors": [],
    }
    if kind == "deletion":
        defaults["holdingPeriod"] = DEFAULT_HOLDING_PERIOD
    else:
        defaults["dataRetrievalLink"] = None
    return copy.deepcopy(defaults | task)


def retrieval_link(task_id: str) -> str:
    """A stand-in for the pre-signed link a completed retrieval task carries (60 s upstream)."""
    return (
        f"https://bwp-retrieval.sandbox.invalid/{task_id}.zip"
        f"?X-Amz-Expires=60&X-Amz-Signature={uuid.uuid5(uuid.NAMESPACE_URL, task_id).hex}"
    )


class TaskStore:
    """Privacy tasks per kind and business product, plus start idempotency by client token."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: dict[Kind, dict[tuple[str, str], Task]] = {kind: {} for kind in KINDS}
        self._client_tokens: dict[tuple[Kind, str, str], tuple[str, datetime]] = {}
        # (business product, email) -> when the shopper's last open order closes (None: none).
        self._shoppers: dict[tuple[str, str], datetime | None] = {}
        self._running: set[tuple[Kind, str, str]] = set()
        self._start_calls: dict[str, int] = {}
        self._tasks_created: dict[str, int] = {}
        self._start_times: list[datetime] = []
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

    def start_times(self) -> list[datetime]:
        """When each task a start mutation created was created, on the store's clock."""
        with self._lock:
            return list(self._start_times)

    def finish_due(self) -> list[Finished]:
        """Run every started task whose holding period is over (a retrieval has none), as of
        the store's clock."""
        now = self.now()
        finished: list[Finished] = []
        with self._lock:
            for key in sorted(self._running):
                kind, business_product_id, task_id = key
                task = self._tasks[kind].get((business_product_id, task_id))
                if task is None:
                    self._running.discard(key)
                    continue
                submitted = datetime.fromisoformat(task["submissionDate"].replace("Z", "+00:00"))
                if submitted + timedelta(days=task.get("holdingPeriod", 0)) > now:
                    continue
                self._running.discard(key)
                code = self._outcome(kind, business_product_id, task["dataSubject"]["email"], now)
                task["status"] = "FAILED" if code else "COMPLETED"
                task["lastUpdatedDate"] = now_iso(now)
                task["errors"] = [{"code": code, "message": _MESSAGES[code]}] if code else []
                if kind == "retrieval" and not code:
                    task["dataRetrievalLink"] = retrieval_link(task_id)
                finished.append(Finished(business_product_id, task_id, task["status"], code, kind))
        return finished

    def _outcome(
        self, kind: Kind, business_product_id: str, email: str, now: datetime
    ) -> str | None:
        known = (business_product_id, email.lower()) in self._shoppers
        if not known:
            return "DATA_SUBJECT_NOT_FOUND"
        if kind == "retrieval":
            return None  # open orders block a deletion, not a copy of the data
        closes = self._shoppers[(business_product_id, email.lower())]
        return "ORDERS_NOT_CLOSED" if closes is not None and closes > now else None

    def add(self, business_product_id: str, task: Task, kind: Kind = "deletion") -> Task:
        """Store (or replace) a task of ``kind``; return the stored copy."""
        stored = with_defaults(task, kind)
        with self._lock:
            self._tasks[kind][(business_product_id, stored["taskId"])] = stored
        return copy.deepcopy(stored)

    def remove(self, business_product_id: str, task_id: str) -> bool:
        """Forget a task (of whichever kind); True if it existed."""
        with self._lock:
            removed = [
                self._tasks[kind].pop((business_product_id, task_id), None) for kind in KINDS
            ]
        return any(task is not None for task in removed)

    def get(self, business_product_id: str, task_id: str, kind: Kind = "deletion") -> Task:
        """A copy of the task of ``kind``, or the documented not-found error."""
        with self._lock:
            task = self._tasks[kind].get((business_product_id, task_id))
        if task is None:
            raise not_found()
        return copy.deepcopy(task)

    def cancel(self, business_product_id: str, task_id: str) -> None:
        """Cancel an ON_HOLD deletion task (it disappears); other statuses cannot be cancelled."""
        key = (business_product_id, task_id)
        with self._lock:
            task = self._tasks["deletion"].get(key)
            if task is None:
                raise not_found()
            status = task["status"]
            if status != "ON_HOLD":
                raise BwpError(
                    "ValidationError",
                    f"The personalDataDeletionTask cannot be cancelled with a status of {status}.",
                    "CannotCancelPersonalDataDeletionTask",
                )
            del self._tasks["deletion"][key]

    def start(
        self, business_product_id: str, request: dict[str, Any], kind: Kind = "deletion"
    ) -> str:
        """Create a task of ``kind`` from a start input (a deletion ON_HOLD, a retrieval
        IN_PROGRESS); the same client token within 8 hours gives the same id (and starts
        nothing)."""
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
            earlier = self._client_tokens.get((kind, business_product_id, token or ""))
            if token is not None and earlier is not None and now - earlier[1] < CLIENT_TOKEN_WINDOW:
                return earlier[0]
            task_id = str(uuid.uuid4())
            task: Task = {
                "taskId": task_id,
                "status": "ON_HOLD" if kind == "deletion" else "IN_PROGRESS",
                "dataSubject": {"type": subject["type"], "email": subject["email"]},
                "submissionDate": now_iso(now),
                "lastUpdatedDate": now_iso(now),
                "errors": [],
            }
            if kind == "deletion":
                task["holdingPeriod"] = holding_period
            else:
                task["dataRetrievalLink"] = None
            self._tasks[kind][(business_product_id, task_id)] = task
            self._running.add((kind, business_product_id, task_id))
            self._start_times.append(now)
            if token is not None:
                self._client_tokens[(kind, business_product_id, token)] = (task_id, now)
                self._tasks_created[token] = self._tasks_created.get(token, 0) + 1
            return task_id

    def clear(self) -> None:
        """Forget every task, client token and shopper; the clock is the wall clock again."""
        with self._lock:
            for tasks in self._tasks.values():
                tasks.clear()
            self._client_tokens.clear()
            self._shoppers.clear()
            self._running.clear()
            self._start_calls.clear()
            self._tasks_created.clear()
            self._start_times.clear()
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
