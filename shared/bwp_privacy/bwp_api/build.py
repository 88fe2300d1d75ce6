"""A ready API client from settings: what a function builds once, at cold start."""

from __future__ import annotations

from typing import Any

import requests

from bwp_privacy.api_budget import build_pacers
from bwp_privacy.bwp_api.client import BwpClient, take_slot
from bwp_privacy.bwp_api.credentials import load_credentials
from bwp_privacy.bwp_api.settings import ApiSettings
from bwp_privacy.bwp_api.token import AccessToken, TokenProvider, request_access_token
from bwp_privacy.common import Backoff, JsonSecrets, aws_client


def build_client(
    settings: ApiSettings, secrets: JsonSecrets | None = None, *, dynamodb: Any | None = None
) -> BwpClient:
    """A GraphQL client whose token cache and connections live as long as the process.

    The credentials secret is read through ``secrets`` (a new reader when none is given and
    the settings name a secret); the API budget's table through ``dynamodb`` (the function's
    own client: a second one would be made at every cold start for nothing).
    """
    session = requests.Session()
    if secrets is None and settings.credentials_secret_id:
        secrets = JsonSecrets(aws_client("secretsmanager"))
    table = settings.budget_table_name
    if table and dynamodb is None:
        dynamodb = aws_client("dynamodb")
    pacer, token_pacer = build_pacers(table, settings.requests_per_second, dynamodb)

    def pace_token(within: float | None) -> None:
        # Environments that start together would each ask for a token at once: the token
        # requests are paced fleet-wide, and each is a request of the budget too.
        take_slot(token_pacer, within)
        take_slot(pacer, within)

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
        tokens=TokenProvider(fetch_token, pace=pace_token),
        pacer=pacer,
        timeout_seconds=settings.http_timeout_seconds,
        backoff=Backoff(
            max_attempts=settings.max_attempts, base_seconds=settings.retry_base_seconds
        ),
    )
