"""A local alert-receiver sink: a real HTTP server playing every HTTP receiver of the registry.

Routes: ``POST /pagerduty/v2/enqueue``, ``POST /slack/api/<method>`` (Slack's Web API for a
bot: ``chat.postMessage``, ``chat.update`` and ``views.open``, with its documented answers),
``POST /slack/response/<name>`` (an interaction's ``response_url``) and
``POST /<receiver>/<any>`` for the others. PagerDuty, Slack, Teams and the signed webhook are
checked against their documented formats; a receiver without a fake here is answered with its
first success status. Every request is recorded;
faults (statuses, resets, delays) can be injected per kind. Run it with
``python -m bwp_sandbox.sink --port 8788``.
"""

from __future__ import annotations

import argparse
import itertools
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from bwp_privacy.alerting import RECEIVERS
from bwp_privacy.alerting.receivers.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify_signature,
)
from bwp_sandbox.http_server import (
    BackgroundServer,
    answer,
    header_values,
    json_answer,
    json_or_none,
    raw_path,
)
from bwp_sandbox.signals import wait_for_stop_signal

#: The HTTP receivers of the registry (the AWS ones are played by moto).
KINDS = tuple(name for name, spec in RECEIVERS.items() if spec.resource == "secret")
DEFAULT_WEBHOOK_SECRET = "local-webhook-secret"
PAGERDUTY_PATH = "/pagerduty/v2/enqueue"
PAGERDUTY_SEVERITIES = frozenset({"critical", "error", "warning", "info"})
PAGERDUTY_SUMMARY_LIMIT = 1024
SLACK_MAX_BLOCKS = 50
SLACK_HEADER_LIMIT = 150
SLACK_SECTION_LIMIT = 3000
#: Where the sink plays Slack's Web API (the router's SLACK_API_URL is base_url + this).
SLACK_API_PATH = "/slack/api"
#: The bot token the sink accepts (a Slack bot secret's botToken in the sandbox).
SLACK_BOT_TOKEN = "xoxb-local-sandbox-token"
#: Where the sink plays the ``response_url`` of an interaction (``<prefix><name>``): what the
#: reaction's SLACK_RESPONSE_URL_PREFIX is in the sandbox (``base_url`` + this).
SLACK_RESPONSE_PATH = "/slack/response/"
#: How long a ``trigger_id`` opens a modal (Slack: 3 seconds after the interaction).
TRIGGER_SECONDS = 3.0
#: How often and how long a ``response_url`` takes messages (Slack: 5 times in 30 minutes).
RESPONSE_URL_USES = 5
RESPONSE_URL_SECONDS = 30 * 60
#: The longest ``private_metadata`` a view takes (Slack's Block Kit reference).
SLACK_PRIVATE_METADATA_LIMIT = 3000


@dataclass
class _Fault:
    remaining: int
    status: int | None = None
    reset: bool = False
    delay_seconds: float | None = None
    #: Hold the connection, then drop it unanswered: a request that never got processed.
    hang: bool = False
    retry_after: float | None = None
    #: The answer's body, as sent (None: ``{"message": "injected fault"}``).
    body: bytes | None = None


