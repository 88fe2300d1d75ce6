"""Pydantic validation errors told in words, never echoing the input (it may be personal).

Every boundary (settings, events, routes, API answers, secrets, an operator's request) reads
its input with pydantic; `validation_problems` is the one place that turns a ValidationError
into (field path, problem) pairs, and each boundary says them in its own sentence.

Pydantic's own words can carry the input in two places, and neither is passed on as it is:
a location may name what the input chose (a dict's key, an unknown field's name: kept only
when it is a plain name, else a fixed word), and a message may quote it (a discriminated
union's ``union_tag_invalid`` quotes the tag it found: said with the allowed tags only; a
validator's own message may quote whatever it was given: cleaned as outside text is).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from bwp_privacy.common.text import clean_text

#: A location part kept as it is: a field's name or alias, a discriminated union's tag, an
#: environment variable, a config key (``holding_period_days``, ``detail-type``,
#: ``set-received``, ``BWP_API_URL``, ``ORDERS_NOT_CLOSED``). Such a part may still be the
#: input's own (a dict key, an unknown field: naming it is what makes a typo findable), but
#: it is then only letters, digits, ``_`` and ``-``: no address, markup, control or path.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")
#: Where a dict's key failed (pydantic's marker after the key).
_KEY_MARKER = "[key]"
#: What stands for a location part that is not a name: an input's key we do not repeat, or
#: one of pydantic's labels for a union member (``function-after[…]``), which read no better.
KEY_WORD = "<key>"
#: What of a problem's message is kept (pydantic's are short; a validator's may quote).
MESSAGE_LIMIT = 300


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
            message=_message(item["type"], item["msg"], item.get("ctx") or {}),
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


def _message(kind: str, message: str, context: dict[str, Any]) -> str:
    if kind == "union_tag_invalid":
        # Pydantic's message quotes the tag the input gave: the allowed ones say as much.
        return f"{context.get('discriminator', 'the tag')} should be one of" + (
            f" {context['expected_tags']}" if "expected_tags" in context else " the expected tags"
        )
    # A validator's ValueError (and a few of pydantic's, such as a UUID's "found `x`") may
    # quote the input: masked, on one line and bounded like any text from outside.
    return clean_text(message.removeprefix("Value error, "), MESSAGE_LIMIT)


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
            continue
        name = part if part == _KEY_MARKER or _NAME.fullmatch(part) else KEY_WORD
        path = f"{path}.{name}" if path else name
    return path
