"""What an operator's request to the reaction's function URL cannot do, through the function
URL in the sandbox (signed as the CLI signs): a body nested too deeply for the JSON parser is a
refused request (400), not a crash; a refusal never repeats what the request said (an action,
a key's name, a detail's key), which may hold an address or control characters; and a Buy with
Prime API that is busy for now is said as such (503, send it again), recorded as a failure,
and the same request succeeds once it answers again."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from bwp_privacy.audit import AuditTrail
from bwp_privacy.bwp_api import TransientApiError
from bwp_privacy.reaction.operator_endpoint import MAX_BODY
from bwp_privacy_cli.operator_client import OperatorRequestRefused
from bwp_sandbox.admin import ADMIN_CREDENTIALS, admin_client
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.timeline import Timeline
from tests.integration.reaction_helpers import BP, case, failed_task, open_case

pytestmark = pytest.mark.integration

VICTIM = "bob.victim@shop.test"
#: What of the hostile input must be found nowhere in an answer: the address's parts and
#: every control or bidirectional character it carried.
CANARIES = ("bob.victim", "shop.test", "victim", "\u202e", "\x1b", "\n")


def signed_post(sandbox: Sandbox, body: bytes) -> requests.Response:
    """``body`` POSTed to the reaction's function URL as it is (no JSON of ours around it),
    signed with the sandbox's credentials as botocore signs."""
    url = sandbox.target().operator_url
    assert url is not None
    credentials = Credentials(
        ADMIN_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        ADMIN_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        ADMIN_CREDENTIALS["AWS_SESSION_TOKEN"],
    )
    request = AWSRequest(
        method="POST", url=url, data=body, headers={"Content-Type": "application/json"}
    )
    SigV4Auth(credentials, "lambda", "us-east-1").add_auth(request)
    return requests.post(url, data=body, headers=dict(request.headers), timeout=60)


def refusal(sandbox: Sandbox, request: Any) -> tuple[int, str]:
    """The status and the reason of a request the reaction refuses; the reason, and the answer
    as sent, hold none of the `CANARIES` (JSON would escape a control character: both are
    read)."""
    answer = signed_post(sandbox, json.dumps(request).encode())
    assert answer.status_code != 200, answer.text
    error = answer.json()["error"]
    assert isinstance(error, str)
    for shown in (answer.text, error):
        leaked = [canary for canary in CANARIES if canary in shown]
        assert leaked == [], (leaked, shown)
    return answer.status_code, error


def trail(sandbox: Sandbox, subject: str) -> list[Any]:
    return AuditTrail(admin_client("dynamodb"), sandbox.stack.audit_table_name).entries(subject)


@pytest.mark.parametrize(
    "body",
    [b"[" * 5000, b'{"action": ' + b"[" * 5000, b'{"detail": ' + b'{"a": ' * 2500 + b"1"],
    ids=["arrays", "in-an-object", "objects"],
)
def test_a_body_nested_too_deeply_is_a_refused_request(sandbox: Sandbox, body: bytes) -> None:
    # Within the size the function takes: the parser's recursion, not the size, refuses it.
    assert len(body) <= MAX_BODY
    answer = signed_post(sandbox, body)
    assert answer.status_code == 400, answer.text
    assert answer.json() == {"error": "request: JSON nested too deeply to be an operator's request"}


def test_a_refused_action_names_the_allowed_ones_and_never_the_one_given(
    sandbox: Sandbox,
) -> None:
    status, error = refusal(sandbox, {"action": f"\u202eclose {VICTIM}\x1b[2J\n"})
    assert status == 400
    assert error == (
        "invalid request: request: 'action' should be one of 'resubmit', 'close', 'extend',"
        " 'set-received', 'appeal', 'link', 'task-cancel', 'record', 'redrive',"
        " 'inbound-redrive', 'silence-add', 'silence-expire'"
    )
    # A non-string tag too is never quoted.
    status, _ = refusal(sandbox, {"action": {"who": VICTIM}})
    assert status == 400


