"""Pydantic validation errors told in one line, never echoing the input (it may be personal)."""

from __future__ import annotations

from pydantic import ValidationError


def describe_validation_error(
    error: ValidationError, limit: int = 5, *, subject: str = "event"
) -> str:
    """Summarise a pydantic error as 'field: problem' pairs, without echoing input values."""
    problems = [
        f"{'.'.join(str(part) for part in item['loc']) or 'event'}: {item['msg']}"
        for item in error.errors(include_url=False, include_input=False)
    ]
    more = f" (and {len(problems) - limit} more)" if len(problems) > limit else ""
    return f"invalid {subject}: " + "; ".join(problems[:limit]) + more