class ReceiverSink(BackgroundServer):
    """Records what alert receivers send and answers like the real services would (an HTTP
    server in a daemon thread: see BackgroundServer for start(), stop(), ``with``, base_url)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        receivers = {PAGERDUTY_PATH: "pagerduty"} | {
            f"/{kind}/<path:rest>": kind for kind in KINDS if kind != "pagerduty"
        }
        routes = Map(
            [
                Rule(path, endpoint=partial(self._receive, kind), methods=["POST"])
                for path, kind in receivers.items()
            ]
        )
        super().__init__("receiver sink", host, port, routes)
        self.webhook_secret = webhook_secret
        self._lock = threading.Lock()
        self._faults: dict[str, deque[_Fault]] = {kind: deque() for kind in KINDS}
        self._received: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
        self._attempts: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
        self._chaos: list[tuple[float, _Fault]] = []
        self._chaos_rng = random.Random(0)
        self._refused: dict[str, tuple[frozenset[bytes], int]] = {}
        #: Bumped by clear(): a request still held from before records nothing afterwards.
        self._generation = 0
        #: The bot's messages as Slack keeps them, by (channel, ts): the latest text and blocks,
        #: and the replies in each thread.
        self._slack_messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._slack_ts = 0
        #: What expires (trigger ids, response URLs) counts by this clock.
        self._clock = clock
        #: Trigger ids of interactions (`new_trigger_id`): when issued, and whether a modal
        #: was opened with one already.
        self._triggers: dict[str, tuple[float, bool]] = {}
        #: Modals opened with views.open, in order: ``id``, ``trigger_id`` and ``view``.
        self._slack_views: list[dict[str, Any]] = []
        #: The response URLs handed out, by name: when, for which message, what was posted.
        self._responses: dict[str, dict[str, Any]] = {}
        self._response_log: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def url(self, kind: str, name: str = "hook") -> str:
        """The endpoint for ``kind``: PagerDuty's enqueue URL, else ``/<kind>/<name>``."""
        _check_kind(kind)
        if kind == "pagerduty":
            return self.base_url + PAGERDUTY_PATH
        return f"{self.base_url}/{kind}/{name}"

    @property
    def slack_api_url(self) -> str:
        """The Slack Web API base the sink plays (SLACK_API_URL for a bot secret)."""
        return self.base_url + SLACK_API_PATH

    def new_trigger_id(self) -> str:
        """A ``trigger_id`` as Slack hands one out with an interaction: views.open takes it
        once, within `TRIGGER_SECONDS`."""
        with self._lock:
            number = next(self._ids)
            trigger = f"{number}.{1795000000 + number}.{number:032x}"
            self._triggers[trigger] = (self._clock(), False)
        return trigger

    def slack_views(self) -> list[dict[str, Any]]:
        """The modals opened with views.open, in order: ``id`` (``V…``), ``trigger_id`` and
        ``view`` (as the caller sent it)."""
        with self._lock:
            return [dict(view) for view in self._slack_views]

    def slack_response_url(self, name: str, message: tuple[str, str] | None = None) -> str:
        """A ``response_url`` the sink plays (`SLACK_RESPONSE_PATH`): it takes
        `RESPONSE_URL_USES` messages for `RESPONSE_URL_SECONDS`, records them, and one with
        ``replace_original`` (or ``delete_original``) changes ``message`` (channel, ts), the
        message whose button was clicked."""
        if not name or "/" in name:
            raise ValueError("a response URL's name is one path segment")
        with self._lock:
            self._responses[name] = {"issued": self._clock(), "message": message, "posts": []}
        return self.base_url + SLACK_RESPONSE_PATH + name

    @property
    def slack_response_url_prefix(self) -> str:
        """What every response URL of the sink starts with (the reaction's
        SLACK_RESPONSE_URL_PREFIX in the sandbox)."""
        return self.base_url + SLACK_RESPONSE_PATH

    def slack_responses(self, name: str | None = None) -> list[dict[str, Any]]:
        """What was posted to the response URL ``name``, in order (each body as sent); without
        a name, every post to any of them, in order, as ``path`` and ``body``."""
        with self._lock:
            if name is None:
                return [dict(post) for post in self._response_log]
            found = self._responses.get(name)
            return list(found["posts"]) if found else []

    def slack_messages(self) -> dict[tuple[str, str], dict[str, Any]]:
        """The bot's messages by (channel, ts): ``text``, ``blocks``, ``edits`` (how many
        times chat.update changed it) and ``replies`` (texts posted in its thread)."""
        with self._lock:
            return {key: dict(value) for key, value in self._slack_messages.items()}

    def received(self, kind: str) -> list[dict[str, Any]]:
        """Requests of ``kind`` that were accepted (2xx): path, headers, body, status."""
        _check_kind(kind)
        with self._lock:
            return list(self._received[kind])

    def attempts(self, kind: str) -> list[dict[str, Any]]:
        """Every request of ``kind``, faulted and rejected ones too (status None: no answer)."""
        _check_kind(kind)
        with self._lock:
            return list(self._attempts[kind])

    def clear(self, *, workspace: bool = True) -> None:
        """Forget recorded requests, pending faults and chaos; and, unless ``workspace`` is
        False, what Slack keeps (the bot's messages, trigger ids, modals, response URLs: a
        demo that shows each round's requests still clicks the messages of earlier ones)."""
        with self._lock:
            self._generation += 1
            self._chaos = []
            if workspace:
                self._slack_messages = {}
                self._triggers = {}
                self._slack_views = []
                self._responses = {}
                self._response_log = []
            for kind in KINDS:
                self._received[kind].clear()
                self._attempts[kind].clear()
                self._faults[kind].clear()
            self._refused.clear()

    def refuse(self, kind: str, markers: Iterable[str], status: int = 503) -> None:
        """Answer ``status`` to every request of ``kind`` whose body holds one of ``markers``
        (a task id, say) until ``refuse(kind, [])``: an outage that hits some alerts only."""
        _check_kind(kind)
        encoded = frozenset(marker.encode() for marker in markers)
        with self._lock:
            if encoded:
                self._refused[kind] = (encoded, status)
            else:
                self._refused.pop(kind, None)

    def fail(
        self,
        kind: str,
        status: int = 503,
        *,
        reset: bool = False,
        times: int = 1,
        retry_after: float | None = None,
        body: bytes | None = None,
    ) -> None:
        """Answer the next ``times`` requests of ``kind`` with ``status`` (or a TCP reset),
        with a ``Retry-After`` header when given (429s carry ``0`` otherwise), and ``body``
        as the answer when given (any bytes: a receiver's answer is outside text)."""
        _check_kind(kind)
        with self._lock:
            self._faults[kind].append(
                _Fault(
                    remaining=times,
                    status=status,
                    reset=reset,
                    retry_after=retry_after,
                    body=body,
                )
            )

    def hang(self, kind: str, seconds: float, *, times: int = 1) -> None:
        """Hold the next ``times`` requests of ``kind`` for ``seconds``, then drop them
        unanswered and unprocessed: a receiver that never answers."""
        _check_kind(kind)
        with self._lock:
            self._faults[kind].append(_Fault(remaining=times, delay_seconds=seconds, hang=True))

    def delay(self, kind: str, seconds: float, *, times: int = 1) -> None:
        """Hold the next ``times`` requests of ``kind`` for ``seconds``, then serve them."""
        _check_kind(kind)
        with self._lock:
            self._faults[kind].append(_Fault(remaining=times, delay_seconds=seconds))

    def set_chaos(self, rates: dict[str, float], seed: int, *, hang_seconds: float = 0.5) -> None:
        """Fail requests of every kind at random, seeded; ``set_chaos({}, 0)`` stops it.

        Rates per fault: "429", "5xx" (503), "reset" (connection reset) and "timeout" (held
        for ``hang_seconds``, then dropped unprocessed, so the client times out and retries).
        """
        unknown = set(rates) - {"429", "5xx", "reset", "timeout"}
        if unknown or sum(rates.values()) > 1:
            raise ValueError(f"chaos rates: unknown {sorted(unknown)} or sum above 1")
        faults = {
            "429": _Fault(remaining=1, status=429),
            "5xx": _Fault(remaining=1, status=503),
            "reset": _Fault(remaining=1, reset=True),
            "timeout": _Fault(remaining=1, delay_seconds=hang_seconds, hang=True),
        }
        thresholds, total = [], 0.0
        for name in sorted(rates):
            total += rates[name]
            thresholds.append((total, faults[name]))
        with self._lock:
            self._chaos = thresholds
            self._chaos_rng = random.Random(seed)

    def _next_fault(self, kind: str) -> _Fault | None:
        with self._lock:
            queue = self._faults[kind]
            if not queue:
                if not self._chaos:
                    return None
                draw = self._chaos_rng.random()
                return next((fault for limit, fault in self._chaos if draw < limit), None)
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.popleft()
            return fault

    def _record(self, kind: str, request: dict[str, Any], status: int | None) -> None:
        entry = {**request, "status": status}
        with self._lock:
            if request["generation"] != self._generation:
                return  # held since before clear(): it belongs to an earlier test
            self._attempts[kind].append(entry)
            if status is not None and 200 <= status < 300:
                self._received[kind].append(entry)

    def _receive(self, kind: str, request: Request) -> Response | None:
        raw = request.get_data()
        received = {
            "arrived": time.monotonic(),  # when it reached the sink, before any injected delay
            "path": raw_path(request),
            "headers": header_values(request),
            "body": json_or_none(raw),
        }
        return self._handle(kind, received, raw)

    def _handle(self, kind: str, request: dict[str, Any], raw: bytes) -> Response | None:
        """The answer for one request, or None to reset the connection."""
        with self._lock:
            request["generation"] = self._generation
            markers, refused_status = self._refused.get(kind, (frozenset(), 503))
        if any(marker in raw for marker in markers):
            self._record(kind, request, refused_status)
            return json_answer(refused_status, {"message": "refused (outage)"})
        fault = self._next_fault(kind)
        if fault is not None and fault.delay_seconds is not None:
            if self.stopping.wait(fault.delay_seconds) or fault.hang:
                self._record(kind, request, None)
                return None
        elif fault is not None:
            if fault.reset:
                self._record(kind, request, None)
                return None
            status = fault.status or 503
            headers = {}
            if fault.retry_after is not None:
                headers = {"Retry-After": f"{fault.retry_after:g}"}
            elif status == 429:
                headers = {"Retry-After": "0"}
            self._record(kind, request, status)
            if fault.body is None:
                return json_answer(status, {"message": "injected fault"}, headers)
            return answer(status, fault.body, headers=headers)
        served = self._serve(kind, request, raw)
        self._record(kind, request, served.status_code)
        return served

    def _serve(self, kind: str, request: dict[str, Any], raw: bytes) -> Response:
        body = request["body"]
        if kind == "pagerduty":
            return _pagerduty(body)
        if kind == "slack" and request["path"].startswith(SLACK_API_PATH + "/"):
            return self._slack_api(request["path"][len(SLACK_API_PATH) + 1 :], request)
        if kind == "slack" and request["path"].startswith(SLACK_RESPONSE_PATH):
            return self._slack_response(request["path"][len(SLACK_RESPONSE_PATH) :], body)
        if kind == "slack":
            return _slack(body)
        if kind == "teams":
            return _teams(body)
        if kind != "webhook":
            return json_answer(RECEIVERS[kind].success[0], {"ok": True})
        headers = request["headers"]
        valid = verify_signature(
            self.webhook_secret,
            headers.get(TIMESTAMP_HEADER.lower(), ""),
            raw,
            headers.get(SIGNATURE_HEADER.lower(), ""),
            now=time.time(),
        )
        if not valid:
            return json_answer(401, {"error": "invalid signature"})
        return json_answer(200, {"ok": True})

    def _slack_api(self, method: str, request: dict[str, Any]) -> Response:
        """Slack's Web API as documented: HTTP 200 with ``ok`` and, on error, ``error``."""
        body = request["body"]
        if request["headers"].get("authorization") != f"Bearer {SLACK_BOT_TOKEN}":
            return json_answer(200, {"ok": False, "error": "invalid_auth"})
        if method == "views.open":
            return self._views_open(body)
        if not isinstance(body, dict) or not isinstance(body.get("channel"), str):
            return json_answer(200, {"ok": False, "error": "channel_not_found"})
        if not (body.get("text") or body.get("blocks")):
            return json_answer(200, {"ok": False, "error": "no_text"})
        if _slack(body).status_code != 200:
            return json_answer(200, {"ok": False, "error": "invalid_blocks"})
        channel = body["channel"]
        with self._lock:
            if method == "chat.postMessage":
                thread = body.get("thread_ts")
                if thread is not None:
                    parent = self._slack_messages.get((channel, thread))
                    if parent is None:
                        return json_answer(200, {"ok": False, "error": "thread_not_found"})
                    parent["replies"] = [*parent["replies"], body.get("text", "")]
                self._slack_ts += 1
                ts = f"1795000000.{self._slack_ts:06d}"
                if thread is None:
                    self._slack_messages[(channel, ts)] = {
                        "text": body.get("text", ""),
                        "blocks": body.get("blocks", []),
                        "edits": 0,
                        "replies": [],
                    }
                return json_answer(200, {"ok": True, "channel": channel, "ts": ts})
            if method == "chat.update":
                message = self._slack_messages.get((channel, str(body.get("ts"))))
                if message is None:
                    return json_answer(200, {"ok": False, "error": "message_not_found"})
                message.update(
                    text=body.get("text", ""),
                    blocks=body.get("blocks", []),
                    edits=message["edits"] + 1,
                )
                return json_answer(200, {"ok": True, "channel": channel, "ts": body["ts"]})
        return json_answer(200, {"ok": False, "error": "unknown_method"})

    def _views_open(self, body: Any) -> Response:
        """views.open: a modal for a trigger id the sink handed out, once, within 3 seconds
        (Slack's errors otherwise); the answer holds the view with its new id."""
        if not isinstance(body, dict) or not isinstance(body.get("trigger_id"), str):
            return json_answer(200, {"ok": False, "error": "invalid_arguments"})
        view = body.get("view")
        if isinstance(view, str):  # the Web API takes the view as a JSON string too
            view = json_or_none(view.encode())
        if not isinstance(view, dict) or view.get("type") != "modal":
            return json_answer(200, {"ok": False, "error": "invalid_arguments"})
        if (
            not isinstance(view.get("title"), dict)
            or not isinstance(view.get("blocks"), list)
            or len(view["blocks"]) > SLACK_MAX_BLOCKS
            or len(str(view.get("private_metadata", ""))) > SLACK_PRIVATE_METADATA_LIMIT
        ):
            return json_answer(200, {"ok": False, "error": "invalid_arguments"})
        trigger = body["trigger_id"]
        with self._lock:
            issued = self._triggers.get(trigger)
            if issued is None:
                return json_answer(200, {"ok": False, "error": "invalid_trigger_id"})
            at, used = issued
            if used:
                return json_answer(200, {"ok": False, "error": "exchanged_trigger_id"})
            if self._clock() - at > TRIGGER_SECONDS:
                return json_answer(200, {"ok": False, "error": "expired_trigger_id"})
            self._triggers[trigger] = (at, True)
            view_id = f"V{next(self._ids):010d}"
            self._slack_views.append({"id": view_id, "trigger_id": trigger, "view": view})
        opened = {**view, "id": view_id, "state": {"values": {}}, "hash": f"{view_id}.hash"}
        return json_answer(200, {"ok": True, "view": opened})

    def _slack_response(self, name: str, body: Any) -> Response:
        """A post to a response URL: recorded; ``replace_original`` edits the message whose
        button was clicked, ``delete_original`` removes it."""
        if not isinstance(body, dict) or not (
            body.get("text") or body.get("blocks") or body.get("delete_original")
        ):
            return json_answer(400, {"ok": False, "error": "no_text"})
        if body.get("response_type", "ephemeral") not in ("in_channel", "ephemeral"):
            return json_answer(400, {"ok": False, "error": "invalid_payload"})
        with self._lock:
            found = self._responses.get(name)
            if found is None or self._clock() - found["issued"] > RESPONSE_URL_SECONDS:
                return json_answer(404, {"ok": False, "error": "expired_url"})
            if len(found["posts"]) >= RESPONSE_URL_USES:
                return json_answer(404, {"ok": False, "error": "used_url"})
            found["posts"].append(body)
            self._response_log.append({"path": SLACK_RESPONSE_PATH + name, "body": body})
            message = found["message"]
            if message is not None and message in self._slack_messages:
                if body.get("delete_original"):
                    del self._slack_messages[message]
                elif body.get("replace_original"):
                    original = self._slack_messages[message]
                    original.update(
                        text=body.get("text", ""),
                        blocks=body.get("blocks", []),
                        edits=original["edits"] + 1,
                    )
        return json_answer(200, {"ok": True})


