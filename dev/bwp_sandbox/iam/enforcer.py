"""The local AWS refuses what a function's role does not allow, as AWS would.

A WSGI layer in front of moto's server. Each function runs with its own credentials (an
access key the sandbox gives its role); a request signed with one is read as IAM reads it
(`calls.py`) and evaluated against that role's statements (`policy.py`). A refused call gets
the answer AWS gives: HTTP 400/403 with AccessDeniedException (AuthorizationError for SNS,
AccessDenied for SQS) and the message AWS writes. Requests signed with any other key are the
sandbox's own (set-up, tests, the operator's CLI) and pass unchecked, as an administrator's
would. Every decision is recorded, so a test can list what each function really called.
"""

from __future__ import annotations

import io
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from bwp_sandbox.iam.calls import ACCOUNT, AwsCall, Check, Resources, read_call
from bwp_sandbox.iam.policy import Decision, Statement, evaluate

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass(frozen=True)
class Role:
    """A function's execution role: the statements it holds and the key it signs with."""

    logical_id: str
    function: str
    statements: tuple[Statement, ...]

    @property
    def access_key(self) -> str:
        return f"LOCALROLE{self.logical_id.upper()}"[:128]

    @property
    def secret_key(self) -> str:
        return f"local-secret-of-{self.logical_id}"

    @property
    def session_arn(self) -> str:
        return f"arn:aws:sts::{ACCOUNT}:assumed-role/{self.logical_id}/{self.function}"

    def credentials(self) -> dict[str, str]:
        """What Lambda puts in the function's environment for its role."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_SESSION_TOKEN": f"local-session-of-{self.logical_id}",
        }

    def without(self, statement: Statement) -> Role:
        """The same role with one statement removed (what a test of that statement needs)."""
        return replace(self, statements=tuple(s for s in self.statements if s != statement))


@dataclass(frozen=True)
class CallRecord:
    """One authorization as it was decided."""

    function: str
    operation: str
    action: str
    resource: str
    allowed: bool
    statement: str | None
    reason: str = ""


class IamEnforcer:
    """Wraps a WSGI app (moto's server); thread-safe."""

    def __init__(self, app: WsgiApp, resources: Resources | None = None) -> None:
        self._app = app
        self._resources = resources or Resources()
        self._roles: dict[str, Role] = {}
        self._guards: dict[str, Role] = {}
        self._records: list[CallRecord] = []
        self._lock = threading.Lock()

    # -- configuration and what was seen ------------------------------------------------------

    def register(self, role: Role) -> None:
        """Enforce ``role`` for requests signed with its access key (replacing an older one)."""
        with self._lock:
            self._roles[role.access_key] = role

    def guard(self, access_key: str, role: Role) -> None:
        """Hold requests signed with ``access_key`` (the sandbox's own: set-up, tests, the
        operator's CLI) to the explicit denies of ``role``. Everything else they may do, as an
        administrator who holds the stack's operator guard policy could."""
        with self._lock:
            self._guards[access_key] = role

    def roles(self) -> dict[str, Role]:
        """The registered roles by function."""
        with self._lock:
            return {role.function: role for role in self._roles.values()}

    def reset(self) -> None:
        """Forget every role and record (moto is reset with it)."""
        with self._lock:
            self._roles.clear()
            self._guards.clear()
            self._records.clear()

    def reset_records(self) -> None:
        """Forget what was recorded so far (the roles stay)."""
        with self._lock:
            self._records.clear()

    def records(self) -> list[CallRecord]:
        """Every authorization decided since the last reset, in order."""
        with self._lock:
            return list(self._records)

    def denied(self) -> list[CallRecord]:
        return [record for record in self.records() if not record.allowed]

    def summary(self) -> dict[str, Counter[str]]:
        """Per function, how often each action was allowed (for reports)."""
        counts: dict[str, Counter[str]] = {}
        for record in self.records():
            if record.allowed:
                counts.setdefault(record.function, Counter())[record.action] += 1
        return counts

    # -- WSGI ---------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        key = _access_key(environ)
        with self._lock:
            role = self._roles.get(key) if key else None
            guard = self._guards.get(key) if key else None
        if guard is not None:
            return self._guarded(guard, environ, start_response)
        if role is None:
            return self._app(environ, start_response)
        body = _read_body(environ)
        call = read_call(environ, body, self._resources)
        if call is None:
            return self._app(environ, start_response)
        refusal = self.authorize(role, call)
        if refusal is None:
            return self._app(environ, start_response)
        status, headers, payload = _access_denied(call, refusal)
        start_response(status, headers)
        return [payload]

    def _guarded(
        self, guard: Role, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        body = _read_body(environ)
        call = read_call(environ, body, self._resources)
        if call is None or call.unknown is not None:
            return self._app(environ, start_response)
        for check in call.checks:
            decision = evaluate(guard.statements, check.action, check.resource, _context(check))
            if decision.explicit_deny:
                self._record(_as_record(guard, call, check, decision))
                status, headers, payload = _access_denied(
                    call,
                    f"User: {guard.session_arn} is not authorized to perform: {check.action} "
                    f"on resource: {check.resource} with an explicit deny in an identity-based "
                    "policy",
                )
                start_response(status, headers)
                return [payload]
        return self._app(environ, start_response)

    def authorize(self, role: Role, call: AwsCall) -> str | None:
        """Record the decision of every check of ``call``; the refusal message, if any."""
        if call.unknown is not None:
            message = (
                f"User: {role.session_arn} is not authorized to perform: "
                f"{call.name} (sandbox IAM: {call.unknown})"
            )
            self._record(
                CallRecord(role.function, call.name, call.name, "?", False, None, call.unknown)
            )
            return message
        for check in call.checks:
            decision = evaluate(role.statements, check.action, check.resource, _context(check))
            self._record(_as_record(role, call, check, decision))
            if not decision.allowed:
                why = (
                    "with an explicit deny in an identity-based policy"
                    if decision.explicit_deny
                    else f"because no identity-based policy allows the {check.action} action"
                )
                return (
                    f"User: {role.session_arn} is not authorized to perform: {check.action} "
                    f"on resource: {check.resource} {why}"
                )
        return None

    def _record(self, record: CallRecord) -> None:
        with self._lock:
            self._records.append(record)


def _as_record(role: Role, call: AwsCall, check: Check, decision: Decision) -> CallRecord:
    return CallRecord(
        function=role.function,
        operation=call.name,
        action=check.action,
        resource=check.resource,
        allowed=decision.allowed,
        statement=decision.statement.name if decision.statement else None,
    )


def decide(statements: Iterable[Statement], check: Check) -> Decision:
    """IAM's decision on one check for whoever holds ``statements``, with the global keys
    every request to AWS carries (for callers that are not a WSGI request to moto: a
    function URL's)."""
    return evaluate(tuple(statements), check.action, check.resource, _context(check))


def _context(check: Check) -> dict[str, str]:
    # SDK calls to AWS always use TLS; the sandbox's plain HTTP stands in for it.
    return {"aws:SecureTransport": "true", "aws:PrincipalAccount": ACCOUNT, **check.context}


def _access_key(environ: Mapping[str, Any]) -> str | None:
    header = str(environ.get("HTTP_AUTHORIZATION", ""))
    marker = "Credential="
    if marker not in header:
        return None
    return header.split(marker, 1)[1].split("/", 1)[0]


def _read_body(environ: dict[str, Any]) -> bytes:
    """Read the request body and put it back for the wrapped app."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def _access_denied(call: AwsCall, message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """The refusal each service sends, in its protocol's shape."""
    if call.protocol == "query":
        code = "AuthorizationError" if call.service == "sns" else "AccessDenied"
        xml = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{code}</Code><Message>{_xml_escape(message)}</Message></Error>"
            "<RequestId>local-iam</RequestId></ErrorResponse>"
        )
        return "403 Forbidden", [("Content-Type", "text/xml")], xml.encode()
    if call.protocol == "rest":
        headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", "AccessDeniedException"),
        ]
        return "403 Forbidden", headers, json.dumps({"Message": message}).encode()
    headers = [("Content-Type", "application/x-amz-json-1.0")]
    if call.service == "sqs":
        headers.append(("x-amzn-query-error", "AccessDenied;Sender"))
    payload = {"__type": "com.amazon.coral.service#AccessDeniedException", "message": message}
    return "400 Bad Request", headers, json.dumps(payload).encode()


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def statements_of(roles: Mapping[str, Role]) -> Iterator[tuple[str, Statement]]:
    """(function, statement) for every statement of every role."""
    for function, role in roles.items():
        for statement in role.statements:
            yield function, statement
