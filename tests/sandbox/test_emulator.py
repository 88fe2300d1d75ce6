"""The Buy with Prime emulator, driven over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from bwp_sandbox.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, BwpEmulator

BP = "bp-30b55436-0000-4000-8000-000000000001"
TASK_ID = "0f4d6a5e-2b7c-4c1e-9d8f-3a2b1c0d9e8f"
TIMEOUT = 2.0
ISO_MICROS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")

QUERY = """
query Task($taskId: String!) {
  personalDataDeletionTask(taskId: $taskId) {
    taskId status holdingPeriod submissionDate lastUpdatedDate errors { code message }
  }
}
"""
CANCEL = """
mutation Cancel($taskId: String!) {
  cancelPersonalDataDeletionTask(taskId: $taskId) { taskId }
}
"""
START = """
mutation Start($input: StartPersonalDataDeletionTaskInput!) {
  startPersonalDataDeletionTask(input: $input) { taskId }
}
"""


@pytest.fixture
def emulator() -> Iterator[BwpEmulator]:
    with BwpEmulator() as emu:
        yield emu


def fetch_token(emu: BwpEmulator, secret: str = DEFAULT_CLIENT_SECRET) -> requests.Response:
    form = {"grant_type": "client_credentials", "client_id": DEFAULT_CLIENT_ID}
    return requests.post(emu.token_url, data=form | {"client_secret": secret}, timeout=TIMEOUT)


def graphql(
    emu: BwpEmulator,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    target: str | None = BP,
    timeout: float = TIMEOUT,
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token or fetch_token(emu).json()['access_token']}"}
    if target is not None:
        headers["x-api-target-id"] = target
    body = {"query": query, "variables": variables or {}}
    return requests.post(emu.graphql_url, json=body, headers=headers, timeout=timeout)


def query_task(emu: BwpEmulator, task_id: str = TASK_ID, **kwargs: Any) -> requests.Response:
    return graphql(emu, QUERY, {"taskId": task_id}, **kwargs)


def only_error(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200
    errors: list[dict[str, Any]] = response.json()["errors"]
    assert len(errors) == 1
    return errors[0]


def classification(response: requests.Response) -> dict[str, Any]:
    result: dict[str, Any] = only_error(response)["extensions"]["classification"]
    return result


# -- token -------------------------------------------------------------------------------


def test_token_is_issued_for_the_client_credentials(emulator: BwpEmulator) -> None:
    response = fetch_token(emulator)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert len(body["access_token"]) >= 32
    assert emulator.tokens_issued == 1


def test_token_refuses_a_wrong_secret(emulator: BwpEmulator) -> None:
    response = fetch_token(emulator, secret="wrong")

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
    assert emulator.tokens_issued == 0


def test_token_refuses_another_grant(emulator: BwpEmulator) -> None:
    form = {
        "grant_type": "password",
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
    }
    response = requests.post(emulator.token_url, data=form, timeout=TIMEOUT)

    assert response.status_code == 400
    assert response.json() == {"error": "unsupported_grant_type"}


# -- graphql: authentication and request shape ------------------------------------------


def test_graphql_without_a_valid_token_is_unauthorized(emulator: BwpEmulator) -> None:
    response = query_task(emulator, token="not-issued")

    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}


def test_revoked_tokens_are_unauthorized(emulator: BwpEmulator) -> None:
    emulator.add_task(BP, {"taskId": TASK_ID})
    token = fetch_token(emulator).json()["access_token"]
    assert query_task(emulator, token=token).status_code == 200

    emulator.revoke_tokens()

    assert query_task(emulator, token=token).status_code == 401
    assert query_task(emulator).status_code == 200


def test_a_body_that_is_not_json_is_a_bad_request(emulator: BwpEmulator) -> None:
    token = fetch_token(emulator).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "x-api-target-id": BP}
    response = requests.post(emulator.graphql_url, data=b"{nope", headers=headers, timeout=TIMEOUT)

    assert response.status_code == 400


def test_a_missing_target_id_is_access_denied(emulator: BwpEmulator) -> None:
    emulator.add_task(BP, {"taskId": TASK_ID})

    response = query_task(emulator, target=None)

    assert classification(response) == {
        "type": "AccessDeniedError",
        "errorType": "AccessDeniedException",
        "errorCode": 403,
    }


# -- graphql: queries --------------------------------------------------------------------


def test_query_returns_a_seeded_task(emulator: BwpEmulator) -> None:
    emulator.add_task(BP, {"taskId": TASK_ID, "status": "IN_PROGRESS", "holdingPeriod": 3})

    response = query_task(emulator)

    assert response.status_code == 200
    task = response.json()["data"]["personalDataDeletionTask"]
    assert task["taskId"] == TASK_ID
    assert task["status"] == "IN_PROGRESS"
    assert task["holdingPeriod"] == 3
    assert task["errors"] == []
    assert ISO_MICROS.match(task["submissionDate"])
    assert ISO_MICROS.match(task["lastUpdatedDate"])
    assert "errors" not in response.json()


def test_add_task_fills_the_documented_defaults(emulator: BwpEmulator) -> None:
    stored = emulator.add_task(BP, {"taskId": TASK_ID})

    assert stored["status"] == "FAILED"
    assert stored["dataSubject"] == {"type": "SHOPPER", "email": "shopper@example.com"}
    assert stored["holdingPeriod"] == 10
    assert stored["errors"] == []


def test_selecting_an_unknown_field_is_a_validation_error(emulator: BwpEmulator) -> None:
    query = '{ personalDataDeletionTask(taskId: "x") { taskId shoeSize } }'

    response = graphql(emulator, query)

    error = only_error(response)
    assert "shoeSize" in error["message"]
    assert error["extensions"]["classification"]["type"] == "ValidationError"
    assert "data" not in response.json()


def test_an_unknown_task_is_resource_not_found(emulator: BwpEmulator) -> None:
    response = query_task(emulator)

    assert response.json() == {
        "data": {"personalDataDeletionTask": None},
        "errors": [
            {
                "message": "Request references a resource which does not exist.",
                "locations": [{"line": 3, "column": 3}],
                "path": ["personalDataDeletionTask"],
                "extensions": {
                    "classification": {
                        "type": "ResourceNotFoundError",
                        "errorType": "ResourceNotFoundException",
                        "errorCode": 404,
                    }
                },
            }
        ],
    }


def test_a_task_of_another_business_product_is_not_found(emulator: BwpEmulator) -> None:
    emulator.add_task(BP, {"taskId": TASK_ID})

    response = query_task(emulator, target="bp-someone-else")

    assert classification(response)["type"] == "ResourceNotFoundError"


# -- graphql: mutations ------------------------------------------------------------------


def test_cancelling_an_on_hold_task_removes_it(emulator: BwpEmulator) -> None:
    emulator.add_task(BP, {"taskId": TASK_ID, "status": "ON_HOLD"})

    response = graphql(emulator, CANCEL, {"taskId": TASK_ID})

    assert response.json() == {"data": {"cancelPersonalDataDeletionTask": {"taskId": TASK_ID}}}
    assert classification(query_task(emulator))["type"] == "ResourceNotFoundError"


def test_cancelling_an_in_progress_task_is_refused(emulator: BwpEmulator) -> None:
    emulator.add_task(BP, {"taskId": TASK_ID, "status": "IN_PROGRESS"})

    error = only_error(graphql(emulator, CANCEL, {"taskId": TASK_ID}))

    assert error["message"] == (
        "The personalDataDeletionTask cannot be cancelled with a status of IN_PROGRESS."
    )
    assert error["extensions"]["classification"] == {
        "type": "ValidationError",
        "code": "CannotCancelPersonalDataDeletionTask",
        "errorType": "ValidationException",
        "errorCode": 400,
    }
    assert query_task(emulator).json()["data"]["personalDataDeletionTask"]["taskId"] == TASK_ID


def test_cancelling_an_unknown_task_is_not_found(emulator: BwpEmulator) -> None:
    error = only_error(graphql(emulator, CANCEL, {"taskId": TASK_ID}))

    assert error["message"] == "Request references a resource which does not exist."
    assert error["path"] == ["cancelPersonalDataDeletionTask"]


def test_start_creates_an_on_hold_task_once_per_client_token(emulator: BwpEmulator) -> None:
    request = {
        "dataSubject": {"type": "SHOPPER", "email": "a@example.com"},
        "clientToken": {"token": "c" * 36},
    }

    first = graphql(emulator, START, {"input": request}).json()["data"]
    again = graphql(emulator, START, {"input": request}).json()["data"]

    task_id = first["startPersonalDataDeletionTask"]["taskId"]
    assert again["startPersonalDataDeletionTask"]["taskId"] == task_id
    task = query_task(emulator, task_id).json()["data"]["personalDataDeletionTask"]
    assert task["status"] == "ON_HOLD"
    assert task["holdingPeriod"] == 10


RETRIEVAL = """
query Retrieval($taskId: String!) {
  personalDataRetrievalTask(taskId: $taskId) {
    taskId status submissionDate lastUpdatedDate errors { code message } dataRetrievalLink
  }
}
"""
START_RETRIEVAL = """
mutation Start($input: StartPersonalDataRetrievalTaskInput!) {
  startPersonalDataRetrievalTask(input: $input) { taskId }
}
"""


def retrieval(emu: BwpEmulator, task_id: str) -> Any:
    return graphql(emu, RETRIEVAL, {"taskId": task_id}).json()["data"]["personalDataRetrievalTask"]


def test_retrieval_tasks_are_their_own_kind_with_a_link_and_no_holding_period(
    emulator: BwpEmulator,
) -> None:
    control = emulator.base_url + "/_control/tasks"
    body = {"businessProductId": BP, "kind": "retrieval"}
    task = {"taskId": "r-1", "dataRetrievalLink": "https://l.invalid/x"}
    assert requests.post(control, json=body | {"task": task}, timeout=TIMEOUT).ok
    bad = requests.post(control, json=body | {"task": task, "kind": "export"}, timeout=TIMEOUT)
    assert bad.status_code == 400
    task = retrieval(emulator, "r-1")
    assert (task["taskId"], task["status"]) == ("r-1", "FAILED")
    assert task["dataRetrievalLink"] == "https://l.invalid/x"  # in the schema: a test can see it
    assert classification(query_task(emulator, "r-1"))["type"] == "ResourceNotFoundError"
    held = graphql(emulator, RETRIEVAL.replace("dataRetrievalLink", "holdingPeriod"), {})
    assert "Cannot query field 'holdingPeriod'" in only_error(held)["message"]
    hold = {"dataSubject": {"type": "SHOPPER", "email": "a@example.com"}, "holdingPeriod": 0}
    refused = graphql(emulator, START_RETRIEVAL, {"input": hold})
    assert "holdingPeriod" in only_error(refused)["message"]


def test_a_started_retrieval_completes_with_a_link_or_finds_no_shopper(
    emulator: BwpEmulator,
) -> None:
    emulator.set_shopper(BP, "known@example.com")
    started = {}
    for email in ("known@example.com", "unknown@example.com"):
        request = {
            "dataSubject": {"type": "SHOPPER", "email": email},
            "clientToken": {"token": email.ljust(36, "-")},
        }
        first = graphql(emulator, START_RETRIEVAL, {"input": request}).json()["data"]
        again = graphql(emulator, START_RETRIEVAL, {"input": request}).json()["data"]
        task_id = first["startPersonalDataRetrievalTask"]["taskId"]
        assert again["startPersonalDataRetrievalTask"]["taskId"] == task_id
        assert retrieval(emulator, task_id)["status"] == "IN_PROGRESS"
        started[email] = task_id
    finished = {task.task_id: task for task in emulator.finish_due_tasks()}
    known, unknown = started["known@example.com"], started["unknown@example.com"]
    assert {t.kind for t in finished.values()} == {"retrieval"}
    assert (finished[known].status, finished[unknown].error_code) == (
        "COMPLETED",
        "DATA_SUBJECT_NOT_FOUND",
    )
    assert retrieval(emulator, known)["dataRetrievalLink"].startswith("https://")
    assert retrieval(emulator, unknown)["dataRetrievalLink"] is None
    assert sum(emulator.tasks_created().values()) == 2


# -- faults ------------------------------------------------------------------------------


def expect_graphql_error(type_: str) -> Callable[[BwpEmulator], None]:
    def check(emu: BwpEmulator) -> None:
        response = query_task(emu)
        assert response.json()["data"] == {"personalDataDeletionTask": None}
        assert classification(response)["type"] == type_

    return check


def expect_status(status: int) -> Callable[[BwpEmulator], None]:
    def check(emu: BwpEmulator) -> None:
        response = query_task(emu)
        assert response.status_code == status
        if status == 429:
            assert response.headers["Retry-After"] == "1"

    return check


def expect_timeout(emu: BwpEmulator) -> None:
    with pytest.raises(requests.ReadTimeout):
        query_task(emu, timeout=0.2)


def expect_slow(emu: BwpEmulator) -> None:
    response = query_task(emu)
    assert response.status_code == 200
    assert response.elapsed.total_seconds() >= 0.1


def expect_malformed_json(emu: BwpEmulator) -> None:
    response = query_task(emu)
    assert response.status_code == 200
    with pytest.raises(requests.JSONDecodeError):
        response.json()


def expect_connection_error(emu: BwpEmulator) -> None:
    with pytest.raises(requests.ConnectionError):
        query_task(emu)


FAULTS: dict[str, tuple[dict[str, Any], Callable[[BwpEmulator], None]]] = {
    "throttle": ({}, expect_graphql_error("ThrottlingError")),
    "internal_error": ({}, expect_graphql_error("InternalServerError")),
    "conflict": ({}, expect_graphql_error("ConflictError")),
    "access_denied": ({}, expect_graphql_error("AccessDeniedError")),
    "validation_error": ({}, expect_graphql_error("ValidationError")),
    "not_found": ({}, expect_graphql_error("ResourceNotFoundError")),
    "http_status": ({"status": 429}, expect_status(429)),
    "unauthorized": ({}, expect_status(401)),
    "timeout": ({"seconds": 0.5}, expect_timeout),
    "slow": ({"seconds": 0.1}, expect_slow),
    "malformed_json": ({}, expect_malformed_json),
    "connection_reset": ({}, expect_connection_error),
}


@pytest.mark.parametrize("kind", FAULTS)
def test_a_fault_is_observed_once_then_service_resumes(emulator: BwpEmulator, kind: str) -> None:
    emulator.add_task(BP, {"taskId": TASK_ID})
    token = fetch_token(emulator).json()["access_token"]
    params, observe = FAULTS[kind]
    emulator.inject(kind, **params)

    observe(emulator)

    response = query_task(emulator, token=token)
    assert response.status_code == 200
    assert response.json()["data"]["personalDataDeletionTask"]["taskId"] == TASK_ID


def test_a_fault_applies_as_many_times_as_asked(emulator: BwpEmulator) -> None:
    emulator.add_task(BP, {"taskId": TASK_ID})
    token = fetch_token(emulator).json()["access_token"]
    emulator.inject("http_status", times=2, status=503)

    statuses = [query_task(emulator, token=token).status_code for _ in range(3)]

    assert statuses == [503, 503, 200]


def test_token_faults_leave_graphql_alone(emulator: BwpEmulator) -> None:
    emulator.add_task(BP, {"taskId": TASK_ID})
    token = fetch_token(emulator).json()["access_token"]
    emulator.inject("http_status", target="token", status=500)

    assert query_task(emulator, token=token).status_code == 200
    assert fetch_token(emulator).status_code == 500
    assert fetch_token(emulator).status_code == 200


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("explode", {}),
        ("throttle", {"target": "token"}),
        ("http_status", {"status": 200}),
        ("timeout", {"minutes": 1}),
        ("slow", {"times": 0}),
    ],
)
def test_nonsense_faults_are_refused(
    emulator: BwpEmulator, kind: str, options: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match=r"."):
        emulator.inject(kind, **options)


def test_stop_does_not_wait_for_a_pending_timeout(emulator: BwpEmulator) -> None:
    # A request held for 10 minutes: a stop that waited for it would take them all. Half of
    # that tells the two apart however busy the machine is.
    emulator.inject("timeout", seconds=600)
    expect_timeout(emulator)

    started = time.monotonic()
    emulator.stop()

    assert time.monotonic() - started < 300


def chaos_outcomes(emu: BwpEmulator, token: str, count: int) -> list[str]:
    outcomes = []
    for _ in range(count):
        response = query_task(emu, token=token)
        errors = response.json().get("errors") if response.status_code == 200 else None
        kind = errors[0]["extensions"]["classification"]["type"] if errors else "ok"
        outcomes.append(f"{response.status_code} {kind}")
    return outcomes


def test_chaos_with_a_seed_is_reproducible(emulator: BwpEmulator) -> None:
    emulator.add_task(BP, {"taskId": TASK_ID})
    token = fetch_token(emulator).json()["access_token"]
    rates = {"throttle": 0.3, "http_status": 0.2}

    emulator.set_chaos(rates, seed=7)
    first = chaos_outcomes(emulator, token, 20)
    emulator.set_chaos(rates, seed=7)
    second = chaos_outcomes(emulator, token, 20)
    emulator.set_chaos({}, 0)
    calm = chaos_outcomes(emulator, token, 5)

    assert first == second
    assert {"200 ok", "200 ThrottlingError", "503 ok"} <= set(first)
    assert calm == ["200 ok"] * 5


# -- request log and control API ---------------------------------------------------------


def test_the_request_log_never_holds_secrets(emulator: BwpEmulator) -> None:
    token = fetch_token(emulator).json()["access_token"]
    query_task(emulator, token=token)

    log = emulator.requests_log
    dumped = json.dumps(log)

    assert DEFAULT_CLIENT_SECRET not in dumped
    assert token not in dumped
    assert [(entry["method"], entry["path"]) for entry in log] == [
        ("POST", "/token"),
        ("POST", "/graphql"),
    ]
    assert log[0]["body"]["client_secret"] == "***"
    assert log[1]["headers"]["authorization"] == "Bearer ***"
    assert log[1]["headers"]["x-api-target-id"] == BP
    assert log[1]["body"]["variables"] == {"taskId": TASK_ID}


def test_reset_forgets_everything(emulator: BwpEmulator) -> None:
    emulator.add_task(BP, {"taskId": TASK_ID})
    token = fetch_token(emulator).json()["access_token"]
    emulator.inject("throttle")

    emulator.reset()

    assert emulator.requests_log == []
    assert emulator.tokens_issued == 0
    assert query_task(emulator, token=token).status_code == 401
    assert classification(query_task(emulator))["type"] == "ResourceNotFoundError"


def test_an_outage_fails_lookups_of_its_tasks_until_lifted(emulator: BwpEmulator) -> None:
    other = "1a2b3c4d-0000-4000-8000-000000000002"
    emulator.add_task(BP, {"taskId": TASK_ID})
    emulator.add_task(BP, {"taskId": other})

    emulator.set_outage([TASK_ID])
    assert classification(query_task(emulator)) == {"type": "InternalServerError"}
    assert query_task(emulator, other).json()["data"]["personalDataDeletionTask"]["taskId"] == other

    emulator.set_outage([])
    assert query_task(emulator).json()["data"]["personalDataDeletionTask"]["taskId"] == TASK_ID


def test_the_control_api_works_over_http(emulator: BwpEmulator) -> None:
    control = emulator.base_url + "/_control"

    def post(path: str, body: dict[str, Any] | None = None) -> requests.Response:
        return requests.post(control + path, json=body or {}, timeout=TIMEOUT)

    health = requests.get(control + "/health", timeout=TIMEOUT).json()
    assert health == {"status": "ok", "pid": os.getpid()}  # which sandbox answers
    assert post("/tasks", {"businessProductId": BP, "task": {"taskId": TASK_ID}}).ok
    assert post("/faults", {"kind": "http_status", "status": 502}).ok
    assert query_task(emulator).status_code == 502
    assert query_task(emulator).status_code == 200
    assert post("/revoke-tokens").ok
    assert post("/chaos", {"rates": {"throttle": 1.0}, "seed": 1}).ok
    assert classification(query_task(emulator))["type"] == "ThrottlingError"
    assert post("/chaos", {"rates": {}, "seed": 0}).ok
    assert post("/outage", {"taskIds": [TASK_ID]}).ok
    assert classification(query_task(emulator))["type"] == "InternalServerError"
    assert post("/outage", {"taskIds": []}).ok
    assert query_task(emulator).json()["data"]["personalDataDeletionTask"]["taskId"] == TASK_ID
    logged = requests.get(control + "/requests", timeout=TIMEOUT).json()["requests"]
    assert len(logged) == 10
    removed = requests.delete(f"{control}/tasks/{BP}/{TASK_ID}", timeout=TIMEOUT)
    assert removed.json() == {"removed": True}
    assert post("/faults", {"kind": "explode"}).status_code == 400
    assert post("/reset").ok
    assert emulator.requests_log == []


def test_the_module_runs_a_server_until_interrupted() -> None:
    command = [sys.executable, "-m", "bwp_sandbox.emulator", "--port", "0"]
    # A fixed command line: nothing untrusted reaches the subprocess.
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:  # noqa: S603
        try:
            assert process.stdout is not None
            base_url = process.stdout.readline().strip()
            health = requests.get(base_url + "/_control/health", timeout=TIMEOUT)
            assert health.json() == {"status": "ok", "pid": process.pid}
        finally:
            process.terminate()
            assert process.wait(timeout=5) == 0
