"""Build the long-lived collaborators once per execution environment (cold start)."""

from __future__ import annotations

from typing import Any

import boto3
import requests

from bwp_privacy.aws_config import AWS_CLIENT_CONFIG
from bwp_privacy.bwp_api.client import BwpClient
from bwp_privacy.bwp_api.token import AccessToken, TokenProvider, request_access_token
from bwp_privacy.credentials import load_credentials
from bwp_privacy.failure_store import FailureStore
from bwp_privacy.observability import MetricsSink
from bwp_privacy.publisher import FailurePublisher
from bwp_privacy.recorder import FailureRecorder
from bwp_privacy.retry import Backoff
from bwp_privacy.secrets import JsonSecrets
from bwp_privacy.settings import Settings


def build_client(settings: Settings) -> BwpClient:
    """A GraphQL client whose token cache and connections live as long as the process.

    Every AWS client it needs is made here, at cold start, with the project's configuration.
    """
    session = requests.Session()
    secrets = (
        JsonSecrets(boto3.client("secretsmanager", config=AWS_CLIENT_CONFIG))
        if settings.credentials_secret_id
        else None
    )

    def fetch_token(timeout: float | None) -> AccessToken:
        # Credentials are read per token (every ~14 min): the secret is cached 5 minutes and a
        # rotated secret is picked up without a cold start.
        return request_access_token(
            session,
            settings.token_url,
            load_credentials(settings, secrets),
            settings.http_timeout_seconds if timeout is None else timeout,
        )

    return BwpClient(
        session,
        api_url=settings.api_url,
        api_version=settings.api_version,
        tokens=TokenProvider(fetch_token),
        timeout_seconds=settings.http_timeout_seconds,
        backoff=Backoff(
            max_attempts=settings.max_attempts, base_seconds=settings.retry_base_seconds
        ),
    )


def build_recorder(
    settings: Settings, metrics: MetricsSink, dynamodb: Any | None = None
) -> FailureRecorder:
    """Wire the recorder to the API, the failures table and the failures topic."""
    return FailureRecorder(
        lookup=build_client(settings),
        store=FailureStore(
            dynamodb or boto3.client("dynamodb", config=AWS_CLIENT_CONFIG),
            settings.failures_table_name,
            settings.retention_days,
        ),
        publisher=FailurePublisher(
            boto3.client("sns", config=AWS_CLIENT_CONFIG), settings.failures_topic_arn
        ),
        metrics=metrics,
    )
