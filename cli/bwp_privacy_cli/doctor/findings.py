"""What a check finds: one line each, PASS, WARN or FAIL, with the fix for the last two."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    PASS = "PASS"  # noqa: S105 (a check that passed, not a password)
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Finding:
    """One line of the doctor's report."""

    check: str
    status: Status
    detail: str
    #: What to do about a WARN or a FAIL.
    fix: str | None = None


def passed(check: str, detail: str) -> Finding:
    return Finding(check, Status.PASS, detail)


def warned(check: str, detail: str, fix: str) -> Finding:
    return Finding(check, Status.WARN, detail, fix)


def failed(check: str, detail: str, fix: str) -> Finding:
    return Finding(check, Status.FAIL, detail, fix)


def aws_reason(error: Exception) -> str:
    """An AWS or validation error in one bounded line (it names fields and resources, never
    values)."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        detail = response.get("Error", {})
        operation = getattr(error, "operation_name", "")
        message = detail.get("Message") or detail.get("Code") or type(error).__name__
        return f"AWS {operation}: {message}"[:300] if operation else str(message)[:300]
    lines = str(error).splitlines()
    return (lines[0] if lines else type(error).__name__)[:300]
