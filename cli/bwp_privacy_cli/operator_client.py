"""The CLI's acting commands as requests to the reaction's function URL, signed with the
operator's own AWS credentials (SigV4, service ``lambda``): AWS verifies who asks, and the
reaction acts and records it with that identity (`bwp_privacy.reaction.operator_endpoint`).
Operators hold no write grant on the cases or the audit trail (`AuditGuardPolicy`)."""

from __future__ import annotations

import json
from typing import Any

import requests

from bwp_privacy.common import BwpPrivacyError

#: The reaction may take its whole timeout (a resubmission calls the API): wait that long.
TIMEOUT_SECONDS = 75.0


class OperatorRequestRefused(BwpPrivacyError):
    """The reaction refused the request; the message says why (one line)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class OperatorClient:
    """Sends one operator request at a time to the function URL at ``url``."""

    def __init__(self, url: str, region: str) -> None:
        self._url = url
        self._region = region

    def send(self, request: dict[str, Any]) -> dict[str, Any]:
        """The answer to ``request`` (its ``action`` says what), or OperatorRequestRefused."""
        import boto3
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        credentials = boto3.Session().get_credentials()
        if credentials is None:
            raise BwpPrivacyError(
                "AWS: no credentials to sign the request with (configure a profile, or pass"
                " --env sandbox)"
            )
        body = json.dumps(request).encode()
        signed = AWSRequest(
            method="POST", url=self._url, data=body, headers={"Content-Type": "application/json"}
        )
        SigV4Auth(credentials.get_frozen_credentials(), "lambda", self._region).add_auth(signed)
        try:
            answer = requests.post(
                self._url, data=body, headers=dict(signed.headers), timeout=TIMEOUT_SECONDS
            )
        except requests.RequestException as error:
            raise BwpPrivacyError(
                f"cannot reach the reaction's function URL: {type(error).__name__}"
            ) from None
        payload = _json(answer)
        if answer.status_code == 200 and isinstance(payload, dict):
            return payload
        if answer.status_code == 403 and "error" not in (payload or {}):
            raise OperatorRequestRefused(
                403,
                "the reaction's function URL refused your AWS credentials: they need"
                " lambda:InvokeFunctionUrl and lambda:InvokeFunction (through the URL) on"
                " ReactionFunction (attach the stack's OperatorPolicy), and no deny of either",
            )
        reason = payload.get("error") if isinstance(payload, dict) else None
        raise OperatorRequestRefused(
            answer.status_code,
            str(reason)[:500] if reason else f"the reaction answered HTTP {answer.status_code}",
        )


def _json(answer: requests.Response) -> Any:
    try:
        return answer.json()
    except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
        return None
