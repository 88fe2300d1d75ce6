"""Lambda function URLs, which moto does not serve: the sandbox plays them on its AWS endpoint,
at ``/_function-url/<function>/``, with AuthType AWS_IAM or NONE.

AuthType NONE (InboundFunction's: Slack and PagerDuty cannot sign with AWS credentials): any
request reaches the function, unsigned, with no ``authorizer`` in its event, and its body
exactly as sent (text, or base64 with ``isBase64Encoded`` when it is not UTF-8, as Lambda
passes a binary body): the function verifies the request itself.

AuthType AWS_IAM:

As Lambda does: a request must be signed with SigV4 by a known identity, for the service
``lambda`` in the sandbox's region, within five minutes of its ``X-Amz-Date``, over the body
it carries (an ``X-Amz-Content-SHA256`` that is not that body's hash, ``UNSIGNED-PAYLOAD``
included, is refused: Lambda takes no unsigned payload), with the session token of temporary
credentials; and the caller's identity-based policies must allow both
``lambda:InvokeFunctionUrl`` and ``lambda:InvokeFunction`` on the function, neither explicitly
denied (both are needed for a function URL created since October 2025: Lambda developer
guide, "Control access to Lambda function URLs"). Otherwise it is answered 403 and the
function never runs. The function gets the payload format 2.0 event, whose
``requestContext.authorizer.iam`` names the caller, and its answer (``statusCode``,
``headers``, ``body``) becomes the HTTP response. The function runs in this process, with its
role's credentials (`LocalFunction`).

The known identities are the sandbox's own credentials (the operator of the CLI and the
tests), each with the ARN AWS would name, and holding the policies the sandbox `grant`s it
(the stack's OperatorPolicy and AuditGuardPolicy: `Sandbox.deploy`); a function's role holds
no lambda:InvokeFunctionUrl.
"""

from __future__ import annotations

import base64
import contextlib
import getpass
import hashlib
import hmac
import io
import json
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import quote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from bwp_privacy_cli.local import LocalFunction, LocalLambdaContext
from bwp_sandbox.admin import ADMIN_CREDENTIALS, REGION
from bwp_sandbox.iam import Check, Statement, decide

PREFIX = "/_function-url/"
ACCOUNT_ID = "123456789012"
#: How far a signature's time may be from now (AWS: five minutes).
SKEW = timedelta(minutes=5)

StartResponse = Callable[..., Any]
App = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass(frozen=True)
class Identity:
    """Who a set of credentials is, as IAM names them."""

    access_key: str
    secret_key: str
    session_token: str | None
    arn: str
    user_id: str


def operator_identity() -> Identity:
    """The sandbox's own credentials: an operator of the stack, named after the local user
    (an assumed role's session, as an operator's CLI credentials usually are)."""
    user = getpass.getuser()
    return Identity(
        access_key=ADMIN_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        secret_key=ADMIN_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        session_token=ADMIN_CREDENTIALS["AWS_SESSION_TOKEN"],
        arn=f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/Operator/{user}",
        user_id=f"AROAOPERATOR:{user}",
    )


#: A function URL's AuthType (Lambda's ``FunctionUrlConfig.AuthType``).
AuthType = Literal["AWS_IAM", "NONE"]


@dataclass(frozen=True)
class _Url:
    """A function URL: the function it runs, its ARN (what IAM authorizes on) and how."""

    function: Callable[[], LocalFunction]
    arn: str
    auth_type: AuthType = "AWS_IAM"


