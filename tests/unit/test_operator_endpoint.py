"""The reaction's function URL, before any action: who the request is from (the ARN Lambda
names in ``requestContext.authorizer.iam`` is the actor of everything the request does, so it
is taken only when it is an IAM or STS ARN as IAM writes one, up to IAM's own length, and
refused with 403 otherwise), and a body that cannot be a request (400, said in our words).
Pure logic: the function URL's event as Lambda gives it."""

from __future__ import annotations

import base64
import json
from typing import Any, cast

import pytest

from bwp_privacy.reaction.operator_actions import OperatorActions, OperatorAnswer
from bwp_privacy.reaction.operator_endpoint import caller_of, handle_request
from bwp_privacy.reaction.operator_requests import CloseRequest

ACCOUNT = "123456789012"
#: IAM's own bound on an ARN's length.
MAX_ARN = 2048
#: A role path as deep as IAM allows (512 characters), and a role and session name each as
#: long as theirs (64): over 600 characters, an operator's everyday identity in some orgs.
DEEP_PATH = "/" + "/".join(["division-of-privacy-operations"] * 16) + "/"
DEEP_ROLE = f"arn:aws:sts::{ACCOUNT}:assumed-role{DEEP_PATH}{'R' * 64}/{'s' * 64}"


def event(arn: object, body: str = '{"action": "close"}', encoded: bool = False) -> dict[str, Any]:
    return {
        "requestContext": {
            "http": {"method": "POST"},
            "authorizer": {"iam": {"userArn": arn, "accountId": ACCOUNT}},
        },
        "body": body,
        "isBase64Encoded": encoded,
    }


class _Unreached:
    """An operator's actions that must not be reached: the request is refused before."""

    def perform(self, *args: object) -> None:
        raise AssertionError("a refused caller reached the actions")


@pytest.mark.parametrize(
    "arn",
    [
        DEEP_ROLE,
        f"arn:aws:iam::{ACCOUNT}:user/ops/alice",
        f"arn:aws:iam::{ACCOUNT}:root",
        f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_Operator_0123/alice@example.com",
        f"arn:aws-us-gov:sts::{ACCOUNT}:assumed-role/Operator/a+b=c,d.e_f-g",
        f"arn:aws-cn:iam::{ACCOUNT}:user/alice",
        f"arn:aws:sts::{ACCOUNT}:federated-user/bob",
    ],
)
def test_an_iam_or_sts_arn_is_the_caller(arn: str) -> None:
    assert caller_of(event(arn)) == arn


def test_a_caller_arn_is_taken_up_to_iams_own_bound() -> None:
    assert len(DEEP_ROLE) > 600
    prefix = f"arn:aws:iam::{ACCOUNT}:user/"
    longest = prefix + "u" * (MAX_ARN - len(prefix))
    assert len(longest) == MAX_ARN
    assert caller_of(event(longest)) == longest
    assert caller_of(event(longest + "u")) is None


@pytest.mark.parametrize(
    "arn",
    [
        "arn:",
        "arn:aws:s3:::bucket/key",
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:x",
        f"arn:aws:iam:us-east-1:{ACCOUNT}:user/alice",  # IAM ARNs name no region
        "arn:aws:iam::12345678901:user/alice",
        f"arn:aws:iam::{ACCOUNT}:",
        f"arn:aws:iam::{ACCOUNT}:user/alice\nX-Injected: 1",
        f"arn:aws:iam::{ACCOUNT}:user/alice bob",
        f"arn:aws:iam::{ACCOUNT}:user/\u202ealice",
        f"arn:aws:iam::{ACCOUNT}:user/alice\x1b[2J",
        f"arn:aws:iam::{ACCOUNT}:user/[/link]<!channel>",
        f"arn:aws:iam::{ACCOUNT}:user/al\u00efce",
        f"ARN:AWS:IAM::{ACCOUNT}:USER/ALICE",
        f" arn:aws:iam::{ACCOUNT}:user/alice",
        42,
        None,
        ["arn:aws:iam::123456789012:user/alice"],
    ],
)
def test_anything_else_is_no_caller_and_is_refused(arn: object) -> None:
    assert caller_of(event(arn)) is None
    answer = handle_request(event(arn), cast(OperatorActions, _Unreached()))
    assert answer["statusCode"] == 403
    assert json.loads(answer["body"]) == {
        "error": "the request carries no AWS identity (AuthType AWS_IAM)"
    }


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    ("body", "encoded", "reason"),
    [
        ("[" * 5000, False, "request: JSON nested too deeply to be an operator's request"),
        ('{"a": ' * 2000, False, "request: JSON nested too deeply to be an operator's request"),
        (_b64(b"[" * 5000), True, "request: JSON nested too deeply to be an operator's request"),
        (_b64(b'{"action": "\xff\xfe"}'), True, "request: the body is not UTF-8 text"),
        ("not base64!", True, "request: the body is not UTF-8 text"),
        ('{"action": "close", "reason": "\ud800"}', False, "request: the body is not UTF-8 text"),
        ("{'action': 'close'}", False, "request: not JSON"),
        ("x" * 40_000, False, "request: a JSON body of at most 16384 bytes"),
    ],
    ids=["arrays", "objects", "base64", "not-utf8", "not-base64", "surrogate", "not-json", "big"],
)
def test_a_body_that_cannot_be_a_request_is_refused_in_our_words(
    body: str, encoded: bool, reason: str
) -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:user/alice"
    answer = handle_request(event(arn, body, encoded), cast(OperatorActions, _Unreached()))
    assert answer["statusCode"] == 400
    assert json.loads(answer["body"]) == {"error": reason}


class _Performed:
    """An operator's actions that record what they were asked."""

    def __init__(self) -> None:
        self.requests: list[object] = []

    def perform(self, request: object, actor: str) -> OperatorAnswer:
        self.requests.append(request)
        return OperatorAnswer("moved", actor, "c-1", "CLOSED")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({}, "invalid request: close.closedAs: Field required"),
        (
            {"closedAs": "denied"},
            "invalid request: close: deniedBecause: a denial says on what ground: unverifiable,"
            " not-a-consumer, exempt or other",
        ),
        (
            {"closedAs": "completed", "deniedBecause": "exempt"},
            "invalid request: close: deniedBecause: only a denial has one (closedAs is completed)",
        ),
    ],
    ids=["no-closed-as", "denial-without-ground", "ground-without-denial"],
)
def test_a_close_says_how_the_request_was_answered_with_no_default(
    fields: dict[str, str], reason: str
) -> None:
    """A request answered through merchant support must never count as cancelled because the
    request left out how it was answered: the reaction refuses it (400)."""
    body = json.dumps({"action": "close", "caseId": "c-1", "reason": "r", **fields})
    arn = f"arn:aws:iam::{ACCOUNT}:user/alice"
    answer = handle_request(event(arn, body), cast(OperatorActions, _Unreached()))
    assert answer["statusCode"] == 400
    assert json.loads(answer["body"]) == {"error": reason}


def test_a_denial_carries_its_ground_to_the_actions() -> None:
    body = json.dumps(
        {
            "action": "close",
            "caseId": "c-1",
            "reason": "identity not verified",
            "closedAs": "denied",
            "deniedBecause": "unverifiable",
        }
    )
    actions = _Performed()
    answer = handle_request(
        event(f"arn:aws:iam::{ACCOUNT}:user/alice", body), cast(OperatorActions, actions)
    )
    assert answer["statusCode"] == 200, answer
    (request,) = actions.requests
    assert isinstance(request, CloseRequest)
    assert (request.closed_as, request.denied_because) == ("denied", "unverifiable")
