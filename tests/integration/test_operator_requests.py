"""Operators act through the reaction's function URL (AuthType AWS_IAM), and nobody can write
an audit entry in someone else's name, back-date it, or shorten its life: the actor is the
identity AWS authenticated the request with, the time and the retention are the function's,
a request that names any of them is refused, and an unsigned or badly signed request never
reaches the function."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from bwp_privacy.audit import AuditTrail
from bwp_privacy.common import EMAIL_MASK
from bwp_privacy_cli.operator_client import OperatorRequestRefused
from bwp_sandbox.admin import ADMIN_CREDENTIALS, admin_client
from bwp_sandbox.function_urls import operator_identity
from bwp_sandbox.iam import Check, Statement, decide
from bwp_sandbox.sandbox import REACTION, Sandbox
from bwp_sandbox.timeline import Timeline
from tests.integration.reaction_helpers import case, failed_task, open_case

pytestmark = pytest.mark.integration

EMAIL = "operator.request@example.com"


def trail(sandbox: Sandbox, subject: str) -> list[Any]:
    return AuditTrail(admin_client("dynamodb"), sandbox.stack.audit_table_name).entries(subject)


def signed_post(
    url: str,
    body: bytes,
    *,
    secret: str | None = None,
    when: datetime | None = None,
    region: str = "us-east-1",
    service: str = "lambda",
    token: str | None = ADMIN_CREDENTIALS["AWS_SESSION_TOKEN"],
    headers: Mapping[str, str] | None = None,
    sent: bytes | None = None,
) -> requests.Response:
    """A POST of ``body`` signed as botocore signs, with the sandbox's key, its secret (or
    another), at the time given (or now), for the region and service given, with the session
    token given (None: none) and any other ``headers`` signed with it; ``sent``: the body
    that is then sent instead of the one signed."""
    credentials = Credentials(
        ADMIN_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        secret or ADMIN_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        token,
    )
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    signer = SigV4Auth(credentials, service, region)
    if when is not None:
        # botocore signs with the current time; a request from the past is made by hand.
        stamp = when.strftime("%Y%m%dT%H%M%SZ")
        request.context["timestamp"] = stamp
        request.headers["X-Amz-Date"] = stamp
        if credentials.token is not None:
            request.headers["X-Amz-Security-Token"] = credentials.token
        canonical = signer.canonical_request(request)
        signature = signer.signature(signer.string_to_sign(request, canonical), request)
        scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
        request.headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, SignedHeaders="
            f"{signer.signed_headers(signer.headers_to_sign(request))}, Signature={signature}"
        )
    else:
        signer.add_auth(request)
    data = body if sent is None else sent
    return requests.post(url, data=data, headers=dict(request.headers), timeout=30)


@pytest.fixture
def escalated_case(sandbox: Sandbox) -> str:
    failed_task(sandbox, "op-close", "ORDERS_NOT_CLOSED", email=EMAIL, orders_open_days=30)
    open_case(sandbox, Timeline(sandbox), "op-close")
    return "op-close"


def test_the_actor_is_who_aws_authenticated_and_the_time_is_the_functions(
    sandbox: Sandbox, escalated_case: str
) -> None:
    before = datetime.now(UTC)
    answer = sandbox.operate(
        {
            "action": "close",
            "caseId": escalated_case,
            "reason": "withdrawn",
            "closedAs": "cancelled",
        }
    )
    after = datetime.now(UTC)
    assert answer == {
        "outcome": "moved",
        "actor": operator_identity().arn,
        "caseId": escalated_case,
        "state": "CLOSED",
        "taskId": None,
    }
    entry = trail(sandbox, f"case:{escalated_case}")[-1]
    assert (entry.action, entry.actor) == ("cases close", operator_identity().arn)
    assert before - timedelta(seconds=1) <= entry.at <= after + timedelta(seconds=1)
    # Kept the stack's retention after the case's end, whatever the request said.
    ended = case(sandbox, escalated_case).ended_at
    assert ended is not None
    expected = max(ended, entry.at) + timedelta(days=730)
    assert int(entry.expires_at.timestamp()) == int(expected.timestamp())  # kept in seconds
    assert case(sandbox, escalated_case).transitions[-1].actor == operator_identity().arn


@pytest.mark.parametrize(
    "forged",
    [
        {"actor": "arn:aws:iam::123456789012:user/someone-else"},
        {"at": "2020-01-01T00:00:00Z"},
        {"expiresAt": 0},
        {"retentionDays": 1},
    ],
    ids=["actor", "at", "expiresAt", "retention"],
)
def test_a_request_that_names_who_when_or_how_long_is_refused_and_does_nothing(
    sandbox: Sandbox, escalated_case: str, forged: dict[str, Any]
) -> None:
    before = len(trail(sandbox, f"case:{escalated_case}"))
    request = {
        "action": "close",
        "caseId": escalated_case,
        "reason": "forged",
        "closedAs": "cancelled",
        **forged,
    }
    with pytest.raises(OperatorRequestRefused) as refused:
        sandbox.operate(request)
    assert refused.value.status == 400
    assert "Extra inputs are not permitted" in str(refused.value)
    assert case(sandbox, escalated_case).state.value == "WAITING"
    assert len(trail(sandbox, f"case:{escalated_case}")) == before


def test_a_record_of_an_operators_work_may_not_be_about_a_case(sandbox: Sandbox) -> None:
    recorded = sandbox.operate(
        {
            "action": "record",
            "subject": "dlq:rule-dlq",
            "name": "dlq redrive",
            "input": "--max 5",
            "outcome": "2 redriven, 0 kept",
        }
    )
    assert recorded["outcome"] == "recorded"
    [entry] = trail(sandbox, "dlq:rule-dlq")
    assert (entry.actor, entry.outcome) == (operator_identity().arn, "2 redriven, 0 kept")
    with pytest.raises(OperatorRequestRefused) as refused:
        sandbox.operate(
            {
                "action": "record",
                "subject": "case:op-close",
                "name": "dlq redrive",
                "input": "",
                "outcome": "COMPLETED",
            }
        )
    assert refused.value.status == 400
    assert trail(sandbox, "case:op-close") == []


def test_an_unsigned_a_badly_signed_or_a_stale_request_never_reaches_the_function(
    sandbox: Sandbox, escalated_case: str
) -> None:
    url = sandbox.target().operator_url
    assert url is not None
    body = json.dumps(
        {"action": "close", "caseId": escalated_case, "reason": "x", "closedAs": "cancelled"}
    ).encode()
    unsigned = requests.post(url, data=body, timeout=30)
    wrong_secret = signed_post(url, body, secret="not-the-secret")
    stale = signed_post(url, body, when=datetime.now(UTC) - timedelta(minutes=20))
    for answer in (unsigned, wrong_secret, stale):
        assert answer.status_code == 403, answer.text
        assert answer.json() == {"Message": "Forbidden"}
    fresh = signed_post(url, body, when=datetime.now(UTC) - timedelta(seconds=30))
    assert fresh.status_code == 200, fresh.text
    assert case(sandbox, escalated_case).state.value == "CLOSED"
    # One entry: the signed request's; the refused ones never ran.
    entries = [e for e in trail(sandbox, f"case:{escalated_case}") if e.action == "cases close"]
    assert len(entries) == 1


def test_a_refused_request_is_recorded_as_refused(sandbox: Sandbox) -> None:
    with pytest.raises(OperatorRequestRefused) as refused:
        sandbox.operate(
            {"action": "extend", "caseId": "no-such-case", "jurisdiction": "ccpa", "reason": "r"}
        )
    assert refused.value.status == 404
    [entry] = trail(sandbox, "case:no-such-case")
    assert entry.outcome.startswith("refused: no case no-such-case")
    assert entry.actor == operator_identity().arn


def test_an_operators_reason_is_kept_masked_and_on_one_line(
    sandbox: Sandbox, escalated_case: str
) -> None:
    """An operator's free text is text from outside like any other: an email pasted into a
    reason (in any of its spellings), a line break or a bidirectional control never reaches
    the case, the audit trail or the answer."""
    reason = (
        f"shopper {EMAIL} asked by phone\n[/link] operator%40example.com "
        "\u202eevil\u202c op\uff20example.com"
    )
    answer = sandbox.operate(
        {
            "action": "close",
            "caseId": escalated_case,
            "reason": reason,
            "closedAs": "cancelled",
        }
    )
    closed = case(sandbox, escalated_case)
    entry = trail(sandbox, f"case:{escalated_case}")[-1]
    assert closed.reason is not None
    for kept in (closed.reason, entry.input, json.dumps(answer)):
        assert "example.com" not in kept
        assert "operator.request" not in kept
        for control in ("\n", "\u202e", "\u202c"):
            assert control not in kept
    assert closed.reason == (
        f"shopper {EMAIL_MASK} asked by phone [/link] {EMAIL_MASK}  evil  {EMAIL_MASK}"
    )


def _close(case_id: str, reason: str = "x") -> bytes:
    return json.dumps(
        {"action": "close", "caseId": case_id, "reason": reason, "closedAs": "cancelled"}
    ).encode()


def _never_ran(sandbox: Sandbox, case_id: str) -> None:
    assert case(sandbox, case_id).state.value == "WAITING"
    assert [e for e in trail(sandbox, f"case:{case_id}") if e.action == "cases close"] == []


@pytest.mark.parametrize(
    "refused",
    [
        "another body",
        "UNSIGNED-PAYLOAD",
        "another region",
        "another service",
        "no session token",
        "another session token",
    ],
)
def test_a_request_aws_would_refuse_never_reaches_the_function(
    sandbox: Sandbox, escalated_case: str, refused: str
) -> None:
    """SigV4 as Lambda checks it: the body sent is the one signed, whatever the request says
    its hash is (and Lambda takes no unsigned payload); the scope is this region's and
    lambda's; temporary credentials come with their own session token."""
    url = sandbox.target().operator_url
    assert url is not None
    body = _close(escalated_case)
    signed_hash = {"X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()}
    requests_ = {
        # Signed over the hash of one body, sent with another (a different reason).
        "another body": lambda: signed_post(
            url, body, headers=signed_hash, sent=_close(escalated_case, "swapped")
        ),
        "UNSIGNED-PAYLOAD": lambda: signed_post(
            url, body, headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}
        ),
        "another region": lambda: signed_post(url, body, region="eu-west-1"),
        "another service": lambda: signed_post(url, body, service="execute-api"),
        # The sandbox's credentials are temporary (an assumed role's session).
        "no session token": lambda: signed_post(url, body, token=None),
        "another session token": lambda: signed_post(url, body, token="not-the-token"),
    }
    answer = requests_[refused]()
    assert answer.status_code == 403, answer.text
    assert answer.json() == {"Message": "Forbidden"}
    _never_ran(sandbox, escalated_case)


