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
