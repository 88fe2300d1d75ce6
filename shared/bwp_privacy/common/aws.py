"""AWS clients as every function makes them: the project's configuration, at cold start."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

# Standard retry mode backs off on DynamoDB/SNS throttling; a bounded timeout keeps one slow
# call from eating the invocation.
AWS_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=5
)


def aws_client(service: str) -> Any:
    """A boto3 client for ``service`` with the project's configuration (make it once, at cold
    start: each costs tens of milliseconds)."""
    return boto3.client(service, config=AWS_CLIENT_CONFIG)
