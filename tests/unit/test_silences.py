"""Silences, pure: matchers held to the labels' grammar, matching the router's labels, when a
silence is active, which cases it may concern, and the law's rule (never past due or due
soon)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from bwp_privacy.cases import Case, CaseState, CaseTask
from bwp_privacy.cases.urgency import Bucket
from bwp_privacy.common import EMAIL_MASK
from bwp_privacy.silences import (
    Silence,
    case_may_be_silenced,
    describe_matchers,
    law_allows_silence,
)
from tests.unit.case_factory import case as make_case

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def open_case(
    case_id: str,
    *,
    due_in_days: float,
    codes: tuple[str, ...] = ("ORDERS_NOT_CLOSED",),
    state: CaseState = CaseState.WAITING,
) -> Case:
    """An open case under the CCPA whose deadline is ``due_in_days`` from `NOW`."""
    received = NOW + timedelta(days=due_in_days) - timedelta(days=45)
    return make_case(
        case_id,
        received=received,
        state=state,
        tasks=(CaseTask(task_id=case_id, attempt=0, outcome="FAILED", error_codes=codes),),
    )


def silence(**fields: Any) -> Silence:
    body: dict[str, Any] = {
        "silenceId": "s0123456789abcdef",
        "match": {"errorCode": "ORDERS_NOT_CLOSED"},
        "startsAt": NOW,
        "endsAt": NOW + timedelta(hours=4),
        "createdBy": "slack:T1/U1",
        "reason": "orders close tonight",
    }
    return Silence.model_validate(body | fields)


def test_matches_every_matcher_among_the_labels_values() -> None:
    quiet = silence(match={"errorCode": "ORDERS_NOT_CLOSED", "severity": "warning"})
    assert quiet.matches({"errorCode": ["OTHER", "ORDERS_NOT_CLOSED"], "severity": ["warning"]})
    assert not quiet.matches({"errorCode": ["ORDERS_NOT_CLOSED"], "severity": ["critical"]})
    assert not quiet.matches({"severity": ["warning"]})


def test_active_from_start_to_end_or_until_expired() -> None:
    quiet = silence()
    assert not quiet.active(NOW - timedelta(seconds=1))
    assert quiet.active(NOW)
    assert not quiet.active(NOW + timedelta(hours=4))
    expired = quiet.model_copy(update={"expired_at": NOW + timedelta(hours=1)})
    assert expired.active(NOW + timedelta(minutes=59))
    assert not expired.active(NOW + timedelta(hours=1))
    assert expired.ended_at == NOW + timedelta(hours=1)


@pytest.mark.parametrize(
    ("match", "why"),
    [
        ({}, "at least 1"),
        ({"errorcode": "X"}, "not a label"),
        ({"errorCode": "orders not closed"}, "errorCode"),
        ({"severity": "urgent"}, "one of critical, info, warning"),
        ({"taskKind": "erasure"}, "taskKind"),
        ({"businessProductId": "-bad"}, "businessProductId"),
        ({f"errorCode{n}": "X" for n in range(6)}, "at most 5"),
    ],
)
def test_matchers_are_held_to_known_labels_and_their_grammar(
    match: dict[str, str], why: str
) -> None:
    with pytest.raises(ValidationError, match=why):
        silence(match=match)


def test_the_reason_is_cleaned_and_must_say_something() -> None:
    assert silence(reason="ask\nbob@example.com").reason == f"ask {EMAIL_MASK}"
    with pytest.raises(ValidationError, match="must hold text"):
        silence(reason=" \x07\t ")


def test_a_silence_ends_after_it_starts() -> None:
    with pytest.raises(ValidationError, match="endsAt"):
        silence(endsAt=NOW)


def test_described_as_the_cli_takes_them() -> None:
    assert (
        describe_matchers({"severity": "warning", "errorCode": "X"})
        == "errorCode=X,severity=warning"
    )


def test_which_open_cases_a_silence_may_concern() -> None:
    quiet = silence(match={"errorCode": "ORDERS_NOT_CLOSED", "severity": "warning"})
    # The severity is the alert's, not the case's: taken as matching.
    assert quiet.may_concern(open_case("c-1", due_in_days=30))
    assert not quiet.may_concern(open_case("c-2", due_in_days=30, codes=("OTHER",)))
    other_product = silence(match={"businessProductId": "bp-2"})
    assert not other_product.may_concern(open_case("c-1", due_in_days=30))


def test_the_law_does_not_pause_past_due_or_due_soon() -> None:
    assert law_allows_silence(NOW - timedelta(hours=1), NOW, 5) is Bucket.PAST_DUE
    assert law_allows_silence(NOW + timedelta(days=4.9), NOW, 5) is Bucket.DUE_SOON
    assert law_allows_silence(NOW + timedelta(days=5), NOW, 5) is None
    assert case_may_be_silenced(open_case("c", due_in_days=30), NOW, 5) is None
    assert case_may_be_silenced(open_case("c", due_in_days=3), NOW, 5) is Bucket.DUE_SOON
    assert case_may_be_silenced(open_case("c", due_in_days=-1), NOW, 5) is Bucket.PAST_DUE
