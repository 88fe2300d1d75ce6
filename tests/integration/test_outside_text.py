"""Hostile text from the API and the partner bus, through the real handlers in the sandbox
(issue 23): what the API answers for codes, status, dates and refusals, and what an event
carries, is held at its one boundary, so that none of it reaches a message, an attribute, an
item, a metric, a log line, a case, the audit trail or an alert as it came; and no such text
stalls a case or makes two cases share a schedule."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import boto3
import pytest
import requests
from pydantic import SecretStr

from bwp_privacy.alerting.delivery import DeliveryError, JsonPoster
from bwp_privacy.alerting.receivers.slack import SlackBotReceiver
from bwp_privacy.bwp_api import (
    AccessToken,
    BwpClient,
    TokenProvider,
    TransientApiError,
    request_access_token,
)
from bwp_privacy.bwp_api.credentials import ClientCredentials
from bwp_privacy.cases import CaseState, client_token, schedule_name
from bwp_privacy.common import Backoff
from bwp_privacy.recorder import InvalidEventError
from bwp_privacy_cli.local import LocalFunction, LocalLambdaContext
from bwp_sandbox.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, BwpEmulator
from bwp_sandbox.event_source import SqsEventSource
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.sink import SLACK_BOT_TOKEN, ReceiverSink
from bwp_sandbox.stack import drain_queue, queue_depth
from bwp_sandbox.timeline import Timeline
from tests.conftest import load_event
from tests.integration.helpers import published, stored_items
from tests.integration.reaction_helpers import BP, case, failed_task, open_case, schedules
from tests.integration.test_receivers import GROUP, NO_LIMIT, make_alert

pytestmark = pytest.mark.integration

VICTIM = "victim.person@victim-mail.test"
#: What of the hostile text must be found nowhere: the address's parts, the control sequence's
#: visible rest, an injected header line, a refusal's own words.
CANARIES = ("victim.person", "victim-mail", "[2J", "X-Injected", "ECHOED-REFUSAL")
#: A control character, raw or as JSON writes one.
CONTROLS = ("\x1b", "\\u001b", "\x00", "\\u0000", "\u2028", "\\u2028")


def _event(task_id: str, event_id: str) -> dict[str, Any]:
    event = load_event()
    event["id"] = event_id
    event["resources"] = [f"businessProduct/{BP}/personalDataDeletionTask/{task_id}"]
    return event


def _leaks(surfaces: dict[str, str], needles: tuple[str, ...]) -> list[tuple[str, str]]:
    return [
        (name, needle) for name, text in surfaces.items() for needle in needles if needle in text
    ]


def test_codes_status_and_dates_from_the_api_are_held_to_their_grammar_everywhere(
    app: LocalFunction,
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="recorder")
    sandbox.emulator.add_task(
        BP,
        {
            "taskId": "t-hostile",
            "status": f"FAILED\n{VICTIM}",
            "submissionDate": f"2026-10-02T09:12:44Z {VICTIM}",
            "lastUpdatedDate": f"\x1b[2J{VICTIM}\x00",
            "errors": [
                {"code": f"NO_ACCOUNT_{VICTIM}", "message": f"no account for {VICTIM}\x1b"},
                {"code": "ORDERS_NOT_CLOSED\r\nX-Injected: 1", "message": "open orders"},
                {"code": "ORDERS_NOT_CLOSED\u2028", "message": "open orders"},
                {"code": "ORDERS_NOT_CLOSED", "message": "open orders"},
            ],
        },
    )
    result = app.handler(_event("t-hostile", "e-hostile"), LocalLambdaContext())
    # A failed lookup, whose error's code and message are the API's too.
    sandbox.emulator.inject(
        "validation_error", code=f"Bad\x1b[2J{VICTIM}", message=f"refused {VICTIM}\x00"
    )
    refused = app.handler(_event("t-refused", "e-refused"), LocalLambdaContext())

    messages = published(sandbox.stack)
    items = stored_items(sandbox.stack)
    captured = capsys.readouterr()
    surfaces = {
        "handler answers": json.dumps([result, refused]),
        "SNS messages": json.dumps([m["body"] for m in messages]),
        "SNS attributes": json.dumps([m["attributes"] for m in messages]),
        "failures items": json.dumps(items, default=str),
        "stdout (logs, EMF)": captured.out,
        "stderr": captured.err,
        "log records": caplog.text,
    }
    assert _leaks(surfaces, CANARIES + CONTROLS) == []

    # What is kept instead: fixed markers, never a part of the API's text.
    by_task = {m["body"]["taskId"]: m for m in messages}
    hostile, lookup = by_task["t-hostile"], by_task["t-refused"]
    assert json.loads(hostile["attributes"]["errorCode"]) == [
        "UNRECOGNISED_CODE",
        "ORDERS_NOT_CLOSED",
    ]
    assert hostile["body"]["status"] == "UNRECOGNISED_STATUS"
    assert hostile["body"]["submissionDate"] is None
    assert hostile["body"]["lastUpdatedDate"] is None
    assert hostile["body"]["errors"][0]["message"] == "no account for <email redacted>"
    assert lookup["body"]["lookup"]["errorType"] == "ValidationError"
    assert lookup["body"]["lookup"]["errorCode"] == "UNRECOGNISED_CODE"
    assert lookup["body"]["lookup"]["message"] == "refused <email redacted>"
    emf = [json.loads(line) for line in captured.out.splitlines() if '"_aws"' in line]
    dimensions = {line.get("errorCode") for line in emf} - {None}
    assert dimensions == {"UNRECOGNISED_CODE", "ORDERS_NOT_CLOSED", "NONE"}


def test_an_invalid_events_error_quotes_it_masked_on_one_line(
    app: LocalFunction, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    event = load_event()
    event["resources"] = [f"businessProduct/{BP}/personalDataDeletionTask/{VICTIM}\x1b[2J\x00"]
    with pytest.raises(InvalidEventError) as caught:
        app.handler(event, LocalLambdaContext())
    said = str(caught.value)
    assert "<email redacted>" in said
    surfaces = {"error": said, "stdout (logs)": capsys.readouterr().out}
    assert _leaks(surfaces, ("victim.person", "victim-mail", *CONTROLS)) == []
    assert sandbox.emulator.requests_log == []


SHOPPER = "echo.shopper@victim-mail.test"
#: A refusal that quotes the email it was sent, plainly and as the API might echo it.
ECHO = (
    f"dataSubject.email {SHOPPER} is not allowed (also written echo.shopper&#64;victim-mail.test"
    ' and "echo shopper"@victim-mail.test): ECHOED-REFUSAL'
)


def test_a_refused_start_that_echoes_the_email_keeps_only_its_classification(
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="reaction")
    timeline = Timeline(sandbox, quiet_logs=False)
    failed_task(sandbox, "t-echo", "ORDERS_NOT_CLOSED", email=SHOPPER, orders_open_days=30)
    open_case(sandbox, timeline, "t-echo")
    # Attempt 1 reads the email (its request served as usual: a fault that waits no time), then
    # the start mutation is refused with a message that quotes it.
    sandbox.emulator.inject("slow", seconds=0)
    sandbox.emulator.inject("validation_error", code="InvalidEmail", message=ECHO)
    timeline.advance(7)

    escalated = case(sandbox, "t-echo")
    assert escalated.state is CaseState.ESCALATED
    assert escalated.reason == (
        "attempt 1 could not start: the start mutation was refused "
        "(ValidationError, code InvalidEmail)"
    )
    notices = [json.loads(m["Body"]) for m in drain_queue(sandbox.stack.tap_queue_url)]
    escalations = [n for n in notices if n.get("schema") == "bwp-privacy.case-notice"]
    assert [n["kind"] for n in escalations] == ["escalated"]
    # The email was read: the advice is about the refusal, not about supplying an email.
    assert escalations[0]["advice"].startswith("Buy with Prime refused to start the task")
    SqsEventSource(sandbox.stack.alert_queue_url, sandbox.router.cold_start()).drain()
    pages = sandbox.sink.received("pagerduty")
    assert any("escalated" in json.dumps(p["body"]) for p in pages)

    dynamodb = boto3.client("dynamodb")
    captured = capsys.readouterr()
    surfaces = {
        "cases table": json.dumps(dynamodb.scan(TableName=sandbox.stack.cases_table_name)),
        "audit trail": json.dumps(dynamodb.scan(TableName=sandbox.stack.audit_table_name)),
        "published notices": json.dumps(notices),
        "alerts": json.dumps(
            [
                r["body"]
                for kind in ("pagerduty", "slack", "teams", "webhook")
                for r in sandbox.sink.attempts(kind)
            ]
        ),
        "stdout (logs, EMF)": captured.out,
        "stderr": captured.err,
        "log records": caplog.text,
    }
    assert "could not start" in surfaces["audit trail"]  # the surfaces hold the refusal
    assert _leaks(surfaces, ("echo.shopper", "echo shopper", "victim-mail", "ECHOED")) == []


def test_a_case_with_the_longest_ids_and_messages_moves_as_it_should(sandbox: Sandbox) -> None:
    """Ids as long as the envelope allows (256), a failure message and a refusal of 4,000
    characters: the case opens, its attempt is scheduled, and the refusal escalates it; no
    input fails on every retry into a dead-letter queue."""
    timeline = Timeline(sandbox)
    task_id = "t-long-" + "x" * 249
    sandbox.emulator.set_shopper(BP, "long@example.com", orders_open_days=30)
    submitted = sandbox.emulator.now() - timedelta(days=10)
    sandbox.emulator.add_task(
        BP,
        {
            "taskId": task_id,
            "holdingPeriod": 0,
            "submissionDate": submitted.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "dataSubject": {"type": "SHOPPER", "email": "long@example.com"},
            "errors": [{"code": "ORDERS_NOT_CLOSED", "message": "open orders " * 334}],
        },
    )
    timeline.recorder.handler(_event(task_id, "e" * 256), LocalLambdaContext())
    timeline.settle()
    opened = case(sandbox, task_id)
    assert opened.state is CaseState.WAITING
    assert schedules(sandbox) == [schedule_name(task_id, 1)]

    sandbox.emulator.inject("slow", seconds=0)
    sandbox.emulator.inject("validation_error", message="refused " * 500)
    timeline.advance(7)
    escalated = case(sandbox, task_id)
    assert escalated.state is CaseState.ESCALATED
    for queue in (
        sandbox.stack.on_failure_queue_url,
        sandbox.stack.reaction_dlq_url,
        sandbox.stack.schedule_dlq_url,
    ):
        assert queue_depth(queue) == (0, 0)


def test_cases_whose_ids_differ_only_by_colon_and_underscore_each_get_their_attempt(
    sandbox: Sandbox,
) -> None:
    timeline = Timeline(sandbox)
    for task_id, email in (("t:1", "colon@example.com"), ("t_1", "underscore@example.com")):
        failed_task(sandbox, task_id, "ORDERS_NOT_CLOSED", email=email, orders_open_days=30)
        assert open_case(sandbox, timeline, task_id).state is CaseState.WAITING
    assert len(schedules(sandbox)) == 2

    timeline.advance(7)
    for task_id in ("t:1", "t_1"):
        moved = case(sandbox, task_id)
        # Its attempt ran: a task started (and failed again, the orders being still open).
        assert moved.attempts == 1, (task_id, [t.reason for t in moved.transitions])
        assert len(moved.tasks) == 2
    assert sandbox.emulator.start_calls() == {
        client_token("t:1", 1): 1,
        client_token("t_1", 1): 1,
    }


# ---- answers nested too deeply to read ----------------------------------------------------

#: An answer the JSON parser cannot read for its depth (it raises RecursionError, which is no
#: ValueError): from a broken or hostile server, over real HTTP (the sink answers it).
TOO_DEEP = b"[" * 5000
CREDENTIALS = ClientCredentials(
    client_id=DEFAULT_CLIENT_ID, client_secret=SecretStr(DEFAULT_CLIENT_SECRET)
)


def test_an_api_answer_too_deep_to_read_is_an_unreadable_answer(
    emulator: BwpEmulator, sink: ReceiverSink
) -> None:
    sink.clear()
    session = requests.Session()

    def token(timeout: float | None) -> AccessToken:
        return request_access_token(session, emulator.token_url, CREDENTIALS, timeout or 5.0)

    client = BwpClient(
        session,
        api_url=sink.url("webhook", "graphql"),
        api_version="2024-01-01",
        tokens=TokenProvider(token),
        timeout_seconds=5.0,
        backoff=Backoff(max_attempts=2, base_seconds=0.01, cap_seconds=0.01),
    )
    sink.fail("webhook", status=200, body=TOO_DEEP, times=2)
    with pytest.raises(TransientApiError) as caught:
        client.get_deletion_task(BP, "t-deep")
    assert caught.value.message == "API answered HTTP 200 without a JSON `data` object"
    assert len(sink.attempts("webhook")) == 2  # retried as any unreadable answer is


def test_a_token_answer_too_deep_to_read_is_an_answer_without_a_token(
    sink: ReceiverSink,
) -> None:
    sink.clear()
    sink.fail("webhook", status=200, body=TOO_DEEP)
    with pytest.raises(TransientApiError) as caught:
        request_access_token(requests.Session(), sink.url("webhook", "token"), CREDENTIALS, 5.0)
    assert caught.value.message == "token endpoint answered HTTP 200 without a token"


def test_a_slack_answer_too_deep_to_read_is_a_retryable_delivery_error(
    sink: ReceiverSink,
) -> None:
    sink.clear()
    poster = JsonPoster(
        timeout_seconds=2.0, backoff=Backoff(max_attempts=1, base_seconds=0.01, cap_seconds=0.01)
    )
    receiver = SlackBotReceiver(poster, sink.slack_api_url, SLACK_BOT_TOKEN, "C0123ABCD")
    sink.fail("slack", status=200, body=TOO_DEEP)
    with pytest.raises(DeliveryError) as caught:
        receiver.deliver([make_alert()], GROUP, budget=NO_LIMIT)
    assert caught.value.retryable is True
    assert caught.value.reason == "chat.postMessage: answer is not JSON"
