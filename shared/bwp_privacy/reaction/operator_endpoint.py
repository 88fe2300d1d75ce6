"""The reaction's function URL (AuthType AWS_IAM): an operator's request, signed with their AWS
credentials, in; what it did, out, as JSON with an HTTP status.

Lambda only invokes the function for a request whose signature it verified, and names the
caller in ``requestContext.authorizer.iam``: that identity is the actor of everything the
request does. A request without it (a URL deployed with another AuthType) is refused: no
name the client sends is ever taken for who it is.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from typing import Any

from aws_lambda_powertools import Logger
from pydantic import TypeAdapter, ValidationError

from bwp_privacy.bwp_api import TransientApiError
from bwp_privacy.common import RetryableError, describe_validation_error
from bwp_privacy.reaction.operator_actions import OperatorActions, OperatorRefused
from bwp_privacy.reaction.operator_requests import OperatorRequest

logger = Logger(child=True)

#: An operator request, as every way in takes one (this URL, a Slack action).
OPERATOR_REQUEST: TypeAdapter[OperatorRequest] = TypeAdapter(OperatorRequest)
#: The largest body taken (an operator's request is a few hundred bytes).
MAX_BODY = 16_384
#: The longest caller ARN taken: IAM allows a role path of 512 characters and names of 64, an
#: assumed role's session name adds 64; 2048 is IAM's own bound for an ARN.
MAX_ARN = 2048
#: Who AWS says called: an IAM or STS ARN (``arn:aws:iam::123456789012:user/ops/alice``,
#: ``arn:aws-us-gov:sts::123456789012:assumed-role/Operator/alice@example.com``) in any
#: partition, its resource of IAM's name characters only. It is the actor of the audit trail
#: and of the case's history, and shown everywhere they are: nothing else is taken for one.
CALLER_ARN = re.compile(r"arn:aws[a-z-]*:(?:iam|sts)::[0-9]{12}:[A-Za-z0-9+=,.@_/-]+")
#: The longest Retry-After passed on to the operator (a server's hint, believed up to this).
MAX_RETRY_AFTER_SECONDS = 3600


def is_function_url_request(event: dict[str, Any]) -> bool:
    """A function URL's request (payload format 2.0), not one of the reaction's own inputs."""
    context = event.get("requestContext")
    return isinstance(context, dict) and isinstance(context.get("http"), dict)


def caller_of(event: dict[str, Any]) -> str | None:
    """The ARN of the identity AWS authenticated the request with, if Lambda says one."""
    iam = (event.get("requestContext", {}).get("authorizer") or {}).get("iam")
    arn = iam.get("userArn") if isinstance(iam, dict) else None
    if not isinstance(arn, str) or len(arn) > MAX_ARN or not CALLER_ARN.fullmatch(arn):
        return None
    return arn


def handle_request(event: dict[str, Any], actions: OperatorActions) -> dict[str, Any]:
    """One operator request; the answer is a function URL response."""
    actor = caller_of(event)
    if actor is None:
        return _response(403, {"error": "the request carries no AWS identity (AuthType AWS_IAM)"})
    if event["requestContext"]["http"].get("method") != "POST":
        return _response(405, {"error": "POST an operator request"})
    try:
        request = OPERATOR_REQUEST.validate_python(_body(event))
    except ValueError as error:
        reason = (
            describe_validation_error(error, subject="request")
            if isinstance(error, ValidationError)
            else str(error)
        )
        return _response(400, {"error": reason})
    try:
        answer = actions.perform(request, actor)
    except OperatorRefused as refused:
        return _response(refused.status, {"error": refused.message})
    except RetryableError as error:
        # The API was busy or out of reach (after the client's own retries), or a table could
        # not be written for now (a case moved under us, the audit trail refused the entry):
        # nothing the operator must fix. `OperatorActions` recorded it as `failed: <what>`,
        # as every request that fails is; sending the same request again is safe (a
        # resubmission's client token is its attempt's, and a cancel or a move that did happen
        # answers as such).
        return _transient(request.action, error)
    logger.info(
        "Operator request handled",
        extra={"action": request.action, "outcome": answer.outcome, "case_id": answer.case_id},
    )
    body: dict[str, Any] = {
        "outcome": answer.outcome,
        "actor": answer.actor,
        "caseId": answer.case_id,
        "state": answer.state,
        "taskId": answer.task_id,
    }
    if answer.silence_id is not None:
        # A silence's request: its id, when it stops muting, and the cases an expire told.
        body |= {"silenceId": answer.silence_id, "endsAt": answer.ends_at}
        if answer.released is not None:
            body["released"] = list(answer.released)
    if answer.redriven is not None:
        body["redriven"] = list(answer.redriven)
    return _response(200, body)


def _transient(action: str, error: RetryableError) -> dict[str, Any]:
    """503 with what failed (a classification or an error's type: never its message) and the
    server's Retry-After when it gave one."""
    what = (
        f"the Buy with Prime API was busy or out of reach ({error.classification})"
        if isinstance(error, TransientApiError)
        else f"the reaction's tables could not be written for now ({type(error).__name__})"
    )
    logger.warning(
        "Operator request failed for now", extra={"action": action, "error": type(error).__name__}
    )
    headers: dict[str, str] = {}
    if error.retry_after is not None and math.isfinite(error.retry_after):
        seconds = min(max(math.ceil(error.retry_after), 0), MAX_RETRY_AFTER_SECONDS)
        headers["Retry-After"] = str(seconds)
    return _response(
        503,
        {"error": f"{what}: nothing needs changing; send the same request again in a moment"},
        headers,
    )


def _body(event: dict[str, Any]) -> Any:
    """The request's JSON; a ValueError whose message is the reason (never the body's text)."""
    raw = event.get("body") or ""
    if not isinstance(raw, str) or len(raw) > MAX_BODY * 2:
        raise ValueError(f"request: a JSON body of at most {MAX_BODY} bytes")
    try:
        text = (
            base64.b64decode(raw, validate=True).decode() if event.get("isBase64Encoded") else raw
        )
        size = len(text.encode())
    except (binascii.Error, UnicodeError):
        # Said in our words: the codec's own quote a character of the body.
        raise ValueError("request: the body is not UTF-8 text") from None
    if size > MAX_BODY:
        raise ValueError(f"request: a JSON body of at most {MAX_BODY} bytes")
    try:
        return json.loads(text)
    except RecursionError:
        # Not a ValueError: deep nesting ("[" * 5000) exhausts the parser's recursion limit.
        raise ValueError("request: JSON nested too deeply to be an operator's request") from None
    except ValueError:
        raise ValueError("request: not JSON") from None


def _response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(body),
    }