class FunctionUrls:
    """WSGI: answers ``/_function-url/<name>/`` for the functions registered, hands every
    other request to ``app``."""

    def __init__(self, app: App, region: str = REGION) -> None:
        self._app = app
        self._region = region
        self._lock = threading.Lock()
        self._urls: dict[str, _Url] = {}
        operator = operator_identity()
        self._identities: dict[str, Identity] = {operator.access_key: operator}
        self._policies: dict[str, tuple[Statement, ...]] = {}
        #: What each URL's function printed (its logs and EMF metrics), by URL name.
        self._printed: dict[str, list[str]] = {}

    def register(
        self,
        name: str,
        function: Callable[[], LocalFunction],
        *,
        arn: str,
        auth_type: AuthType = "AWS_IAM",
    ) -> None:
        """Serve ``function`` (asked for at each request: a redeploy replaces it) at its URL;
        ``arn``: the function's, on which a caller needs the invoke permissions (AWS_IAM);
        ``auth_type`` NONE: anyone may call it, unsigned."""
        with self._lock:
            self._urls[name] = _Url(function, arn, auth_type)

    def unregister(self, name: str) -> None:
        """No URL for ``name`` any more (its function is no longer deployed)."""
        with self._lock:
            self._urls.pop(name, None)

    def grant(self, access_key: str, statements: Iterable[Statement]) -> None:
        """The identity-based policies the identity of ``access_key`` holds, in place of what
        it held: what each request it signs is authorized against. An identity granted
        nothing is refused, as IAM's implicit deny would."""
        with self._lock:
            self._policies[access_key] = tuple(statements)

    def printed(self, name: str) -> str:
        """What ``name``'s function printed while serving its URL (logs, EMF metrics) since
        the last reset."""
        with self._lock:
            return "".join(self._printed.get(name, []))

    def reset(self) -> None:
        with self._lock:
            self._urls.clear()
            self._policies.clear()
            self._printed.clear()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if not path.startswith(PREFIX):
            return self._app(environ, start_response)
        name, _, rest = path.removeprefix(PREFIX).partition("/")
        with self._lock:
            url = self._urls.get(name)
        if url is None:
            return _answer(start_response, 404, {"Message": f"no function URL for {name}"})
        body = _read_body(environ)
        identity = None
        if url.auth_type == "AWS_IAM":
            identity = self._authenticate(environ, body)
            if identity is None or not self._authorized(identity, url.arn):
                # Lambda answers a refused signature and a refused permission alike.
                return _answer(start_response, 403, {"Message": "Forbidden"})
        event = _event(environ, "/" + rest, body, identity)
        local = url.function()
        # A warm execution environment after the first request, as Lambda keeps one.
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):  # the function's logs
            answer = local.handler(event, LocalLambdaContext(function_name=local.logical_id))
        with self._lock:
            self._printed.setdefault(name, []).append(printed.getvalue())
        if not isinstance(answer, dict) or "statusCode" not in answer:
            # Lambda answers a plain JSON value with 200 and that value as the body.
            return _answer(start_response, 200, answer)
        headers = [(k, str(v)) for k, v in (answer.get("headers") or {}).items()]
        payload = str(answer.get("body") or "").encode()
        status = int(answer["statusCode"])
        start_response(f"{status} {_REASONS.get(status, '')}", headers)
        return [payload]

    def _authorized(self, identity: Identity, arn: str) -> bool:
        """Whether the identity's policies allow a request to the URL of function ``arn``.

        Same account: no resource-based policy is needed (the template adds none), so the
        identity's policies decide alone, each action allowed and none explicitly denied.
        """
        with self._lock:
            statements = self._policies.get(identity.access_key, ())
        checks = (
            Check("lambda:InvokeFunctionUrl", arn, {"lambda:FunctionUrlAuthType": "AWS_IAM"}),
            Check("lambda:InvokeFunction", arn, {"lambda:InvokedViaFunctionUrl": "true"}),
        )
        return all(decide(statements, check).allowed for check in checks)

    def _authenticate(self, environ: dict[str, Any], body: bytes) -> Identity | None:
        """The caller, when the request is signed by a known identity for ``lambda`` in this
        region, in time, over this body, with its session token if it has one."""
        header = str(environ.get("HTTP_AUTHORIZATION", ""))
        fields = _authorization(header)
        if fields is None:
            return None
        access_key, date, region, service, signed, signature = fields
        identity = self._identities.get(access_key)
        amz_date = str(environ.get("HTTP_X_AMZ_DATE", ""))
        if identity is None or not amz_date.startswith(date):
            return None
        if service != "lambda" or region != self._region:
            return None
        # The body is hashed here: botocore's canonical request would take the client's
        # X-Amz-Content-SHA256 on trust, and a body other than the signed one would pass.
        # When the header is sent it must be that hash (so never UNSIGNED-PAYLOAD).
        digest = hashlib.sha256(body).hexdigest()
        claimed = environ.get("HTTP_X_AMZ_CONTENT_SHA256")
        if claimed is not None and claimed != digest:
            return None
        # Temporary credentials sign with their session token, which AWS checks is theirs.
        token = environ.get("HTTP_X_AMZ_SECURITY_TOKEN")
        if identity.session_token is not None and token != identity.session_token:
            return None
        try:
            moment = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            return None
        if abs(datetime.now(UTC) - moment) > SKEW:
            return None
        headers = {name: _header(environ, name) for name in signed}
        if any(value is None for value in headers.values()):
            return None
        query = str(environ.get("QUERY_STRING", ""))
        url = f"http://{_header(environ, 'host')}{quote(str(environ.get('PATH_INFO', '')))}"
        request = AWSRequest(
            method=str(environ.get("REQUEST_METHOD")),
            url=url + (f"?{query}" if query else ""),
            data=body,
            headers={k: str(v) for k, v in headers.items()},
        )
        request.context["timestamp"] = amz_date
        signer = SigV4Auth(
            Credentials(access_key, identity.secret_key, identity.session_token), "lambda", region
        )
        # The canonical request's last line is the payload's hash: always the body's own.
        canonical = signer.canonical_request(request).rpartition("\n")[0] + "\n" + digest
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        return identity if hmac.compare_digest(expected, signature) else None


