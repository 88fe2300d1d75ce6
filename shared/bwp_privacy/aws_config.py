"""The botocore client configuration every AWS client of the project uses."""

from __future__ import annotations

from botocore.config import Config

# Standard retry mode backs off on DynamoDB/SNS throttling; a bounded timeout keeps one slow
# call from eating the invocation.
AWS_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=5
)
