# ruff: noqa: PT017  (a property holds either way: asserting on the error is the point)
"""Property-based tests: whatever arrives, the outcome is a parsed value or our own error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bwp_privacy.common import EMAIL_MASK, mask_emails
from bwp_privacy.recorder import (
    InvalidEventError,
    ParsedResource,
    ResourceFormatError,
    TaskRef,
    parse_event,
    parse_resource,
)

SAMPLE = json.loads(
    (Path(__file__).resolve().parents[2] / "events" / "deletion-task-failed.json").read_text()
)
# Deterministic: the same examples on every run and machine (derandomize), bounded in number.
# No deadline per example: a busy machine must not turn a slow example into a failure.
PROPERTIES = settings(
    max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=8) | st.dictionaries(st.text(max_size=20), children, max_size=8)
    ),
    max_leaves=60,
)
ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,40}", fullmatch=True)
keys = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,20}", fullmatch=True)


@PROPERTIES
@given(st.text(max_size=2000))
def test_any_text_is_a_resource_or_our_error(text: str) -> None:
    try:
        parsed = parse_resource(text)
    except ResourceFormatError as error:
        assert str(error)
        assert len(str(error)) < 600  # bounded, whatever the input
        return
    assert isinstance(parsed, ParsedResource)


@PROPERTIES
@given(ids, st.lists(st.tuples(keys, ids), min_size=1, max_size=6))
def test_well_formed_resources_round_trip(
    business_product: str, pairs: list[tuple[str, str]]
) -> None:
    text = "/".join(
        ["businessProduct", business_product, *[part for pair in pairs for part in pair]]
    )
    if len(text) > 1024:
        return
    parsed = parse_resource(text)
    assert parsed.business_product_id == business_product
    assert list(parsed.pairs) == pairs


@PROPERTIES
@given(json_values)
def test_any_json_is_an_event_or_our_error(value: Any) -> None:
    try:
        parse_event(value)
    except InvalidEventError as error:
        assert str(error)


@PROPERTIES
@given(st.sampled_from(sorted(SAMPLE)), json_values)
def test_any_field_replaced_by_any_json_is_an_event_or_our_error(field: str, value: Any) -> None:
    event = {**SAMPLE, field: value}
    try:
        ref = parse_event(event)
    except InvalidEventError as error:
        assert str(error)
        return
    assert isinstance(ref, TaskRef)


@PROPERTIES
@given(
    st.lists(st.text(max_size=300), max_size=60),
    st.text(min_size=0, max_size=5000),
)
def test_huge_arrays_and_long_strings_are_bounded(resources: list[str], long_text: str) -> None:
    event = {**SAMPLE, "resources": resources, "id": long_text, "replay-name": long_text}
    try:
        parse_event(event)
    except InvalidEventError as error:
        assert len(str(error)) < 2000


@PROPERTIES
@given(st.emails(), st.text(max_size=200), st.text(max_size=200))
def test_every_email_in_a_message_is_masked(email: str, before: str, after: str) -> None:
    masked = mask_emails(f"{before} {email} {after}")
    assert email not in masked
    assert EMAIL_MASK in masked
