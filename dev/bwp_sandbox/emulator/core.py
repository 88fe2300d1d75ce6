"""The emulator's state and its control API (Python, and the same over HTTP), no transport."""

from __future__ import annotations

import copy
import hmac
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

from bwp_sandbox.emulator.faults import FaultPlan
from bwp_sandbox.emulator.graphql_api import PERMISSIONS
from bwp_sandbox.emulator.rate_limit import RateLimiter
from bwp_sandbox.emulator.subscriptions import SourceCreated, SubscriptionStore
from bwp_sandbox.emulator.tasks import Finished, Kind, Task, TaskStore

# Only these request headers are logged; the Authorization value never is.
LOGGED_HEADERS = ("authorization", "content-type", "x-api-target-id", "x-api-version")
REDACTED = "***"


class EmulatorCore:
    """Tasks, access tokens, faults and the request log; every method is thread-safe."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        token_ttl_seconds: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client_id = client_id
        self.token_ttl_seconds = token_ttl_seconds
        self.tasks = TaskStore()
        self.subscriptions = SubscriptionStore()
        self.faults = FaultPlan()
        #: The API's rate limit (none by default) and its count of requests per second.
        self.rate = RateLimiter()
        self._permissions = PERMISSIONS
        self.client_secret = client_secret
        self._clock = clock
        self._lock = threading.Lock()
        self._token_expiry: dict[str, float] = {}
        self._tokens_issued = 0
        self._log: list[dict[str, Any]] = []

    # -- control API ---------------------------------------------------------------------

    def add_task(self, business_product_id: str, task: Task, kind: Kind = "deletion") -> Task:
        """Store a task of ``kind``, deletion or retrieval (schema field names; defaults filled);
        return the stored copy."""
        return self.tasks.add(business_product_id, task, kind)

    def remove_task(self, business_product_id: str, task_id: str) -> bool:
        """Forget a task; True if it existed."""
        return self.tasks.remove(business_product_id, task_id)

    def set_shopper(
        self, business_product_id: str, email: str, *, orders_open_days: float | None = None
    ) -> None:
        """A shopper with data at Buy with Prime, with orders open for ``orders_open_days`` more
        days on the emulator's clock (None: no open orders). Other emails have no data."""
        delta = None if orders_open_days is None else timedelta(days=orders_open_days)
        self.tasks.set_shopper(business_product_id, email, orders_open_for=delta)

    def advance(self, days: float) -> datetime:
        """Move the emulator's clock forward by ``days``; return the new time."""
        return self.tasks.advance(timedelta(days=days))

    def now(self) -> datetime:
        """The emulator's clock."""
        return self.tasks.now()

    def finish_due_tasks(self) -> list[Finished]:
        """Run every started task whose holding period is over: each completes or fails, as
        its shopper's orders decide. Buy with Prime would publish an event for each."""
        return self.tasks.finish_due()

    def start_calls(self) -> dict[str, int]:
        """Start mutations received per client token."""
        return self.tasks.start_calls()

    def tasks_created(self) -> dict[str, int]:
        """Tasks each client token created (a retry within 8 hours creates none)."""
        return self.tasks.tasks_created()

    def start_times(self) -> list[datetime]:
        """When each task a start mutation created was created, on the emulator's clock."""
        return self.tasks.start_times()

    def set_outage(self, task_ids: Iterable[str]) -> None:
        """Every GraphQL request about these tasks fails with InternalServerError, before any
        other fault or check, until ``set_outage([])``."""
        self.faults.set_outage(task_ids)

    def inject(self, kind: str, *, times: int = 1, target: str = "graphql", **params: Any) -> None:
        """Queue a fault for the next ``times`` requests to ``target`` ("graphql" or "token")."""
        self.faults.inject(kind, times=times, target=target, **params)

    def set_chaos(
        self, rates: dict[str, float], seed: int, params: dict[str, dict[str, Any]] | None = None
    ) -> None:
        """Apply faults to GraphQL requests at random (seeded); ``set_chaos({}, 0)`` stops it."""
        self.faults.set_chaos(rates, seed, params)

    def set_rate_limit(
        self, per_second: float | None, *, clock: Callable[[], float] | None = None
    ) -> None:
        """Serve at most ``per_second`` GraphQL and token requests together per second (a
        token bucket holding ``per_second``, on a real monotonic clock, or ``clock``); above it
        answer HTTP 429 with Retry-After. None: no limit (the default)."""
        self.rate.set_limit(per_second, clock)

    @property
    def rate_limit(self) -> float | None:
        """The requests per second served (None: no limit)."""
        return self.rate.limit

    def rate_counts(self) -> dict[int, dict[str, dict[str, int]]]:
        """API requests per whole second of the rate clock, by kind (graphql, token) and
        outcome (served, throttled): ``{second: {kind: {outcome: n}}}``."""
        return self.rate.counts()

    def clear_rate_counts(self) -> None:
        """Forget the per-second counts (the limit stays)."""
        self.rate.clear_counts()

    def set_permissions(self, permissions: Iterable[str]) -> None:
        """What the client's credentials may do from now on (the merchant console's
        permissions; `graphql_api.PERMISSIONS` are all of them)."""
        unknown = set(permissions) - PERMISSIONS
        if unknown:
            raise ValueError(f"unknown permissions {sorted(unknown)}; known: {sorted(PERMISSIONS)}")
        with self._lock:
            self._permissions = frozenset(permissions)

    @property
    def permissions(self) -> frozenset[str]:
        with self._lock:
            return self._permissions

    def on_source_created(self, hook: SourceCreated | None) -> None:
        """Who plays AWS: told of each partner event source a first subscription creates."""
        self.subscriptions.on_source_created = hook

    def subscriptions_of(self, business_product_id: str) -> list[dict[str, Any]]:
        """A business product's subscriptions, as eventSubscription answers each."""
        return [s.as_graphql() for s in self.subscriptions.list(business_product_id)]

    def reset(self) -> None:
        """Forget tasks, subscriptions, faults, chaos, the rate limit and its counts, the
        request log and every token; the credentials may do everything again."""
        self.tasks.clear()
        self.rate.reset()
        self.subscriptions.clear()
        self.faults.clear()
        with self._lock:
            self._permissions = PERMISSIONS
            self._token_expiry.clear()
            self._tokens_issued = 0
            self._log.clear()

    def clear_log(self) -> None:
        """Forget the request log and the count of tokens issued, nothing else (what a
        sandbox's own set-up asked is not what a test looks at)."""
        with self._lock:
            self._log.clear()
            self._tokens_issued = 0

    def revoke_tokens(self) -> None:
        """Make every token issued so far answer 401, as if it had expired."""
        with self._lock:
            self._token_expiry.clear()

    @property
    def requests_log(self) -> list[dict[str, Any]]:
        """Recorded API requests (path, method, selected headers, body), secrets redacted."""
        with self._lock:
            return copy.deepcopy(self._log)

    @property
    def tokens_issued(self) -> int:
        """How many access tokens /token has handed out."""
        with self._lock:
            return self._tokens_issued

    # -- used by the HTTP layer ----------------------------------------------------------

    def credentials_match(self, client_id: str | None, client_secret: str | None) -> bool:
        """True for the configured client id and secret (compared in constant time)."""
        id_ok = hmac.compare_digest((client_id or "").encode(), self.client_id.encode())
        secret_ok = hmac.compare_digest((client_secret or "").encode(), self.client_secret.encode())
        return id_ok and secret_ok

    def issue_token(self) -> str:
        """A new opaque access token valid for ``token_ttl_seconds``."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._token_expiry[token] = self._clock() + self.token_ttl_seconds
            self._tokens_issued += 1
        return token

    def token_valid(self, token: str) -> bool:
        """True for an issued token that has neither expired nor been revoked."""
        with self._lock:
            expiry = self._token_expiry.get(token)
        return expiry is not None and self._clock() < expiry

    def record(self, method: str, path: str, headers: Mapping[str, str], body: Any) -> None:
        """Log an API request with the bearer token and client secret redacted."""
        kept = {name: headers[name] for name in LOGGED_HEADERS if name in headers}
        if "authorization" in kept:
            kept["authorization"] = f"Bearer {REDACTED}"
        if isinstance(body, dict) and "client_secret" in body:
            body = body | {"client_secret": REDACTED}
        entry = {"path": path, "method": method, "headers": kept, "body": copy.deepcopy(body)}
        with self._lock:
            self._log.append(entry)


def handle_control(core: EmulatorCore, method: str, path: str, body: Any) -> tuple[int, Any]:
    """Serve ``/_control/...``: the control API for another process; returns (status, JSON)."""
    parts = path.removeprefix("/_control/").split("/")
    try:
        match method, parts:
            case "GET", ["health"]:
                # The pid says which sandbox answers: a port a stopped sandbox freed may be
                # taken by another's (another checkout, another test run).
                return 200, {"status": "ok", "pid": os.getpid()}
            case "GET", ["requests"]:
                return 200, {"requests": core.requests_log}
            case "POST", ["tasks"]:
                kind = body.get("kind", "deletion")
                if kind not in ("deletion", "retrieval"):
                    raise ValueError(f"kind {kind!r} is neither deletion nor retrieval")
                return 200, {"task": core.add_task(body["businessProductId"], body["task"], kind)}
            case "DELETE", ["tasks", business_product_id, task_id]:
                removed = core.remove_task(unquote(business_product_id), unquote(task_id))
                return 200, {"removed": removed}
            case "POST", ["faults"]:
                params = dict(body)
                kind = params.pop("kind")
                times = params.pop("times", 1)
                target = params.pop("target", "graphql")
                core.inject(kind, times=times, target=target, **params)
                return 200, {"status": "ok"}
            case "POST", ["outage"]:
                core.set_outage([str(task_id) for task_id in body["taskIds"]])
                return 200, {"status": "ok"}
            case "POST", ["chaos"]:
                core.set_chaos(body["rates"], body["seed"], body.get("params"))
                return 200, {"status": "ok"}
            case "POST", ["shoppers"]:
                core.set_shopper(
                    body["businessProductId"],
                    body["email"],
                    orders_open_days=body.get("ordersOpenDays"),
                )
                return 200, {"status": "ok"}
            case "POST", ["advance"]:
                return 200, {"now": core.advance(float(body["days"])).isoformat()}
            case "POST", ["finish-due"]:
                finished = core.finish_due_tasks()
                return 200, {"finished": [vars(task) for task in finished]}
            case "GET", ["start-calls"]:
                return 200, {"startCalls": core.start_calls()}
            case "POST", ["rate-limit"]:
                limit = body.get("perSecond")
                core.set_rate_limit(None if limit is None else float(limit))
                return 200, {"perSecond": core.rate_limit}
            case "GET", ["rate-counts"]:
                counts = core.rate_counts()
                return 200, {"counts": {str(second): n for second, n in counts.items()}}
            case "DELETE", ["rate-counts"]:
                core.clear_rate_counts()
                return 200, {"status": "ok"}
            case "POST", ["permissions"]:
                core.set_permissions([str(name) for name in body["permissions"]])
                return 200, {"permissions": sorted(core.permissions)}
            case "GET", ["subscriptions", business_product_id]:
                return 200, {"subscriptions": core.subscriptions_of(unquote(business_product_id))}
            case "POST", ["reset"]:
                core.reset()
                return 200, {"status": "ok"}
            case "POST", ["revoke-tokens"]:
                core.revoke_tokens()
                return 200, {"status": "ok"}
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        return 400, {"error": f"bad control request: {error!r}"}
    return 404, {"error": f"no control endpoint {method} {path}"}
