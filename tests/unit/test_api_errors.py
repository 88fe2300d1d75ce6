from typing import Any

import pytest

from bwp_privacy.bwp_api import (
    AccessDeniedApiError,
    ConflictApiError,
    InternalServerApiError,
    ResourceNotFoundApiError,
    ThrottlingApiError,
    UnknownApiError,
    ValidationApiError,
    error_from_graphql,
)


def graphql_error(kind: Any, code: Any = None, message: Any = "boom") -> list[Any]:
    classification: dict[str, Any] = {"type": kind}
    if code is not None:
        classification["code"] = code
    return [{"message": message, "path": ["op"], "extensions": {"classification": classification}}]


@pytest.mark.parametrize(
    ("kind", "cls", "permanent"),
    [
        ("ValidationError", ValidationApiError, True),
        ("ResourceNotFoundError", ResourceNotFoundApiError, True),
        ("AccessDeniedError", AccessDeniedApiError, True),
        ("ThrottlingError", ThrottlingApiError, False),
        ("InternalServerError", InternalServerApiError, False),
        ("ConflictError", ConflictApiError, False),
        ("BrandNewError", UnknownApiError, True),
    ],
)
def test_classification_type_picks_the_exception(kind: str, cls: type, permanent: bool) -> None:
    error = error_from_graphql(graphql_error(kind, code="SomeCode"))
    assert type(error) is cls
    assert error.permanent is permanent
    assert error.code == "SomeCode"
    assert error.classification == kind


@pytest.mark.parametrize(
    "errors",
    [[], [None], [{"message": 3}], [{"extensions": "x"}], [{"extensions": {"classification": 1}}]],
)
def test_malformed_error_arrays_become_unknown_errors(errors: list[Any]) -> None:
    error = error_from_graphql(errors)
    assert type(error) is UnknownApiError
    assert error.message


def test_messages_are_masked_for_emails() -> None:
    error = error_from_graphql(
        graphql_error("ValidationError", message="no data for jane.doe+x@example.co.uk, sorry")
    )
    assert "jane" not in error.message
    assert "example" not in str(error)
    assert error.message == "no data for <email redacted>, sorry"
