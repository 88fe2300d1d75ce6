"""IAM policy evaluation for identity-based policies, as AWS documents it.

One request (an action on one resource, with its condition context) against a role's
statements: an explicit Deny wins, then any Allow, otherwise the implicit deny. Actions match
case-insensitively, resources case-sensitively, both with the ``*`` and ``?`` wildcards;
``NotAction``/``NotResource`` and the condition operators this project can meet are supported.
A condition on a key the request does not carry does not hold (``…IfExists`` aside), as in IAM.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any


class PolicyError(ValueError):
    """A statement this evaluator cannot read (an unknown operator, a malformed element)."""


class Effect(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


@dataclass(frozen=True)
class Statement:
    """One statement of an identity-based policy, with where it came from."""

    effect: Effect
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    conditions: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    sid: str | None = None
    policy: str = ""

    @classmethod
    def parse(cls, raw: Mapping[str, Any], policy: str = "") -> Statement:
        """A statement from its JSON form (strings or lists, as IAM accepts both)."""
        try:
            effect = Effect(raw["Effect"])
        except (KeyError, ValueError):
            raise PolicyError(f"{policy}: statement without a valid Effect: {raw}") from None
        conditions = {
            operator: {key: _strings(value) for key, value in block.items()}
            for operator, block in (raw.get("Condition") or {}).items()
        }
        statement = cls(
            effect=effect,
            actions=_strings(raw.get("Action")),
            not_actions=_strings(raw.get("NotAction")),
            resources=_strings(raw.get("Resource")),
            not_resources=_strings(raw.get("NotResource")),
            conditions=conditions,
            sid=raw.get("Sid"),
            policy=policy,
        )
        if bool(statement.actions) == bool(statement.not_actions):
            raise PolicyError(f"{statement.name}: needs exactly one of Action and NotAction")
        if bool(statement.resources) == bool(statement.not_resources):
            raise PolicyError(f"{statement.name}: needs exactly one of Resource and NotResource")
        for operator in conditions:
            _operator(operator)  # unknown operators fail when the role is read, not later
        return statement

    @property
    def name(self) -> str:
        """How a person finds it: the policy and the Sid (or the statement's actions)."""
        label = self.sid or ",".join(self.actions or self.not_actions)
        return f"{self.policy}/{label}" if self.policy else label

    def applies(self, action: str, resource: str, context: Mapping[str, str]) -> bool:
        """Whether this statement covers the request (its effect aside)."""
        if self.actions and not any(_action_matches(p, action) for p in self.actions):
            return False
        if self.not_actions and any(_action_matches(p, action) for p in self.not_actions):
            return False
        if self.resources and not any(arn_matches(p, resource) for p in self.resources):
            return False
        if self.not_resources and any(arn_matches(p, resource) for p in self.not_resources):
            return False
        return all(
            _condition_holds(operator, key, values, context)
            for operator, block in self.conditions.items()
            for key, values in block.items()
        )


@dataclass(frozen=True)
class Decision:
    """The outcome and the statement that decided it (None for the implicit deny)."""

    allowed: bool
    statement: Statement | None
    explicit_deny: bool = False


def evaluate(
    statements: Sequence[Statement], action: str, resource: str, context: Mapping[str, str]
) -> Decision:
    """Evaluate one request: explicit Deny, then Allow, then the implicit deny."""
    allowing: Statement | None = None
    for statement in statements:
        if not statement.applies(action, resource, context):
            continue
        if statement.effect is Effect.DENY:
            return Decision(allowed=False, statement=statement, explicit_deny=True)
        allowing = allowing or statement
    return Decision(allowed=allowing is not None, statement=allowing)


def arn_matches(pattern: str, arn: str) -> bool:
    """IAM's ARN match: six colon-separated fields, wildcards within each (the last may hold
    colons and slashes); a bare ``*`` matches everything."""
    if pattern == "*":
        return True
    wanted = pattern.split(":", 5)
    actual = arn.split(":", 5)
    if len(wanted) != len(actual):
        return False
    return all(_glob(w, a, ignore_case=False) for w, a in zip(wanted, actual, strict=True))


def _action_matches(pattern: str, action: str) -> bool:
    return _glob(pattern, action, ignore_case=True)


def _glob(pattern: str, value: str, *, ignore_case: bool) -> bool:
    regex = _compiled(pattern, ignore_case)
    return regex.fullmatch(value) is not None


@lru_cache(maxsize=4096)
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    # Not fnmatch: it would read [...] as a character class, which IAM does not have.
    parts = [".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern]
    return re.compile("".join(parts), re.IGNORECASE if ignore_case else 0)


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(v, str | bool | int) for v in value):
        return tuple(str(v).lower() if isinstance(v, bool) else str(v) for v in value)
    if isinstance(value, bool):
        return (str(value).lower(),)
    raise PolicyError(f"expected a string or a list of strings, got {value!r}")


_STRING_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda want, got: want == got,
    "StringNotEquals": lambda want, got: want != got,
    "StringEqualsIgnoreCase": lambda want, got: want.lower() == got.lower(),
    "StringNotEqualsIgnoreCase": lambda want, got: want.lower() != got.lower(),
    "StringLike": lambda want, got: _glob(want, got, ignore_case=False),
    "StringNotLike": lambda want, got: not _glob(want, got, ignore_case=False),
    "ArnEquals": lambda want, got: want == got,
    "ArnNotEquals": lambda want, got: want != got,
    "ArnLike": arn_matches,
    "ArnNotLike": lambda want, got: not arn_matches(want, got),
    "Bool": lambda want, got: want.lower() == got.lower(),
}
#: Negated operators: the request must match none of the values (IAM's "not" semantics).
_NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "ArnNotEquals",
    "ArnNotLike",
}


def _operator(name: str) -> tuple[str, bool]:
    """(base operator, if-exists) of a condition operator; unknown ones are refused."""
    base = name.removeprefix("ForAnyValue:").removeprefix("ForAllValues:")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    if base != "Null" and base not in _STRING_OPERATORS:
        raise PolicyError(f"condition operator {name} is not supported by the local IAM")
    return base, if_exists


def _condition_holds(
    operator: str, key: str, values: tuple[str, ...], context: Mapping[str, str]
) -> bool:
    base, if_exists = _operator(operator)
    present = _context_value(context, key)
    if base == "Null":
        wants_missing = values[0].lower() == "true"
        return (present is None) == wants_missing
    if present is None:
        return if_exists
    test = _STRING_OPERATORS[base]
    if base in _NEGATED:
        return all(test(value, present) for value in values)
    return any(test(value, present) for value in values)


def _context_value(context: Mapping[str, str], key: str) -> str | None:
    # Condition keys are case-insensitive in IAM.
    lowered = key.lower()
    return next((v for k, v in context.items() if k.lower() == lowered), None)
