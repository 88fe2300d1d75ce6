"""The sandbox's fake services over HTTP: a werkzeug routing map served in a daemon thread.

The API emulator and the receiver sink are each a `BackgroundServer`: their rules' endpoints
are views (a request in, a response out, or None to reset the connection), served by
werkzeug's threaded server between ``start()`` and ``stop()`` or for a ``with`` block.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Callable, Mapping
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import NotImplemented as MethodNotImplemented
from werkzeug.routing import Map
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

#: Answers one request; None drops the connection with no answer (the client sees "connection
#: reset", or "closed without response" when the FIN socketserver sends first reaches it first).
View = Callable[[Request], Response | None]
# serve_forever's shutdown check interval: keeps stop() quick.
POLL_SECONDS = 0.05
NOT_FOUND = {"message": "Not Found"}


def phrase(status: int) -> str:
    """The status's reason phrase ("" for a status HTTP does not name)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def answer(
    status: int,
    body: bytes,
    *,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
) -> Response:
    """``body`` as sent, with ``status`` and its reason phrase in the status line."""
    # werkzeug's own status lines shout the phrase ("404 NOT FOUND"); clients see the usual one.
    reason = phrase(status)
    response = Response(body, status=f"{status} {reason}" if reason else status)
    response.content_type = content_type
    response.headers.extend(headers or {})
    return response


def json_answer(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
    """``payload`` as a JSON answer."""
    return answer(status, json.dumps(payload).encode(), headers=headers)


def json_or_none(raw: bytes) -> Any:
    """The parsed JSON body, or None when it is empty or not JSON."""
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def raw_path(request: Request) -> str:
    """The path as the client sent it: werkzeug's ``request.path`` decodes %-escapes, and a
    task id may hold an escaped ``/``."""
    return urlsplit(request.environ.get("RAW_URI", request.path)).path


def header_values(request: Request) -> dict[str, str]:
    """The request's headers by lower-case name."""
    return {name.lower(): value for name, value in request.headers.items()}


class _ConnectionReset(ConnectionResetError):
    """Raised past werkzeug once a view's connection is reset: werkzeug then writes nothing."""


class _QuietHandler(WSGIRequestHandler):
    # HTTP/1.0: every connection ends after its one request, so a reset one is closed at once
    # instead of waiting for a next request that never comes.
    protocol_version = "HTTP/1.0"

    def log(self, type: str, message: str, *args: Any) -> None:
        """No line per request on stderr. A view's crash still reaches the werkzeug logger
        with its traceback (the server logs it, not the handler)."""


class BackgroundServer:
    """Serves ``routes`` on ``host:port`` (port 0 picks a free one) in a daemon thread; each
    rule's endpoint is the `View` that answers it."""

    def __init__(self, name: str, host: str, port: int, routes: Map) -> None:
        self._name = name
        self._address = (host, port)
        self._routes = routes
        # A method no rule names is answered 501 Not Implemented, as http.server answers it;
        # HEAD is left out (werkzeug adds it to every GET rule, the services do not serve it).
        self._methods = {m for rule in routes.iter_rules() for m in rule.methods or ()} - {"HEAD"}
        #: Set by stop() until the next start(): requests held by a fault end at once.
        self.stopping = threading.Event()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        """Bind and serve in a daemon thread; returns self."""
        if self._server is not None:
            raise RuntimeError(f"the {self._name} is already running")
        self.stopping.clear()
        # Bound here: on a taken port werkzeug prints and exits, where the sandbox wants the
        # OSError (EADDRINUSE) to name the port and try others.
        with socket.create_server(self._address) as listener:
            host, port = listener.getsockname()[:2]
            self._server = make_server(
                host,
                port,
                self._wsgi,
                threaded=True,
                request_handler=_QuietHandler,
                fd=listener.fileno(),
            )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": POLL_SECONDS},
            name=self._name.replace(" ", "-"),
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests held by a fault are cut short. Idempotent."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self.stopping.set()
        server.shutdown()
        thread.join()  # serve_forever closes the server on its way out
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
            raise RuntimeError(f"the {self._name} is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self._respond(request)
        if response is None:
            connection: socket.socket = environ["werkzeug.socket"]
            # Linger 0 makes the close send a TCP RST: the client sees "connection reset by peer"
            # (or the end of the stream, when socketserver's FIN before it is read first).
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()
            raise _ConnectionReset
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response | None:
        if request.method not in self._methods:
            return MethodNotImplemented().get_response(request.environ)
        try:
            endpoint, _ = self._routes.bind_to_environ(request.environ).match()
        except HTTPException:  # no rule for the path, or not for this method
            return json_answer(404, NOT_FOUND)
        view: View = endpoint
        return view(request)
