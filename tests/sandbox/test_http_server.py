"""The serving the emulator and the sink share: routing misses, resets, stopping, quiet."""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Iterator

import pytest
import requests
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from bwp_sandbox.http_server import BackgroundServer, json_answer

TIMEOUT = 5


class _Service(BackgroundServer):
    def __init__(self, port: int = 0) -> None:
        routes = Map(
            [
                Rule("/answer", endpoint=self._answer, methods=["POST"]),
                Rule("/reset", endpoint=self._reset, methods=["POST"]),
                Rule("/hold", endpoint=self._hold, methods=["POST"]),
            ]
        )
        super().__init__("test service", "127.0.0.1", port, routes)
        self.holding = threading.Event()

    def _answer(self, request: Request) -> Response:
        return json_answer(429, {"echo": request.get_data().decode()}, {"Retry-After": "1"})

    def _reset(self, request: Request) -> None:
        return None

    def _hold(self, request: Request) -> Response | None:
        self.holding.set()
        return None if self.stopping.wait(TIMEOUT * 10) else json_answer(200, {})


@pytest.fixture
def service() -> Iterator[_Service]:
    with _Service() as running:
        yield running


def test_a_view_answers_with_its_status_line_headers_and_body(service: _Service) -> None:
    answer = requests.post(service.base_url + "/answer", data=b"hi", timeout=TIMEOUT)
    assert (answer.status_code, answer.reason) == (429, "Too Many Requests")
    assert answer.headers["Retry-After"] == "1"
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json() == {"echo": "hi"}


def test_a_path_without_a_rule_is_not_found_and_a_method_without_one_not_implemented(
    service: _Service,
) -> None:
    for path in ("/elsewhere", "/answer/", "/answer/more"):
        missed = requests.post(service.base_url + path, timeout=TIMEOUT)
        assert (missed.status_code, missed.json()) == (404, {"message": "Not Found"})
    for method in ("GET", "PUT", "HEAD"):
        refused = requests.request(method, service.base_url + "/answer", timeout=TIMEOUT)
        assert refused.status_code == 501


def test_a_view_that_answers_none_resets_the_connection(service: _Service) -> None:
    """No answer, the connection dropped. The server sends a RST, but socketserver shuts the
    write side first, so a client reads "reset by peer" or, when the FIN reaches it first,
    "closed without response" (18 times in 300 on two cores): the same ConnectionError."""
    with pytest.raises(requests.ConnectionError, match=r"reset|without response"):
        requests.post(service.base_url + "/reset", data=b"x" * 10_000, timeout=TIMEOUT)


def test_stop_cuts_a_held_request_short() -> None:
    service = _Service().start()
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            requests.post(service.base_url + "/hold", timeout=TIMEOUT * 10)
        except requests.ConnectionError as error:
            outcome.append(error)

    client = threading.Thread(target=call)
    client.start()
    assert service.holding.wait(TIMEOUT)
    service.stop()
    client.join(TIMEOUT)
    assert not client.is_alive()
    assert len(outcome) == 1
    service.stop()  # again: nothing to do
    with pytest.raises(RuntimeError, match="not running"):
        _ = service.base_url


def test_a_taken_port_is_an_os_error_and_a_second_start_refused(service: _Service) -> None:
    port = int(service.base_url.rsplit(":", 1)[1])
    # werkzeug alone would print and exit; the sandbox needs the error to try other ports.
    with pytest.raises(OSError, match=os.strerror(errno.EADDRINUSE)) as taken:
        _Service(port).start()
    assert taken.value.errno == errno.EADDRINUSE
    with pytest.raises(RuntimeError, match="already running"):
        service.start()


def test_requests_write_nothing_to_stderr(
    service: _Service, capfd: pytest.CaptureFixture[str]
) -> None:
    requests.post(service.base_url + "/answer", timeout=TIMEOUT)
    requests.post(service.base_url + "/elsewhere", timeout=TIMEOUT)
    with pytest.raises(requests.ConnectionError):
        requests.post(service.base_url + "/reset", timeout=TIMEOUT)
    assert capfd.readouterr().err == ""