def _pagerduty(body: Any) -> Response:
    problems = _pagerduty_problems(body)
    if problems:
        invalid = {"status": "invalid event", "message": "Event object is invalid"}
        return json_answer(400, {**invalid, "errors": problems})
    dedup_key = body.get("dedup_key") or f"sink-{time.monotonic_ns()}"
    return json_answer(
        202, {"status": "success", "message": "Event processed", "dedup_key": dedup_key}
    )


def _pagerduty_problems(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return ["body must be a JSON object"]
    problems = []
    if not isinstance(body.get("routing_key"), str) or not body["routing_key"]:
        problems.append("'routing_key' is missing")
    if body.get("event_action") not in {"trigger", "acknowledge", "resolve"}:
        problems.append("'event_action' is missing or invalid")
    if body.get("event_action") == "trigger":
        payload = body.get("payload")
        if not isinstance(payload, dict):
            return [*problems, "'payload' is missing"]
        summary = payload.get("summary")
        if not isinstance(summary, str) or not summary:
            problems.append("'payload.summary' is missing")
        elif len(summary) > PAGERDUTY_SUMMARY_LIMIT:
            problems.append("'payload.summary' is longer than 1024 characters")
        if not payload.get("source"):
            problems.append("'payload.source' is missing")
        if payload.get("severity") not in PAGERDUTY_SEVERITIES:
            problems.append("'payload.severity' is missing or invalid")
    return problems


def _slack(body: Any) -> Response:
    if not isinstance(body, dict) or not (body.get("text") or body.get("blocks")):
        return _plain(400, "no_text")
    blocks = body.get("blocks") or []
    if not isinstance(blocks, list) or len(blocks) > SLACK_MAX_BLOCKS:
        return _plain(400, "invalid_blocks")
    for block in blocks:
        if not isinstance(block, dict):
            return _plain(400, "invalid_blocks")
        text = block.get("text")
        content = text.get("text") if isinstance(text, dict) else None
        limit = SLACK_HEADER_LIMIT if block.get("type") == "header" else SLACK_SECTION_LIMIT
        if isinstance(content, str) and len(content) > limit:
            return _plain(400, "invalid_blocks")
    return _plain(200, "ok")


def _teams(body: Any) -> Response:
    if (
        not isinstance(body, dict)
        or body.get("type") != "message"
        or not isinstance(body.get("attachments"), list)
    ):
        return json_answer(400, {"error": {"code": "InvalidRequest", "message": "Invalid message"}})
    return answer(202, b"")


def _plain(status: int, text: str) -> Response:
    return answer(status, text.encode(), content_type="text/html")


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown receiver kind {kind!r}; one of {', '.join(KINDS)}")


def main(argv: list[str] | None = None) -> None:
    """Run the sink in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8788, help="port (default 8788)")
    parser.add_argument(
        "--webhook-secret",
        default=DEFAULT_WEBHOOK_SECRET,
        help="secret the /webhook/ route verifies X-Signature with",
    )
    args = parser.parse_args(argv)
    with ReceiverSink(args.host, args.port, webhook_secret=args.webhook_secret) as sink:
        print(f"Receiver sink on {sink.base_url}:")
        for kind in KINDS:
            print(f"  {kind:<9} {sink.url(kind)}")
        print("Ctrl-C to stop.", flush=True)
        wait_for_stop_signal()
        print("stopped")


if __name__ == "__main__":
    main()
