"""Typed errors of the Buy with Prime API, mapped from `extensions.classification.type`.

An error is where the API's error text comes in: its message is masked, put on one line and
bounded, its classification's type and code held to their grammars, here and only here."""

from __future__ import annotations

import re
from typing import Any

from bwp_privacy.common import BwpPrivacyError, RetryableError, clean_text, held_to
from bwp_privacy.contract import UNRECOGNISED_CODE

#: What of an API error's message is kept.
MESSAGE_LIMIT = 500
#: A classification's type, as the API names them (``ValidationError``, ``ThrottlingError``).
CLASSIFICATION_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
#: A type that does not fit `CLASSIFICATION_TYPE`: its text is not kept.
UNRECOGNISED_CLASSIFICATION = "UnrecognisedClassification"
#: A classification's code (``InvalidInput``, ``SubscriptionAlreadyExists``, an HTTP status);
#: one that does not fit is kept as `UNRECOGNISED_CODE`, without its text.
CLASSIFICATION_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class BwpApiError(BwpPrivacyError):
    """An error answered by (or on the way to) the Buy with Prime API.

    ``message`` has email addresses masked (API messages may quote the data subject), is one
    line and at most `MESSAGE_LIMIT` characters; ``code`` fits `CLASSIFICATION_CODE`.
    """

    classification = "UnknownError"
    #: A lookup that fails with a permanent error is recorded for a person to look at.
    permanent = True

    def __init__(self, message: str, *, code: str | None = None) -> None:
        # Outside text, shown in logs, alerts and a terminal, and kept in the failure record.
        self.message = clean_text(message, MESSAGE_LIMIT)
        self.code = None if code is None else held_to(code, CLASSIFICATION_CODE, UNRECOGNISED_CODE)
        super().__init__(self.message)


class ValidationApiError(BwpApiError):
    classification = "ValidationError"


class ResourceNotFoundApiError(BwpApiError):
    classification = "ResourceNotFoundError"


class AccessDeniedApiError(BwpApiError):
    classification = "AccessDeniedError"


class UnknownApiError(BwpApiError):
    """A classification this client does not know: recorded, so a person looks at it."""


class TransientApiError(BwpApiError, RetryableError):
    """Worth retrying: throttling, server errors, timeouts, broken connections."""

    classification = "TransientError"
    permanent = False

    def __init__(
        self, message: str, *, code: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class ThrottlingApiError(TransientApiError):
    classification = "ThrottlingError"


class InternalServerApiError(TransientApiError):
    classification = "InternalServerError"


class ConflictApiError(TransientApiError):
    classification = "ConflictError"


class AuthenticationError(BwpApiError):
    """The token endpoint refused the credentials: a configuration problem.

    Not permanent for the task: raising keeps the event (OnFailure) for a redrive once the
    credentials are fixed.
    """

    classification = "AuthenticationError"
    permanent = False


_BY_CLASSIFICATION: dict[str, type[BwpApiError]] = {
    cls.classification: cls
    for cls in (
        ValidationApiError,
        ResourceNotFoundApiError,
        AccessDeniedApiError,
        ThrottlingApiError,
        InternalServerApiError,
        ConflictApiError,
    )
}


def error_from_graphql(errors: list[Any]) -> BwpApiError:
    """Build the typed error for the first item of a GraphQL `errors` array."""
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    extensions = first.get("extensions")
    classification = extensions.get("classification") if isinstance(extensions, dict) else None
    if not isinstance(classification, dict):
        classification = {}
    kind = classification.get("type")
    code = classification.get("code")
    message = first.get("message")
    cls = (
        _BY_CLASSIFICATION.get(kind, UnknownApiError) if isinstance(kind, str) else UnknownApiError
    )
    error = cls(
        message if isinstance(message, str) else "GraphQL error without a message",
        code=code if isinstance(code, str) else None,
    )
    if cls is UnknownApiError and isinstance(kind, str):
        error.classification = held_to(kind, CLASSIFICATION_TYPE, UNRECOGNISED_CLASSIFICATION)
    return error
