"""The test alert (`doctor --send-test-alert`): told apart from an SQS batch, marked TEST, one
answer per receiver whatever the others do, each answer one masked bounded line, and a
PagerDuty incident resolved as soon as it is opened."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import pytest

from bwp_privacy.alerting import (
    TEST_ALERT_KEY,
    Alert,
    DeliveryError,
    Group,
    Receiver,
    TestAlertRequest,
    is_test_alert,
    send_test_alert,
)
from bwp_privacy.alerting.delivery import Threads
from bwp_privacy.alerting.drill import InvalidTestAlert
from bwp_privacy.common import Budget

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
REQUEST = TestAlertRequest(id="abc123")


class Recording:
    """A receiver that keeps what it is given, or refuses it."""

    grouped = False
    send_resolved = True

    def __init__(self, name: str, refusal: str | None = None) -> None:
        self.name = name
        self.refusal = refusal
        self.alerts: list[Alert] = []

    def deliver(
        self,
        alerts: Sequence[Alert],
        group: Group,
        *,
        budget: Budget,
        threads: Threads | None = None,
    ) -> Threads | None:
        if self.refusal is not None:
            raise DeliveryError(self.name, self.refusal, retryable=False)
        self.alerts.extend(alerts)
        return None


def built(receiver: Recording) -> Callable[[], Receiver]:
    return lambda: receiver


def test_a_test_alert_is_told_apart_from_a_batch() -> None:
    assert is_test_alert({TEST_ALERT_KEY: {"id": "x"}})
    assert not is_test_alert({"Records": []})
    assert not is_test_alert({"Records": [], TEST_ALERT_KEY: {"id": "x"}})
    assert not is_test_alert(None)
    with pytest.raises(InvalidTestAlert, match="1 to 64 letters"):
        TestAlertRequest.from_event({TEST_ALERT_KEY: {"id": "<script>"}})
    with pytest.raises(InvalidTestAlert):
        TestAlertRequest.from_event({TEST_ALERT_KEY: {"id": "x", "text": "more"}})


def test_each_receiver_answers_for_itself() -> None:
    slack = Recording("slack")
    teams = Recording("teams", refusal="HTTP 403: \x1b[2Jowner jane.doe@example.com\nsecond line")

    def unreadable() -> Receiver:
        raise RuntimeError("secret bwp-privacy/webhook is missing or has invalid fields: url")

    answers = send_test_alert(
        {"slack": built(slack), "teams": built(teams), "webhook": unreadable},
        REQUEST,
        Budget(None, 0),
        NOW,
    )
    assert [(a.receiver, a.delivered) for a in answers] == [
        ("slack", True),
        ("teams", False),
        ("webhook", False),
    ]
    assert answers[0].answer == "accepted"
    refused = answers[1].answer
    assert refused.startswith("HTTP 403:")
    assert "\x1b" not in refused
    assert "\n" not in refused
    assert "jane.doe@example.com" not in refused
    assert "invalid fields: url" in answers[2].answer
    [alert] = slack.alerts
    assert (
        alert.summary == "[INFO] TEST alert abc123 from bwp-privacy doctor: this receiver"
        " works, nothing to do"
    )
    assert alert.error_codes == ["TEST"]
    assert alert.case_id == "test-abc123"


def test_a_pagerduty_incident_is_resolved_as_soon_as_it_is_opened() -> None:
    pagerduty = Recording("pagerduty")
    [answer] = send_test_alert({"pagerduty": built(pagerduty)}, REQUEST, Budget(None, 0), NOW)
    assert answer.answer == "accepted, and resolved at once"
    assert [a.status.value for a in pagerduty.alerts] == ["firing", "resolved"]
    assert pagerduty.alerts[0].fingerprint == pagerduty.alerts[1].fingerprint
