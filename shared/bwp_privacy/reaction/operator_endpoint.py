"""The reaction's function URL (AuthType AWS_IAM): an operator's request, signed with their AWS
credentials, in; what it did, out, as JSON with an HTTP status.

Lambda only invokes the function for a request whose signature it verified, and names the
caller in ``requestContext.authorizer.iam``: that identity is the actor of everything the
request does. A request without it (a URL deployed with another AuthType) is refused: no
name the client sends is ever taken for who it is.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools import Logger
from pydantic import TypeAdapter, ValidationError

from bwp_privacy.common import describe_validation_error
from bwp_privacy.reaction.operator_actions import OperatorActions, OperatorRefused
from bwp_privacy.reaction.operator_requests import OperatorRequest

logger = Logger(child=True)

_REQUEST: TypeAdapter[OperatorRequest] = TypeAdapter(OperatorRequest)
#: The largest body taken (an operator's request is a few hundred bytes).
MAX_BODY = 16_384


def is_function_url_request(event: dict[str, Any]) -> bool:
    """A function URL's request (payload format 2.0), not one of the reaction's own inputs."""
    context = event.get("requestContext")
    return isinstance(context, dict) and isinstance(context.get("http"), dict)


def caller_of(event: dict[str, Any]) -> str | None:
    """The ARN of the identity AWS authenticated the request with, if Lambda says one."""
    iam = (event.get("requestContext", {}).get("authorizer") or {}).get("iam")
    arn = iam.get("userArn") if isinstance(iam, dict) else None
    return arn if isinstance(arn, str) and arn.startswith("arn:") and len(arn) <= 300 else None


def handle_request(event: dict[str, Any], actions: OperatorActions) -> dict[str, Any]:
    """One operator request; the answer is a function URL response."""
    actor = caller_of(event)
    if actor is None:
        return _response(403, {"error": "the request carries no AWS identity (AuthType AWS_IAM)"})
    if event["requestContext"]["http"].get("method") != "POST":
        return _response(405, {"error": "POST an operator request"})
    try:
        request = _REQUEST.validate_python(_body(event))
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
    logger.info(
        "Operator request handled",
        extra={"action": request.action, "outcome": answer.outcome, "case_id": answer.case_id},
    )
    return _response(
        200,
        {
            "outcome": answer.outcome,
            "actor": answer.actor,
            "caseId": answer.case_id,
            "state": answer.state,
            "taskId": answer.task_id,
        },
    )


def _body(event: dict[str, Any]) -> Any:
    raw = event.get("body") or ""
    if not isinstance(raw, str) or len(raw) > MAX_BODY * 2:
        raise ValueError(f"request: a JSON body of at most {MAX_BODY} bytes")
    text = base64.b64decode(raw).decode() if event.get("isBase64Encoded") else raw
    if len(text.encode()) > MAX_BODY:
        raise ValueError(f"request: a JSON body of at most {MAX_BODY} bytes")
    try:
        return json.loads(text)
    except ValueError:
        raise ValueError("request: not JSON") from None


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }
