# ruff: noqa: PT017  (a property holds either way: asserting on the error is the point)
"""The payload parsers: Slack's form and its two payload types, PagerDuty's v3 deliveries.
Whatever the bytes, the outcome is a parsed payload, an ignored event or our own refusal
(a fuzz test, seeded), never another exception."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bwp_privacy.contract.inbound import SLACK_RESUBMIT
from bwp_privacy.inbound import (
    BlockActions,
    IgnoredEvent,
    Refused,
    ViewSubmission,
    button_request,
    close_submission,
    parse_pagerduty_body,
    parse_slack_body,
)
from bwp_privacy.inbound.slack_actions import ModalErrors
from tests.inbound_requests import block_actions, close_submitted, pagerduty_event, slack_form

PROPERTIES = settings(
    max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=20), children, max_size=6)
    ),
    max_leaves=40,
)


def _mutated(document: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    """``document`` with the value at ``path`` (as deep as it goes) replaced by ``value``."""
    copy: dict[str, Any] = json.loads(json.dumps(document))
    node = copy
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            break
        node = node[key]
    node[path[-1] if path else "type"] = value
    return copy


def _slack_outcome(body: bytes) -> None:
    try:
        payload = parse_slack_body(body)
    except Refused as refused:
        assert refused.status == 400
        assert refused.reason in ("malformed", "unknown-action")
        return
    try:
        if isinstance(payload, BlockActions):
            button_request(payload.actions[0])
        else:
            close_submission(payload)
    except (Refused, ModalErrors):
        return


def _pagerduty_outcome(body: bytes) -> None:
    try:
        parse_pagerduty_body(body)
    except Refused as refused:
        assert refused.reason in ("malformed", "foreign-incident")
    except IgnoredEvent:
        pass


def test_the_slack_payloads_parse() -> None:
    press = parse_slack_body(slack_form(block_actions(SLACK_RESUBMIT, "case-1")))
    assert isinstance(press, BlockActions)
    assert press.actions[0].value == "case-1"
    submitted = parse_slack_body(slack_form(close_submitted("case-1", "completed", "why")))
    assert isinstance(submitted, ViewSubmission)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"payload=",
        b"payload=null",
        b"payload=%5B%5D",
        b"payload=" + b"%5B" * 5000,
        b"payload=a&payload=b",
        b"payload=%7B%7D&other=1",
        b"\xff\xfe",
        b"payload=%7B%22type%22%3A%22shortcut%22%7D",
        b"&&&&&&&&&&&&",
    ],
)
def test_bodies_that_are_not_slacks_form_are_refused(body: bytes) -> None:
    with pytest.raises(Refused) as refused:
        parse_slack_body(body)
    assert refused.value.status == 400


@PROPERTIES
@given(st.binary(max_size=400))
def test_any_bytes_as_slack_form_end_in_a_payload_or_a_refusal(body: bytes) -> None:
    _slack_outcome(body)


@PROPERTIES
@given(
    st.sampled_from(
        [
            block_actions(SLACK_RESUBMIT, "case-1"),
            close_submitted("case-1", "denied", "why", "exempt"),
        ]
    ),
    st.lists(
        st.sampled_from(
            [
                "type",
                "team",
                "user",
                "id",
                "actions",
                "view",
                "state",
                "values",
                "value",
                "private_metadata",
                "callback_id",
                "action_id",
                "response_url",
                "trigger_id",
            ]
        ),
        min_size=1,
        max_size=4,
    ),
    json_values,
)
def test_any_slack_payload_mutated_ends_in_a_request_or_a_refusal(
    payload: dict[str, Any], path: list[str], value: Any
) -> None:
    _slack_outcome(urlencode({"payload": json.dumps(_mutated(payload, path, value))}).encode())


@PROPERTIES
@given(st.binary(max_size=400))
def test_any_bytes_as_a_pagerduty_webhook_end_in_an_event_or_a_refusal(body: bytes) -> None:
    _pagerduty_outcome(body)


@PROPERTIES
@given(
    st.sampled_from(
        ["incident.acknowledged", "incident.annotated", "incident.resolved", "service.updated"]
    ),
    st.lists(
        st.sampled_from(
            [
                "event",
                "id",
                "event_type",
                "resource_type",
                "occurred_at",
                "agent",
                "data",
                "incident",
                "incident_key",
                "assignees",
                "content",
            ]
        ),
        min_size=1,
        max_size=4,
    ),
    json_values,
)
def test_any_pagerduty_delivery_mutated_ends_in_an_event_or_a_refusal(
    event_type: str, path: list[str], value: Any
) -> None:
    document = _mutated(pagerduty_event(event_type), path, value)
    _pagerduty_outcome(json.dumps(document).encode())


def test_json_nested_too_deeply_is_malformed_not_a_crash() -> None:
    with pytest.raises(Refused) as refused:
        parse_pagerduty_body(b"[" * 100_000)
    assert refused.value.reason == "malformed"


def test_an_annotation_without_its_incident_s_key_is_queued_with_the_incident_alone() -> None:
    """PagerDuty's incident_note names the incident by id only: the reaction finds its case."""
    document = pagerduty_event("incident.annotated")
    document["event"]["data"]["incident"].pop("incident_key", None)
    event = parse_pagerduty_body(json.dumps(document).encode())
    assert (event.case_id, event.incident_id) == (None, document["event"]["data"]["incident"]["id"])


def test_an_incident_event_without_its_key_is_a_foreign_incident() -> None:
    document = pagerduty_event("incident.acknowledged")
    document["event"]["data"].pop("incident_key", None)
    with pytest.raises(Refused) as refused:
        parse_pagerduty_body(json.dumps(document).encode())
    assert refused.value.reason == "foreign-incident"


def test_an_annotation_is_bounded_and_masked_where_it_enters() -> None:
    document = pagerduty_event("incident.annotated")
    document["event"]["data"]["content"] = "mail a.b@example.com\u202e " + "x" * 5000
    event = parse_pagerduty_body(json.dumps(document).encode())
    assert event.note is not None
    assert len(event.note) <= 1000
    assert "a.b@example.com" not in event.note
    assert "\u202e" not in event.note
