"""Lambda's GetAccountSettings, which moto 5.2 does not serve: the account's concurrency quota
and what is left unreserved, as `bwp-privacy doctor` reads them.

The quota is moto's own knob, ``MOTO_LAMBDA_CONCURRENCY_QUOTA`` (moto then refuses a
reservation that leaves less than 100 unreserved, as Lambda does), else Lambda's default of
1,000; what is unreserved is the quota less every function's reserved concurrency.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

from bwp_sandbox.stack import ACCOUNT_ID, REGION

PATH = "/2016-08-19/account-settings"
DEFAULT_QUOTA = 1000

StartResponse = Callable[..., Any]
App = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class AccountSettings:
    """WSGI: answers GetAccountSettings, hands every other request to ``app``."""

    def __init__(self, app: App) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", "")).rstrip("/")
        if environ.get("REQUEST_METHOD") != "GET" or path != PATH:
            return self._app(environ, start_response)
        body = json.dumps(account_settings()).encode()
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]


def account_settings() -> dict[str, Any]:
    from moto.awslambda.models import lambda_backends

    functions = list(lambda_backends[ACCOUNT_ID][REGION].list_functions())
    quota = int(os.environ.get("MOTO_LAMBDA_CONCURRENCY_QUOTA") or DEFAULT_QUOTA)
    reserved = sum(int(f.reserved_concurrency or 0) for f in functions)
    return {
        "AccountLimit": {
            "TotalCodeSize": 80530636800,
            "CodeSizeUnzipped": 262144000,
            "CodeSizeZipped": 52428800,
            "ConcurrentExecutions": quota,
            "UnreservedConcurrentExecutions": quota - reserved,
        },
        "AccountUsage": {"TotalCodeSize": 0, "FunctionCount": len(functions)},
    }