def _authorization(header: str) -> tuple[str, str, str, str, list[str], str] | None:
    """The parts of a SigV4 Authorization header, or None when it is not one."""
    scheme, _, rest = header.partition(" ")
    if scheme != "AWS4-HMAC-SHA256":
        return None
    parts = dict(item.strip().split("=", 1) for item in rest.split(",") if "=" in item)
    try:
        access_key, date, region, service, terminal = parts["Credential"].split("/")
        signed = parts["SignedHeaders"].split(";")
        signature = parts["Signature"]
    except (KeyError, ValueError):
        return None
    if terminal != "aws4_request":
        return None
    return access_key, date, region, service, signed, signature


def _header(environ: Mapping[str, Any], name: str) -> str | None:
    key = name.upper().replace("-", "_")
    if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        value = environ.get(key)
    else:
        value = environ.get(f"HTTP_{key}")
    return None if value is None else str(value)


def _read_body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _event(
    environ: dict[str, Any], path: str, body: bytes, identity: Identity | None
) -> dict[str, Any]:
    """The payload format 2.0 event Lambda gives a function URL's function (no ``authorizer``
    for AuthType NONE: ``identity`` None)."""
    now = datetime.now(UTC)
    headers = {
        key.removeprefix("HTTP_").replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    # WSGI keeps these two apart from the HTTP_ ones; Lambda passes them with the others.
    for key, name in (("CONTENT_TYPE", "content-type"), ("CONTENT_LENGTH", "content-length")):
        if environ.get(key):
            headers[name] = str(environ[key])
    try:
        text, encoded = body.decode(), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    authorizer = (
        {}
        if identity is None
        else {
            "authorizer": {
                "iam": {
                    "accessKey": identity.access_key,
                    "accountId": ACCOUNT_ID,
                    "callerId": identity.user_id,
                    "cognitoIdentity": None,
                    "principalOrgId": None,
                    "userArn": identity.arn,
                    "userId": identity.user_id,
                }
            }
        }
    )
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": str(environ.get("QUERY_STRING", "")),
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "sandbox",
            **authorizer,
            "domainName": headers.get("host", ""),
            "http": {
                "method": str(environ.get("REQUEST_METHOD")),
                "path": path,
                "protocol": str(environ.get("SERVER_PROTOCOL", "HTTP/1.1")),
                "sourceIp": str(environ.get("REMOTE_ADDR", "127.0.0.1")),
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def _answer(start_response: StartResponse, status: int, body: Any) -> Iterable[bytes]:
    payload = json.dumps(body).encode()
    start_response(
        f"{status} {_REASONS.get(status, '')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]
