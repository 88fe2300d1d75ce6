"""A validation error told in words (`describe_validation_error`, `validation_problems`) never
repeats what the input chose: not a discriminated union's tag, not a key of a dict, not the
name of a field the model does not have, unless that is a plain name; and a validator's own
message that quotes its input is masked and on one line. Every boundary says its problems
through these (an operator's request, an event, a config file, a secret, settings)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pytest
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from bwp_privacy.common import (
    EMAIL_MASK,
    describe_validation_error,
    validation_problems,
)

VICTIM = "bob.victim@shop.test"
#: Nothing of these may be in a message: the address's parts, a control or bidi character.
CANARIES = ("bob.victim", "shop.test", "\u202e", "\x1b", "\n", "\x00")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Close(_Strict):
    action: Literal["close"]
    reason: str


class Extend(_Strict):
    action: Literal["extend"]
    days: int


def _echoing(text: str) -> str:
    # A validator that says what it was given, as a careless one would.
    raise ValueError(f"not allowed: {text}")


class Request(_Strict):
    step: Annotated[Close | Extend, Field(discriminator="action")]
    labels: dict[Annotated[str, Field(pattern=r"^[a-z]+$")], Annotated[str, Field(max_length=3)]]
    note: Annotated[str, AfterValidator(_echoing)] = "ok"


def _error(raw: dict[str, Any]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Request.model_validate(raw)
    return caught.value


def _assert_clean(text: str) -> None:
    leaked = [canary for canary in CANARIES if canary in text]
    assert leaked == [], (leaked, text)


def test_a_union_tag_that_matches_none_is_said_with_the_allowed_ones_only() -> None:
    error = _error({"step": {"action": f"\u202e{VICTIM}\x1b[2J"}, "labels": {}})
    described = describe_validation_error(error, subject="request")
    _assert_clean(described)
    assert described == "invalid request: step: 'action' should be one of 'close', 'extend'"


def test_an_unknown_fields_name_and_a_dicts_key_are_a_fixed_word_unless_plain_names() -> None:
    error = _error(
        {
            "step": {"action": "close", "reason": "r", VICTIM: 1, "actor": "x"},
            "labels": {VICTIM: "long value", "ok": "v", "Bad\u202eKey": "v"},
            f"\x1b]8;;https://evil.test\x1b\\{VICTIM}": 1,
        }
    )
    problems = [(p.path, p.message) for p in validation_problems(error)]
    for path, message in problems:
        _assert_clean(path)
        _assert_clean(message)
    assert problems == [
        ("step.close.<key>", "Extra inputs are not permitted"),
        # A plain name is kept: it is what makes a typo in a file findable.
        ("step.close.actor", "Extra inputs are not permitted"),
        ("labels.<key>.[key]", "String should match pattern '^[a-z]+$'"),
        ("labels.<key>", "String should have at most 3 characters"),
        ("labels.<key>.[key]", "String should match pattern '^[a-z]+$'"),
        ("<key>", "Extra inputs are not permitted"),
    ]


def test_a_validators_message_that_quotes_its_input_is_masked_on_one_line() -> None:
    error = _error(
        {
            "step": {"action": "extend", "days": 1},
            "labels": {},
            "note": f"first\n\u202esecond {VICTIM}\x1b[2J",
        }
    )
    [problem] = validation_problems(error)
    assert problem.path == "note"
    assert problem.message == f"not allowed: first second {EMAIL_MASK}[2J"


def test_a_validators_message_is_bounded() -> None:
    error = _error({"step": {"action": "extend", "days": 1}, "labels": {}, "note": "x " * 5000})
    [problem] = validation_problems(error)
    assert len(problem.message) <= 300


def test_schema_names_and_pydantics_own_words_are_kept() -> None:
    error = _error({"step": {"action": "extend", "days": "many"}, "labels": {"ab": "abcd"}})
    assert describe_validation_error(error) == (
        "invalid event: step.extend.days: Input should be a valid integer, unable to parse"
        " string as an integer; labels.ab: String should have at most 3 characters"
    )
    missing = _error({})
    assert [(p.path, p.missing) for p in validation_problems(missing)] == [
        ("step", True),
        ("labels", True),
    ]
