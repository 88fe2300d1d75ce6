"""The API credentials: checked against the token endpoint before anything is written, their
privacy permission probed, and kept in the Secrets Manager secret the stack reads.

The client secret lives in a `SecretStr` from the prompt (or stdin) to the secret store: it
is never an argument, never printed, never logged, never written anywhere else.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import requests
from pydantic import ValidationError

from bwp_privacy.bwp_api import (
    AccessDeniedApiError,
    ApiSettings,
    AuthenticationError,
    BwpClient,
    ClientCredentials,
    ResourceNotFoundApiError,
    TokenProvider,
    request_access_token,
)
from bwp_privacy.common import Backoff, BwpPrivacyError
from bwp_privacy.contract import TaskKind

#: What a probe of the privacy permission found.
Permission = Literal["granted", "denied", "unknown"]
#: What writing the secret did.
Written = Literal["created", "updated", "unchanged"]


class CredentialsError(BwpPrivacyError):
    """The credentials were refused, or cannot be read or kept; the message says which."""


@dataclass(frozen=True)
class ApiEndpoints:
    """Where the API is: the stack's own settings, or the defaults before a first deploy."""

    api_url: str
    token_url: str
    api_version: str
    timeout_seconds: float = 10.0

    @classmethod
    def from_env(cls, environment: dict[str, str]) -> ApiEndpoints:
        """From a function's environment (BWP_API_URL...), the defaults where it says nothing."""
        defaults = ApiSettings.model_fields
        return cls(
            api_url=environment.get("BWP_API_URL") or str(defaults["api_url"].default),
            token_url=environment.get("BWP_TOKEN_URL") or str(defaults["token_url"].default),
            api_version=environment.get("BWP_API_VERSION") or str(defaults["api_version"].default),
        )


def connect(endpoints: ApiEndpoints, credentials: ClientCredentials) -> BwpClient:
    """A client whose credentials were just checked: the token endpoint gave it a token
    (kept for its calls: Buy with Prime throttles many token requests in a row). A
    CredentialsError, one line with no secret in it, when it refused them."""
    tokens = _tokens(endpoints, credentials)
    try:
        tokens.get()
    except AuthenticationError as error:
        status = re.search(r"\(HTTP \d+\)", error.message)
        raise CredentialsError(
            f"the token endpoint {endpoints.token_url} refused client id"
            f" {credentials.client_id!r} and its secret{' ' + status[0] if status else ''}:"
            " nothing was written; check both in the merchant console"
        ) from None
    return _client(endpoints, tokens)


def _tokens(endpoints: ApiEndpoints, credentials: ClientCredentials) -> TokenProvider:
    session = requests.Session()
    return TokenProvider(
        lambda timeout: request_access_token(
            session,
            endpoints.token_url,
            credentials,
            endpoints.timeout_seconds if timeout is None else timeout,
        )
    )


def _client(endpoints: ApiEndpoints, tokens: TokenProvider) -> BwpClient:
    return BwpClient(
        requests.Session(),
        api_url=endpoints.api_url,
        api_version=endpoints.api_version,
        tokens=tokens,
        timeout_seconds=endpoints.timeout_seconds,
        backoff=Backoff(max_attempts=3, base_seconds=0.5),
    )


@dataclass(frozen=True)
class Probe:
    """What asking about a task told of the privacy permission, and how it told it."""

    permission: Permission
    detail: str


def probe_privacy_permission(
    client: BwpClient, target_id: str, task: tuple[str, TaskKind] | None = None
) -> Probe:
    """Whether the credentials may read privacy tasks ("Manage Shopper Privacy Requests").

    ``task``, a task of this merchant's (its id and kind), gives a sure answer. Without one an
    unknown id is looked up: not found means granted, but AccessDeniedError is no proof of a
    missing permission, since the API answers so for some unknown ids too."""
    if task is None:
        try:
            client.get_deletion_task(target_id, f"bwp-privacy-doctor-{uuid.uuid4()}")
        except ResourceNotFoundApiError:
            return Probe("granted", "an unknown task id answered not found")
        except AccessDeniedApiError:
            return Probe(
                "unknown",
                "an unknown task id answered AccessDeniedError, which the API answers for some"
                " unknown ids too",
            )
        return Probe("granted", "an unknown task id was answered")
    task_id, kind = task
    try:
        client.get_task(kind, target_id, task_id)
    except ResourceNotFoundApiError:
        return Probe("unknown", f"{kind} task {task_id}, recorded here, is no longer found")
    except AccessDeniedApiError:
        return Probe("denied", f"{kind} task {task_id}, recorded here, answered AccessDeniedError")
    return Probe("granted", f"{kind} task {task_id}, recorded here, was read")


class CredentialsSecret:
    """The Secrets Manager secret the stack reads (BwpCredentialsSecretName)."""

    def __init__(self, client: Any, name: str) -> None:
        self._client = client
        self.name = name

    def read(self) -> ClientCredentials | None:
        """The stored credentials, or None when there is no such secret."""
        try:
            raw = self._client.get_secret_value(SecretId=self.name)["SecretString"]
        except self._client.exceptions.ResourceNotFoundException:
            return None
        try:
            return ClientCredentials.model_validate(json.loads(raw))
        except (ValueError, ValidationError):
            raise CredentialsError(
                f"secret {self.name} is not {{clientId, clientSecret, targetId}} JSON: run"
                " setup with --client-id to replace it"
            ) from None

    def exists(self) -> bool:
        try:
            self._client.describe_secret(SecretId=self.name)
        except self._client.exceptions.ResourceNotFoundException:
            return False
        return True

    def write(self, credentials: ClientCredentials) -> Written:
        """Create the secret, or put a new version when its value changed."""
        value = json.dumps(
            {
                "clientId": credentials.client_id,
                "clientSecret": credentials.client_secret.get_secret_value(),
                "targetId": credentials.target_id,
            }
        )
        if not self.exists():
            self._client.create_secret(
                Name=self.name,
                Description="bwp-privacy: Buy with Prime API credentials (bwp-privacy setup)",
                SecretString=value,
            )
            return "created"
        if self.read() == credentials:
            return "unchanged"  # no new version: a rerun changes nothing
        self._client.put_secret_value(SecretId=self.name, SecretString=value)
        return "updated"
