"""Slack's and PagerDuty's signatures, checked on the raw bytes with an injected clock."""

from __future__ import annotations

import pytest

from bwp_privacy.inbound import (
    SLACK_WINDOW_SECONDS,
    Refused,
    pagerduty_signature,
    slack_signature,
    verify_pagerduty,
    verify_slack,
)
from tests.inbound_requests import (
    NOW,
    PAGERDUTY_NEW_SECRET,
    PAGERDUTY_OLD_SECRET,
    SLACK_SIGNING_SECRET,
)

BODY = b"payload=%7B%22type%22%3A%22block_actions%22%7D"


def _reason(call: object) -> str:
    assert isinstance(call, pytest.ExceptionInfo)
    assert isinstance(call.value, Refused)
    assert call.value.status == 401
    return call.value.reason


def test_slack_signature_is_slacks_documented_example() -> None:
    # api.slack.com "Verifying requests from Slack": the worked example's secret and body.
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
        b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGl"
        b"fmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    signature = slack_signature("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", body)
    assert signature == "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def test_a_slack_request_signed_now_is_taken_within_five_minutes_either_way() -> None:
    for skew in (0, SLACK_WINDOW_SECONDS, -SLACK_WINDOW_SECONDS):
        signature = slack_signature(SLACK_SIGNING_SECRET, str(NOW), BODY)
        verify_slack(SLACK_SIGNING_SECRET, str(NOW), signature, BODY, now=NOW + skew)


@pytest.mark.parametrize("skew", [SLACK_WINDOW_SECONDS + 1, -SLACK_WINDOW_SECONDS - 1, 86400])
def test_a_slack_request_older_or_newer_than_five_minutes_is_stale(skew: int) -> None:
    signature = slack_signature(SLACK_SIGNING_SECRET, str(NOW), BODY)
    with pytest.raises(Refused) as refused:
        verify_slack(SLACK_SIGNING_SECRET, str(NOW), signature, BODY, now=NOW + skew)
    assert _reason(refused) == "stale"


@pytest.mark.parametrize(
    ("timestamp", "signature", "reason"),
    [
        (None, "v0=" + "0" * 64, "missing-signature"),
        (str(NOW), None, "missing-signature"),
        ("", "", "missing-signature"),
        ("soon", "v0=" + "0" * 64, "bad-signature"),
        (str(NOW), "v1=" + "0" * 64, "bad-signature"),
        (str(NOW), "v0=" + "0" * 64, "bad-signature"),
        (str(NOW), "v0=" + "A" * 64, "bad-signature"),
    ],
)
def test_a_missing_or_wrong_slack_signature_is_refused(
    timestamp: str | None, signature: str | None, reason: str
) -> None:
    with pytest.raises(Refused) as refused:
        verify_slack(SLACK_SIGNING_SECRET, timestamp, signature, BODY, now=NOW)
    assert _reason(refused) == reason


def test_a_slack_signature_over_another_body_or_with_another_secret_is_refused() -> None:
    other = slack_signature(SLACK_SIGNING_SECRET, str(NOW), BODY + b"x")
    with pytest.raises(Refused) as refused:
        verify_slack(SLACK_SIGNING_SECRET, str(NOW), other, BODY, now=NOW)
    assert _reason(refused) == "bad-signature"
    forged = slack_signature("not-the-signing-secret-at-all", str(NOW), BODY)
    with pytest.raises(Refused):
        verify_slack(SLACK_SIGNING_SECRET, str(NOW), forged, BODY, now=NOW)
    # The timestamp is signed too: the same signature with another time does not hold.
    signature = slack_signature(SLACK_SIGNING_SECRET, str(NOW), BODY)
    with pytest.raises(Refused):
        verify_slack(SLACK_SIGNING_SECRET, str(NOW + 1), signature, BODY, now=NOW)


def test_pagerduty_any_signature_under_any_secret_is_taken_while_a_secret_rotates() -> None:
    old = pagerduty_signature(PAGERDUTY_OLD_SECRET, BODY)
    new = pagerduty_signature(PAGERDUTY_NEW_SECRET, BODY)
    both = [PAGERDUTY_OLD_SECRET, PAGERDUTY_NEW_SECRET]
    for header in (f"{old},{new}", f"{new}, {old}", old, new):
        verify_pagerduty(both, header, BODY)
    verify_pagerduty([PAGERDUTY_NEW_SECRET], f"{old},{new}", BODY)  # the old one retired


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing-signature"),
        ("", "missing-signature"),
        ("v1=" + "0" * 64, "bad-signature"),
        ("v0=" + "0" * 64, "bad-signature"),
        ("sha256=abc", "bad-signature"),
        (",".join(["v1=" + "0" * 64] * 9), "bad-signature"),
        ("v1=" + "0" * 2000, "bad-signature"),
    ],
)
def test_a_missing_or_wrong_pagerduty_signature_is_refused(header: str | None, reason: str) -> None:
    with pytest.raises(Refused) as refused:
        verify_pagerduty([PAGERDUTY_NEW_SECRET], header, BODY)
    assert _reason(refused) == reason


def test_a_pagerduty_signature_over_another_body_or_a_retired_secret_is_refused() -> None:
    with pytest.raises(Refused):
        verify_pagerduty(
            [PAGERDUTY_NEW_SECRET], pagerduty_signature(PAGERDUTY_NEW_SECRET, BODY + b" "), BODY
        )
    with pytest.raises(Refused):
        verify_pagerduty(
            [PAGERDUTY_NEW_SECRET], pagerduty_signature(PAGERDUTY_OLD_SECRET, BODY), BODY
        )
