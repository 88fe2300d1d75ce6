"""In-memory personal-data deletion tasks, keyed by (business product id, task id)."""

from __future__ import annotations

import copy
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from bwp_sandbox.emulator.errors import BwpError, invalid_input, not_found

Task = dict[str, Any]

DEFAULT_HOLDING_PERIOD = 10
MAX_HOLDING_PERIOD = 180
CLIENT_TOKEN_LENGTH = range(36, 65)


def now_iso() -> str:
    """Now as the API writes dates: ISO-8601, microseconds, ``Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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
        self._client_tokens: dict[tuple[str, str], str] = {}

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
        """Create an ON_HOLD task from a start input; the same client token gives the same id."""
        holding_period = _holding_period(request.get("holdingPeriod"))
        subject = request["dataSubject"]
        if subject["type"] != "SHOPPER":
            raise invalid_input("dataSubject.type must be SHOPPER.")
        token = _client_token(request.get("clientToken"))
        with self._lock:
            if token is not None and (business_product_id, token) in self._client_tokens:
                return self._client_tokens[(business_product_id, token)]
            task_id = str(uuid.uuid4())
            now = now_iso()
            self._tasks[(business_product_id, task_id)] = {
                "taskId": task_id,
                "status": "ON_HOLD",
                "dataSubject": {"type": subject["type"], "email": subject["email"]},
                "holdingPeriod": holding_period,
                "submissionDate": now,
                "lastUpdatedDate": now,
                "errors": [],
            }
            if token is not None:
                self._client_tokens[(business_product_id, token)] = task_id
            return task_id

    def clear(self) -> None:
        """Forget every task and client token."""
        with self._lock:
            self._tasks.clear()
            self._client_tokens.clear()


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