def test_a_request_that_states_its_bodys_hash_is_taken(
    sandbox: Sandbox, escalated_case: str
) -> None:
    """As CloudFront's origin access control sends it (X-Amz-Content-SHA256, signed)."""
    url = sandbox.target().operator_url
    assert url is not None
    body = _close(escalated_case)
    answer = signed_post(
        url, body, headers={"X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()}
    )
    assert answer.status_code == 200, answer.text
    assert case(sandbox, escalated_case).state.value == "CLOSED"


#: What OperatorPolicy grants, each needed for a function URL created since October 2025.
OPERATOR_GRANTS = ("OperatorRequests", "OperatorRequestsInvokeTheReaction")


@pytest.mark.parametrize(
    "held",
    [
        "without OperatorRequests",
        "without OperatorRequestsInvokeTheReaction",
        "with lambda:InvokeFunction explicitly denied",
        "nothing",
    ],
)
def test_an_operator_needs_both_invoke_permissions_and_no_deny(
    sandbox: Sandbox, escalated_case: str, held: str
) -> None:
    """The URL authorizes a request as Lambda does: lambda:InvokeFunctionUrl and
    lambda:InvokeFunction on the function, both allowed and neither explicitly denied, by the
    policies the operator holds (here: the stack's OperatorPolicy and AuditGuardPolicy)."""
    url = sandbox.target().operator_url
    assert url is not None
    granted = sandbox.stack.operator_policies()
    assert [s.sid for s in granted if s.policy == "OperatorPolicy"] == list(OPERATOR_GRANTS)
    deny = Statement.parse(
        {"Effect": "Deny", "Action": "lambda:InvokeFunction", "Resource": "*"}, "Other"
    )
    holdings = {
        "without OperatorRequests": [s for s in granted if s.sid != OPERATOR_GRANTS[0]],
        "without OperatorRequestsInvokeTheReaction": [
            s for s in granted if s.sid != OPERATOR_GRANTS[1]
        ],
        "with lambda:InvokeFunction explicitly denied": [*granted, deny],
        "nothing": [],
    }
    key = ADMIN_CREDENTIALS["AWS_ACCESS_KEY_ID"]
    sandbox.aws.function_urls.grant(key, holdings[held])
    refused = signed_post(url, _close(escalated_case))
    assert refused.status_code == 403, refused.text
    assert refused.json() == {"Message": "Forbidden"}
    _never_ran(sandbox, escalated_case)
    # What the stack grants is enough, and is what the sandbox's operator holds.
    sandbox.aws.function_urls.grant(key, granted)
    assert signed_post(url, _close(escalated_case)).status_code == 200
    assert case(sandbox, escalated_case).state.value == "CLOSED"


def test_operator_policy_lets_the_reaction_be_invoked_through_its_url_alone(
    sandbox: Sandbox,
) -> None:
    """OperatorPolicy's lambda:InvokeFunction is for the URL: a direct invocation gets no
    allow from it (and AuditGuardPolicy denies one anyway)."""
    operator_policy = [s for s in sandbox.stack.operator_policies() if s.policy == "OperatorPolicy"]
    reaction = sandbox.stack.resources[REACTION].attributes["Arn"]
    direct = Check("lambda:InvokeFunction", reaction, {"lambda:InvokedViaFunctionUrl": "false"})
    through_url = Check("lambda:InvokeFunction", reaction, {"lambda:InvokedViaFunctionUrl": "true"})
    assert not decide(operator_policy, direct).allowed
    assert decide(operator_policy, through_url).allowed