def test_an_unknown_key_or_a_details_key_is_never_repeated(sandbox: Sandbox) -> None:
    status, error = refusal(
        sandbox,
        {
            "action": "close",
            "caseId": "c-1",
            "reason": "r",
            "closedAs": "cancelled",
            VICTIM: "x",
            f"note\u202e{VICTIM}": "x",
        },
    )
    assert status == 400
    assert error == (
        "invalid request: close.<key>: Extra inputs are not permitted;"
        " close.<key>: Extra inputs are not permitted"
    )
    status, error = refusal(
        sandbox,
        {
            "action": "record",
            "subject": "export",
            "name": "cases export",
            "input": "",
            "outcome": "done",
            "detail": {VICTIM: "x" * 2000, "fine": "ok"},
        },
    )
    assert status == 400
    assert error == (
        "invalid request: record.detail.<key>.[key]: String should match pattern"
        " '^[A-Za-z][A-Za-z0-9_]*$'; record.detail.<key>: String should have at most 1000"
        " characters"
    )
    # A plain name is the request's own, and naming it is what makes it findable.
    status, error = refusal(
        sandbox,
        {"action": "close", "caseId": "c-1", "reason": "r", "closedAs": "cancelled", "actor": 1},
    )
    assert status == 400
    assert error == ("invalid request: close.actor: Extra inputs are not permitted")


def test_a_busy_api_during_a_task_cancel_answers_503_and_is_recorded_as_failed(
    sandbox: Sandbox,
) -> None:
    sandbox.emulator.add_task(BP, {"taskId": "hold-busy", "status": "ON_HOLD"})
    request = {"action": "task-cancel", "taskId": "hold-busy", "businessProductId": BP}
    # Every attempt the reaction's client makes (BWP_MAX_ATTEMPTS, 5 by default) is throttled.
    sandbox.emulator.inject("throttle", times=5)
    with pytest.raises(OperatorRequestRefused) as refused:
        sandbox.operate(request)
    assert refused.value.status == 503
    assert str(refused.value) == (
        "the Buy with Prime API was busy or out of reach (ThrottlingError): nothing needs"
        " changing; send the same request again in a moment"
    )
    [entry] = trail(sandbox, "task:hold-busy")
    assert (entry.action, entry.outcome) == ("task cancel", "failed: ThrottlingError")

    # The API answers again: the same request does what it asked.
    assert sandbox.operate(request)["outcome"] == "cancelled"
    assert [e.outcome for e in trail(sandbox, "task:hold-busy")] == [
        "failed: ThrottlingError",
        "cancelled",
    ]


def test_a_busy_api_during_a_resubmit_answers_503_and_the_retry_resubmits(
    sandbox: Sandbox,
) -> None:
    failed_task(sandbox, "op-busy", "ORDERS_NOT_CLOSED", email=VICTIM, orders_open_days=30)
    open_case(sandbox, Timeline(sandbox), "op-busy")
    request = {"action": "resubmit", "caseId": "op-busy"}
    sandbox.emulator.inject("throttle", times=5)
    with pytest.raises(OperatorRequestRefused) as refused:
        sandbox.operate(request)
    assert refused.value.status == 503
    assert "send the same request again" in str(refused.value)
    assert case(sandbox, "op-busy").state.value == "WAITING"
    entry = trail(sandbox, "case:op-busy")[-1]
    assert (entry.action, entry.outcome) == ("cases resubmit", "failed: ThrottlingError")

    answer = sandbox.operate(request)
    assert (answer["outcome"], answer["state"]) == ("moved", "RESUBMITTED")
    assert case(sandbox, "op-busy").state.value == "RESUBMITTED"


def test_a_busy_api_passes_its_retry_after_on(sandbox: Sandbox) -> None:
    """An API answering 429 says when to come back: the operator is told the same."""
    sandbox.emulator.add_task(BP, {"taskId": "hold-429", "status": "ON_HOLD"})
    sandbox.emulator.inject("http_status", status=429, times=5)
    answer = signed_post(
        sandbox,
        json.dumps(
            {"action": "task-cancel", "taskId": "hold-429", "businessProductId": BP}
        ).encode(),
    )
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"] == "1"  # the emulator's own hint
    assert TransientApiError.classification in answer.json()["error"]
