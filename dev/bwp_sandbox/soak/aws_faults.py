"""Faults in the AWS calls of the code under test, injected below boto3 (seeded).

botocore sends every request through ``URLLib3Session.send``: the soak wraps it to answer
some requests itself (throttling, server errors) before they reach moto, and to crash the
"process" at chosen points. Product code is untouched: it sees what it would see from AWS.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.httpsession import URLLib3Session

from bwp_privacy_cli.local import ProcessCrash

#: The Lambda process dies here: nothing after runs, no `except Exception` catches it.
SimulatedCrash = ProcessCrash


@dataclass
class AwsFaultPlan:
    """Rates per fault; ``counts`` tells how many were injected."""

    seed: int
    dynamodb_throttle: float = 0.03
    sns_error: float = 0.03
    crash_before_publish: float = 0.01
    crash_between_receivers: float = 0.02
    failures_topic_arn: str = ""
    alert_bus_name: str = ""
    counts: Counter[str] = field(default_factory=Counter)
    enabled: bool = True

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def draw(self, rate: float, name: str) -> bool:
        if not self.enabled or rate <= 0:
            return False
        with self._lock:
            hit = self._rng.random() < rate
            if hit:
                self.counts[name] += 1
        return hit


def _operation(request: Any) -> tuple[str, str]:
    """(service hint, operation) of a botocore request."""
    target = request.headers.get("X-Amz-Target", b"")
    target = target.decode() if isinstance(target, bytes) else str(target)
    body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
    if target.startswith("DynamoDB_"):
        return "dynamodb", target.split(".", 1)[1]
    if target.startswith("AWSEvents."):
        return "events", target.split(".", 1)[1]
    if b"Action=Publish" in body:
        return "sns", "Publish"
    return "", ""


def _json_error(status: int, code: str, message: str) -> AWSResponse:
    payload = json.dumps({"__type": code, "message": message}).encode()
    return AWSResponse(
        "http://fault", status, {"Content-Type": "application/x-amz-json-1.0"}, _Raw(payload)
    )


def _xml_error(status: int, code: str) -> AWSResponse:
    payload = (
        f"<ErrorResponse><Error><Type>Receiver</Type><Code>{code}</Code>"
        f"<Message>injected</Message></Error><RequestId>soak</RequestId></ErrorResponse>"
    ).encode()
    return AWSResponse("http://fault", status, {"Content-Type": "text/xml"}, _Raw(payload))


class _Raw:
    def __init__(self, payload: bytes) -> None:
        self._payload = payload

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._payload

    def read(self, *_: Any) -> bytes:
        return self._payload


@contextmanager
def injected(plan: AwsFaultPlan) -> Iterator[AwsFaultPlan]:
    """Wrap botocore's HTTP send for the duration of the block."""
    original = URLLib3Session.send

    def send(self: URLLib3Session, request: Any) -> Any:
        service, operation = _operation(request)
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
        writes = service == "dynamodb" and operation in ("PutItem", "UpdateItem", "DeleteItem")
        if writes and plan.draw(plan.dynamodb_throttle, "dynamodb-throttle"):
            return _json_error(400, "ThrottlingException", "Rate exceeded (injected)")
        if service == "sns" and plan.failures_topic_arn.encode().replace(b":", b"%3A") in body:
            if plan.draw(plan.crash_before_publish, "crash-between-claim-and-publish"):
                # The claim stays behind until its lease ends: then a retry takes the event.
                raise SimulatedCrash("killed between claim and publish")
            if plan.draw(plan.sns_error, "sns-publish-error"):
                return _xml_error(500, "InternalError")
        alert_bus = service == "events" and plan.alert_bus_name.encode() in body
        if alert_bus and plan.draw(plan.crash_between_receivers, "crash-between-receivers"):
            raise SimulatedCrash("killed between two receivers")
        return original(self, request)

    URLLib3Session.send = send
    try:
        yield plan
    finally:
        URLLib3Session.send = original
