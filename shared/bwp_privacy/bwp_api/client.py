"""GraphQL client for the Buy with Prime privacy operations."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from pydantic import ValidationError

from bwp_privacy.api_budget import BudgetSpent, Pacer, Unpaced
from bwp_privacy.bwp_api.errors import (
    BwpApiError,
    TransientApiError,
    UnknownApiError,
    error_from_graphql,
)
from bwp_privacy.bwp_api.models import DeletionTask, PrivacyTask, RetrievalTask, task_model
from bwp_privacy.bwp_api.operations import lookup_query
from bwp_privacy.bwp_api.token import TokenProvider
from bwp_privacy.common import (
    MIN_REQUEST_SECONDS,
    Backoff,
    Budget,
    OutOfTime,
    call_with_retries,
    retry_after_seconds,
    validation_problems,
)
from bwp_privacy.task_kinds import task_kind

# Each kind's lookup, as its description builds it (never the data subject; never a
# retrieval's `dataRetrievalLink`).
DELETION_TASK_QUERY = lookup_query("deletion")
RETRIEVAL_TASK_QUERY = lookup_query("retrieval")

CANCEL_DELETION_TASK_MUTATION = """
mutation CancelPersonalDataDeletionTask($taskId: String!) {
  cancelPersonalDataDeletionTask(taskId: $taskId) { taskId }
}
""".strip()

_Task = TypeVar("_Task", bound=PrivacyTask)

#: Time kept back from the invocation's deadline for the work that follows the lookup (store,
#: publish, mark published: four quick AWS calls) and the answer itself.
MARGIN_SECONDS = 1.0


class BwpClient:
    """Calls the GraphQL endpoint with retries, token refresh and per-request timeouts."""

    def __init__(
        self,
        session: requests.Session,
        *,
        api_url: str,
        api_version: str,
        tokens: TokenProvider,
        timeout_seconds: float,
        backoff: Backoff,
        pacer: Pacer | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._session = session
        # The shared API budget: a slot before every request (tokens take theirs in the
        # token provider's fetch).
        self._pacer: Pacer = pacer or Unpaced()
        self._api_url = api_url
        self._api_version = api_version
        self._tokens = tokens
        self._timeout = timeout_seconds
        self._backoff = backoff
        self._clock = clock
        self._sleep = sleep

    def get_task(
        self, kind: str, business_product_id: str, task_id: str, *, deadline: float | None = None
    ) -> PrivacyTask:
        """Query a task of ``kind`` with its kind's lookup; raise a typed BwpApiError on
        failure."""
        return self._lookup(kind, task_model(kind), business_product_id, task_id, deadline)

    def get_deletion_task(
        self, business_product_id: str, task_id: str, *, deadline: float | None = None
    ) -> DeletionTask:
        """Query `personalDataDeletionTask`; raise a typed BwpApiError on failure."""
        return self._lookup("deletion", DeletionTask, business_product_id, task_id, deadline)

    def get_retrieval_task(
        self, business_product_id: str, task_id: str, *, deadline: float | None = None
    ) -> RetrievalTask:
        """Query `personalDataRetrievalTask`; raise a typed BwpApiError on failure."""
        return self._lookup("retrieval", RetrievalTask, business_product_id, task_id, deadline)

    def _lookup(
        self,
        kind: str,
        model: type[_Task],
        business_product_id: str,
        task_id: str,
        deadline: float | None,
    ) -> _Task:
        data = self.execute(
            lookup_query(kind), {"taskId": task_id}, business_product_id, deadline=deadline
        )
        return _field(data, task_kind(kind).query_field, model)

    def cancel_deletion_task(
        self, business_product_id: str, task_id: str, *, deadline: float | None = None
    ) -> str:
        """Cancel a task still in its holding period; return its id."""
        data = self.execute(
            CANCEL_DELETION_TASK_MUTATION,
            {"taskId": task_id},
            business_product_id,
            deadline=deadline,
        )
        payload = data.get("cancelPersonalDataDeletionTask")
        if not isinstance(payload, dict) or not isinstance(payload.get("taskId"), str):
            raise UnknownApiError("cancelPersonalDataDeletionTask answered no taskId")
        return str(payload["taskId"])

    def execute(
        self,
        query: str,
        variables: dict[str, Any],
        target_id: str,
        *,
        deadline: float | None = None,
    ) -> dict[str, Any]:
        """POST one GraphQL operation, retrying transient failures; return its `data`."""
        budget = Budget(deadline, MARGIN_SECONDS, self._clock)
        return call_with_retries(
            lambda: self._post_with_fresh_token(query, variables, target_id, budget),
            self._backoff,
            deadline=budget.work_deadline,
            clock=self._clock,
            sleep=self._sleep,
        )

    def _post_with_fresh_token(
        self, query: str, variables: dict[str, Any], target_id: str, budget: Budget
    ) -> dict[str, Any]:
        token = self._tokens.get(timeout=self._timeout_within(budget), within=_within(budget))
        response = self._post(query, variables, target_id, token, budget)
        if response.status_code == 401:
            # Expired or revoked before our cached expiry: one new token, one more try.
            self._tokens.invalidate(token)
            fresh = self._tokens.get(timeout=self._timeout_within(budget), within=_within(budget))
            response = self._post(query, variables, target_id, fresh, budget)
            if response.status_code == 401:
                raise TransientApiError("API answered HTTP 401 with a fresh token")
        return _read_response(response)

    def _timeout_within(self, budget: Budget) -> float:
        """The request timeout, cut so the request ends before the margin; no request starts
        when too little is left (the error is transient: Lambda retries the event)."""
        try:
            return budget.request_timeout(self._timeout)
        except OutOfTime as error:
            raise TransientApiError(f"no time left to call the API: {error}") from None

    def _post(
        self,
        query: str,
        variables: dict[str, Any],
        target_id: str,
        token: str,
        budget: Budget,
    ) -> requests.Response:
        take_slot(self._pacer, _within(budget))
        timeout = self._timeout_within(budget)
        try:
            return self._session.post(
                self._api_url,
                json={"query": query, "variables": variables},
                headers={
                    "Authorization": f"Bearer {token}",
                    "x-api-target-id": target_id,
                    "x-api-version": self._api_version,
                    "Accept": "application/json",
                },
                timeout=timeout,
            )
        except requests.RequestException as error:
            raise TransientApiError(f"API request failed: {type(error).__name__}") from None


def take_slot(pacer: Pacer, within: float | None) -> None:
    """Wait for a request's slot of the API budget, at most ``within`` seconds; a transient
    error when the slot is further off (the input is retried later; its hint, the wait)."""
    try:
        pacer.take(within)
    except BudgetSpent as error:
        raise TransientApiError(str(error), retry_after=error.wait_seconds) from None


def _within(budget: Budget) -> float | None:
    """How long a request may wait for its slot and still start in time."""
    left = budget.left()
    return None if left is None else max(left - MIN_REQUEST_SECONDS, 0.0)


def _read_response(response: requests.Response) -> dict[str, Any]:
    status = response.status_code
    try:
        body = response.json()
    except (ValueError, RecursionError):
        # Deep nesting ("[" * 5000) exhausts the parser's recursion, which is no ValueError:
        # an answer too deep to read is an unreadable answer, like one that is not JSON.
        body = None
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors:
        # The HTTP status of a GraphQL error answer is undocumented: trust the classification.
        return _raise(error_from_graphql(errors), response)
    if status == 429 or status >= 500:
        raise TransientApiError(
            f"API answered HTTP {status}", retry_after=retry_after_seconds(response.headers)
        )
    if status >= 400:
        raise UnknownApiError(f"API answered HTTP {status}")
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise TransientApiError(f"API answered HTTP {status} without a JSON `data` object")
    data: dict[str, Any] = body["data"]
    return data


def _raise(error: BwpApiError, response: requests.Response) -> dict[str, Any]:
    if isinstance(error, TransientApiError):
        error.retry_after = retry_after_seconds(response.headers)
    raise error


def _field(data: dict[str, Any], name: str, model: type[_Task]) -> _Task:
    payload = data.get(name)
    if payload is None:
        raise UnknownApiError(f"{name} answered null without errors")
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        fields = ", ".join(problem.path for problem in validation_problems(error))
        raise UnknownApiError(f"{name} answered an unexpected shape ({fields})") from None
