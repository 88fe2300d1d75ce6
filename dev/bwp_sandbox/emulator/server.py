"""A Buy with Prime API emulator: a real HTTP server on localhost for tests and demos.

Serves ``POST /token`` (OAuth client credentials), ``POST /graphql`` (the privacy-task
operations in schema.graphql) and ``/_control/...`` (the control API over HTTP). Run it with
``python -m bwp_sandbox.emulator --port 8787``.
"""

from __future__ import annotations

import argparse
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from bwp_sandbox.emulator.core import EmulatorCore, handle_control
from bwp_sandbox.emulator.faults import Fault
from bwp_sandbox.emulator.graphql_api import RequestContext, execute, fault_response
from bwp_sandbox.emulator.rate_limit import retry_after_header
from bwp_sandbox.http_server import (
    BackgroundServer,
    answer,
    header_values,
    json_answer,
    json_or_none,
    phrase,
    raw_path,
)
from bwp_sandbox.signals import wait_for_stop_signal

DEFAULT_CLIENT_ID = "local-client-id"
DEFAULT_CLIENT_SECRET = "local-client-secret"
UNAUTHORIZED = {"token": {"error": "invalid_client"}, "graphql": {"message": "Unauthorized"}}
TRUNCATED_JSON = b'{"data": {"personalDataDeletionTask": {"taskId": "'
#: What a request above the rate limit gets (HTTP 429 and Retry-After with either).
RATE_EXCEEDED = "Rate exceeded"
THROTTLED = {
    "token": {"error": "rate_limited", "error_description": RATE_EXCEEDED},
    "graphql": {
        "data": None,
        "errors": [
            {
                "message": RATE_EXCEEDED,
                "extensions": {"classification": {"type": "ThrottlingError"}},
            }
        ],
    },
}


class _Api:
    """The emulator's views: the control API, the token endpoint and GraphQL."""

    def __init__(self, emulator: BwpEmulator) -> None:
        self.core = emulator

    def routes(self) -> Map:
        return Map(
            [
                *(
                    Rule(path, endpoint=self._control, methods=["GET", "POST", "DELETE"])
                    for path in ("/_control/", "/_control/<path:rest>")
                ),
                Rule("/token", endpoint=partial(self._serve_api, "token"), methods=["POST"]),
                Rule("/graphql", endpoint=partial(self._serve_api, "graphql"), methods=["POST"]),
            ]
        )

    def _control(self, request: Request) -> Response:
        body = json_or_none(request.get_data())
        return json_answer(*handle_control(self.core, request.method, raw_path(request), body))

    def _serve_api(self, target: str, request: Request) -> Response | None:
        raw = request.get_data()
        body: Any = _form(raw) if target == "token" else json_or_none(raw)
        logged = body if body is not None else raw.decode("utf-8", "replace")[:1000]
        self.core.record(request.method, raw_path(request), header_values(request), logged)
        wait = self.core.rate.admit("token" if target == "token" else "graphql")
        if wait is not None:  # above the rate limit: before any fault, outage or check
            return json_answer(429, THROTTLED[target], {"Retry-After": retry_after_header(wait)})
        if target == "graphql" and self._in_outage(body):
            return self._answer_fault(Fault("internal_error"), target, body)
        fault = self.core.faults.next_fault(target)
        if fault is not None and fault.delay_seconds is not None:
            if self.core.stopping.wait(fault.delay_seconds):
                return None  # stopped while holding it: cut short
        elif fault is not None:
            return self._answer_fault(fault, target, body)
        if target == "token":
            return self._token(body)
        return self._graphql(request, body)

    def _in_outage(self, body: Any) -> bool:
        variables = body.get("variables") if isinstance(body, dict) else None
        task_id = variables.get("taskId") if isinstance(variables, dict) else None
        return isinstance(task_id, str) and self.core.faults.in_outage(task_id)

    def _answer_fault(self, fault: Fault, target: str, body: Any) -> Response | None:
        """The answer a fault that holds nothing gives (None: the connection is reset)."""
        error = fault.graphql_error()
        if error is not None:
            request = body if isinstance(body, dict) else {}
            operation_name = request.get("operationName")
            name = operation_name if isinstance(operation_name, str) else None
            return json_answer(200, fault_response(request.get("query"), name, error))
        if fault.kind == "unauthorized":
            return json_answer(401, UNAUTHORIZED[target])
        if fault.kind == "http_status":
            status = fault.params["status"]
            headers = {"Retry-After": "1"} if status == 429 else {}
            return json_answer(status, {"message": phrase(status) or "Error"}, headers)
        if fault.kind == "malformed_json":
            return answer(200, TRUNCATED_JSON)
        return None  # connection_reset

    def _token(self, form: dict[str, str]) -> Response:
        core = self.core
        if not core.credentials_match(form.get("client_id"), form.get("client_secret")):
            return json_answer(401, UNAUTHORIZED["token"])
        if form.get("grant_type") != "client_credentials":
            return json_answer(400, {"error": "unsupported_grant_type"})
        token = {
            "access_token": core.issue_token(),
            "token_type": "Bearer",
            "expires_in": core.token_ttl_seconds,
        }
        return json_answer(200, token, {"Cache-Control": "no-store"})

    def _graphql(self, request: Request, body: Any) -> Response:
        core = self.core
        token = _bearer(request.headers.get("Authorization"))
        if token is None or not core.token_valid(token):
            return json_answer(401, UNAUTHORIZED["graphql"])
        problem = _graphql_body_problem(body)
        if problem is not None:
            return json_answer(400, {"message": problem})
        context = RequestContext(
            core.tasks, request.headers.get("x-api-target-id"), core.subscriptions, core.permissions
        )
        response = execute(context, body["query"], body.get("variables"), body.get("operationName"))
        return json_answer(200, response)


def _form(raw: bytes) -> dict[str, str]:
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))


def _bearer(header: str | None) -> str | None:
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _graphql_body_problem(body: Any) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return "The body must be a JSON object with a string 'query'."
    if not isinstance(body.get("variables") or {}, dict):
        return "'variables' must be a JSON object."
    if not isinstance(body.get("operationName") or "", str):
        return "'operationName' must be a string."
    return None


class BwpEmulator(EmulatorCore, BackgroundServer):
    """The emulator: control API (see EmulatorCore) plus an HTTP server in a daemon thread
    (see BackgroundServer: start(), stop(), a ``with`` block, base_url)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        token_ttl_seconds: int = 900,
    ) -> None:
        EmulatorCore.__init__(self, client_id, client_secret, token_ttl_seconds)
        BackgroundServer.__init__(self, "emulator", host, port, _Api(self).routes())

    @property
    def token_url(self) -> str:
        """The OAuth token endpoint."""
        return self.base_url + "/token"

    @property
    def graphql_url(self) -> str:
        """The GraphQL endpoint."""
        return self.base_url + "/graphql"


def main(argv: list[str] | None = None) -> None:
    """Run the emulator in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m bwp_sandbox.emulator", description="Buy with Prime API emulator"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument("--token-ttl", type=int, default=900, help="access token lifetime (s)")
    parser.add_argument(
        "--rate-limit", type=float, help="GraphQL and token requests per second (default: none)"
    )
    args = parser.parse_args(argv)
    emulator = BwpEmulator(args.host, args.port, args.client_id, args.client_secret, args.token_ttl)
    emulator.set_rate_limit(args.rate_limit)
    with emulator:
        print(emulator.base_url, flush=True)
        wait_for_stop_signal()


if __name__ == "__main__":
    main()
