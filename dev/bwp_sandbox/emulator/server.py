"""A Buy with Prime API emulator: a real HTTP server on localhost for tests and demos.

Serves ``POST /token`` (OAuth client credentials), ``POST /graphql`` (the privacy-task
operations in schema.graphql) and ``/_control/...`` (the control API over HTTP). Run it with
``python -m bwp_sandbox.emulator --port 8787``.
"""

from __future__ import annotations

import argparse
import json
import socket
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from bwp_sandbox.emulator.core import EmulatorCore, handle_control
from bwp_sandbox.emulator.faults import Fault
from bwp_sandbox.emulator.graphql_api import RequestContext, execute, fault_response
from bwp_sandbox.signals import wait_for_stop_signal

DEFAULT_CLIENT_ID = "local-client-id"
DEFAULT_CLIENT_SECRET = "local-client-secret"
API_TARGETS = {"/token": "token", "/graphql": "graphql"}
UNAUTHORIZED = {"token": {"error": "invalid_client"}, "graphql": {"message": "Unauthorized"}}
TRUNCATED_JSON = b'{"data": {"personalDataDeletionTask": {"taskId": "'
# serve_forever's shutdown check interval: keeps stop() quick.
POLL_SECONDS = 0.05


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Don't let stop() wait for handlers still talking to slow clients.
    block_on_close = False

    def __init__(
        self, address: tuple[str, int], core: EmulatorCore, stopping: threading.Event
    ) -> None:
        super().__init__(address, _Handler)
        self.core = core
        self.stopping = stopping

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout faults) is normal here, not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: no line per request on stderr."""

    def do_GET(self) -> None:
        """Route a GET."""
        self._dispatch()

    def do_POST(self) -> None:
        """Route a POST."""
        self._dispatch()

    def do_DELETE(self) -> None:
        """Route a DELETE."""
        self._dispatch()

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path
        raw = self._read_body()
        if path.startswith("/_control/"):
            self._send_json(*handle_control(self.server.core, self.command, path, _json(raw)))
        elif self.command == "POST" and path in API_TARGETS:
            self._serve_api(API_TARGETS[path], path, raw)
        else:
            self._send_json(404, {"message": "Not Found"})

    def _serve_api(self, target: str, path: str, raw: bytes) -> None:
        body: Any = _form(raw) if target == "token" else _json(raw)
        logged = body if body is not None else raw.decode("utf-8", "replace")[:1000]
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.core.record(self.command, path, headers, logged)
        if target == "graphql" and self._in_outage(body):
            self._answer_fault(Fault("internal_error"), target, body)
            return
        fault = self.server.core.faults.next_fault(target)
        if fault is not None and self._answer_fault(fault, target, body):
            return
        if target == "token":
            self._token(body)
        else:
            self._graphql(body)

    def _in_outage(self, body: Any) -> bool:
        variables = body.get("variables") if isinstance(body, dict) else None
        task_id = variables.get("taskId") if isinstance(variables, dict) else None
        return isinstance(task_id, str) and self.server.core.faults.in_outage(task_id)

    def _answer_fault(self, fault: Fault, target: str, body: Any) -> bool:
        """Answer as the fault says; False when the request should then be served normally."""
        delay = fault.delay_seconds
        if delay is not None:
            if self.server.stopping.wait(delay):
                self._reset_connection()
                return True
            return False
        error = fault.graphql_error()
        if error is not None:
            request = body if isinstance(body, dict) else {}
            operation_name = request.get("operationName")
            name = operation_name if isinstance(operation_name, str) else None
            self._send_json(200, fault_response(request.get("query"), name, error))
        elif fault.kind == "unauthorized":
            self._send_json(401, UNAUTHORIZED[target])
        elif fault.kind == "http_status":
            self._send_status_fault(fault.params["status"])
        elif fault.kind == "malformed_json":
            self._send(200, TRUNCATED_JSON)
        elif fault.kind == "connection_reset":
            self._reset_connection()
        return True

    def _send_status_fault(self, status: int) -> None:
        reason = self.responses.get(status, ("Error",))[0]
        headers = {"Retry-After": "1"} if status == 429 else {}
        self._send_json(status, {"message": reason}, headers)

    def _token(self, form: dict[str, str]) -> None:
        core = self.server.core
        if not core.credentials_match(form.get("client_id"), form.get("client_secret")):
            self._send_json(401, UNAUTHORIZED["token"])
        elif form.get("grant_type") != "client_credentials":
            self._send_json(400, {"error": "unsupported_grant_type"})
        else:
            token = {
                "access_token": core.issue_token(),
                "token_type": "Bearer",
                "expires_in": core.token_ttl_seconds,
            }
            self._send_json(200, token, {"Cache-Control": "no-store"})

    def _graphql(self, body: Any) -> None:
        core = self.server.core
        token = _bearer(self.headers.get("Authorization"))
        if token is None or not core.token_valid(token):
            self._send_json(401, UNAUTHORIZED["graphql"])
            return
        problem = _graphql_body_problem(body)
        if problem is not None:
            self._send_json(400, {"message": problem})
            return
        context = RequestContext(
            core.tasks, self.headers.get("x-api-target-id"), core.subscriptions, core.permissions
        )
        response = execute(context, body["query"], body.get("variables"), body.get("operationName"))
        self._send_json(200, response)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), headers)

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _reset_connection(self) -> None:
        # Linger 0 makes close() send a TCP RST: the client sees "connection reset by peer".
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True


def _json(raw: bytes) -> Any:
    """The parsed JSON body, or None when it is empty or not JSON."""
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


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


class BwpEmulator(EmulatorCore):
    """The emulator: control API (see EmulatorCore) plus an HTTP server in a daemon thread."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        token_ttl_seconds: int = 900,
    ) -> None:
        super().__init__(client_id, client_secret, token_ttl_seconds)
        self._address = (host, port)
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        """Bind (port 0 picks a free one) and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self._stopping.clear()
        self._server = _Server(self._address, self, self._stopping)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": POLL_SECONDS},
            name="bwp-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; pending timeout and slow faults end at once. Idempotent."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self if self._server is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server."""
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

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
    args = parser.parse_args(argv)
    emulator = BwpEmulator(args.host, args.port, args.client_id, args.client_secret, args.token_ttl)
    with emulator:
        print(emulator.base_url, flush=True)
        wait_for_stop_signal()


if __name__ == "__main__":
    main()
