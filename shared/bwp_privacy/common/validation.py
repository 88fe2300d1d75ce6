"""Pydantic validation errors told in words, never echoing the input (it may be personal).

Every boundary (settings, events, routes, API answers, secrets) reads its input with
pydantic; `validation_problems` is the one place that turns a ValidationError into
(field path, problem) pairs, and each boundary says them in its own sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input: where (a dotted path, ``[n]`` for list items) and what."""

    path: str
    message: str
    missing: bool


def validation_problems(error: ValidationError) -> list[Problem]:
    """The problems of ``error``, in order, without the input values."""
    return [
        Problem(
            path=_path(item["loc"]),
            message=item["msg"].removeprefix("Value error, "),
            missing=item["type"] == "missing",
        )
        for item in error.errors(include_url=False, include_input=False)
    ]


def describe_validation_error(
    error: ValidationError, limit: int = 5, *, subject: str = "event"
) -> str:
    """``invalid SUBJECT: path: problem; …`` on one line, at most ``limit`` problems."""
    problems = [f"{p.path or subject}: {p.message}" for p in validation_problems(error)]
    more = f" (and {len(problems) - limit} more)" if len(problems) > limit else ""
    return f"invalid {subject}: " + "; ".join(problems[:limit]) + more


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path
