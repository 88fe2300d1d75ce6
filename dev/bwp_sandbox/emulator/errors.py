"""Buy with Prime GraphQL errors: classification types and the documented error shape."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

# classification.type -> (errorType, errorCode); the docs show neither for the last three.
CLASSIFICATIONS: dict[str, tuple[str, int] | None] = {
    "ValidationError": ("ValidationException", 400),
    "ResourceNotFoundError": ("ResourceNotFoundException", 404),
    "AccessDeniedError": ("AccessDeniedException", 403),
    "ThrottlingError": None,
    "InternalServerError": None,
    "ConflictError": None,
}

NOT_FOUND_MESSAGE = "Request references a resource which does not exist."
INTERNAL_MESSAGE = "An internal error occurred. Try again later."


class BwpError(Exception):
    """An error a resolver answers with, classified as Buy with Prime does."""

    def __init__(self, type_: str, message: str, code: str | None = None) -> None:
        if type_ not in CLASSIFICATIONS:
            raise ValueError(f"unknown classification type {type_!r}")
        super().__init__(message)
        self.type = type_
        self.message = message
        self.code = code

    def classification(self) -> dict[str, Any]:
        """The ``extensions.classification`` object."""
        result: dict[str, Any] = {"type": self.type}
        if self.code is not None:
            result["code"] = self.code
        error_type = CLASSIFICATIONS[self.type]
        if error_type is not None:
            result["errorType"], result["errorCode"] = error_type
        return result


def not_found() -> BwpError:
    """The documented answer for an unknown task."""
    return BwpError("ResourceNotFoundError", NOT_FOUND_MESSAGE)


def invalid_input(message: str, code: str = "UnspecifiedError") -> BwpError:
    """A ValidationError for bad input."""
    return BwpError("ValidationError", message, code)


def format_error(error: GraphQLError) -> dict[str, Any]:
    """Render a graphql-core error in the Buy with Prime shape.

    Errors without a BwpError cause are query problems (no path: syntax, validation,
    variables) or resolver bugs (with a path), which must not leak their message.
    """
    cause = error.original_error
    if isinstance(cause, BwpError):
        bwp = cause
    elif error.path is None:
        bwp = invalid_input(error.message)
    else:
        bwp = BwpError("InternalServerError", INTERNAL_MESSAGE)
    result: dict[str, Any] = {"message": bwp.message}
    if error.locations:
        result["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path is not None:
        result["path"] = list(error.path)
    result["extensions"] = {"classification": bwp.classification()}
    return result
