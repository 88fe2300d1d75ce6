"""The sandbox's own AWS credentials: set-up, tests and the operator's CLI, never a function.

The local AWS lets them do anything, as an administrator of the account could; functions sign
with their role's keys instead, and are held to the role (`bwp_sandbox.iam`).
"""

from __future__ import annotations

import functools
import os
from typing import Any

import boto3

REGION = "us-east-1"
ADMIN_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def admin_client(service: str) -> Any:
    """A client with the sandbox's credentials, whatever credentials a running function set.

    For set-up and bookkeeping that may run beside a function (the soak collects while the
    recorder runs): endpoint and region come from the environment every local function shares.
    Clients are kept per endpoint (boto3 clients are thread-safe, and making one costs more
    than most calls to moto).
    """
    return _client(
        service, os.environ.get("AWS_ENDPOINT_URL"), os.environ.get("AWS_REGION", REGION)
    )


@functools.lru_cache(maxsize=64)
def _client(service: str, endpoint: str | None, region: str) -> Any:
    return boto3.client(
        service,
        aws_access_key_id=ADMIN_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=ADMIN_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=ADMIN_CREDENTIALS["AWS_SESSION_TOKEN"],
        endpoint_url=endpoint,
        region_name=region,
    )
