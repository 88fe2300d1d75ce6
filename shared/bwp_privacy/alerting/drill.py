"""A drill (`bwp-privacy doctor --send-test-alert`): one alert marked TEST, of no case and no
shopper, sent straight to every receiver the stack deploys, each answer reported.

It goes through the router as deployed (its role, its secrets, its network path and each
receiver's own rendering) but not through the routing tree, the ledger or the audit trail:
it belongs to no case. A receiver where a firing alert opens something that stays open (a
PagerDuty incident) gets the test's resolve right after, so that no one is left with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bwp_privacy.alerting.alert import Alert, AlertStatus, Runbook, Severity
from bwp_privacy.alerting.delivery import ANSWER_LIMIT, DeliveryError, Group, Receiver
from bwp_privacy.alerting.receivers import RECEIVERS
from bwp_privacy.common import Budget, BwpPrivacyError, clean_text
from bwp_privacy.contract import LookupStatus

#: The key of a test alert's input to AlertRouterFunction (an SQS batch has "Records").
TEST_ALERT_KEY = "bwpPrivacyTestAlert"
TEST_CODE = "TEST"


class InvalidTestAlert(BwpPrivacyError, ValueError):
    """The input names a test alert but is not a valid one."""


class TestAlertRequest(BaseModel):
    """``{"bwpPrivacyTestAlert": {"id": ...}}``: the id marks the alert and its case."""

    __test__ = False  # not a pytest test class, whatever its name
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9-]{1,64}$")

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> TestAlertRequest:
        try:
            return cls.model_validate(event[TEST_ALERT_KEY])
        except ValidationError:
            raise InvalidTestAlert(
                f"{TEST_ALERT_KEY} must be {{'id': 1 to 64 letters, digits or -}}"
            ) from None


class TestDelivery(BaseModel):
    """One receiver's answer to the test alert."""

    __test__ = False
    model_config = ConfigDict(frozen=True)

    receiver: str
    delivered: bool
    answer: str


def is_test_alert(event: Any) -> bool:
    """Whether a router input is a test alert (and not an SQS batch)."""
    return isinstance(event, dict) and TEST_ALERT_KEY in event and "Records" not in event


def build_test_alert(request: TestAlertRequest, now: datetime, status: AlertStatus) -> Alert:
    """The test alert: TEST everywhere a case's alert names its task, its code and its why."""
    name = f"test-{request.id}"
    return Alert(
        status=status,
        case_id=name,
        transition=f"test/{request.id}",
        task_id=name,
        business_product_id="test",
        event_id=request.id,
        detail_type="BWP_PRIVACY_TEST_ALERT",
        error_codes=[TEST_CODE],
        errors=[],
        task_status=None,
        lookup_status=LookupStatus.OK,
        lookup_error=None,
        submission_date=None,
        submitted_days_ago=None,
        deadlines="A test alert: no privacy request, no deadline.",
        deadlines_brief="test alert: no deadline",
        severity=Severity.INFO,
        runbooks=[
            Runbook(
                code=TEST_CODE,
                text="Sent by `bwp-privacy doctor --send-test-alert`: nothing to do. It reached"
                " you, so this receiver works.",
            )
        ],
        inspect=["bwp-privacy doctor"],
        received_at=now.isoformat().replace("+00:00", "Z"),
        headline=f"TEST alert {request.id} from bwp-privacy doctor: this receiver works,"
        " nothing to do",
    )


def send_test_alert(
    receivers: Mapping[str, Callable[[], Receiver]],
    request: TestAlertRequest,
    budget: Budget,
    now: datetime,
) -> list[TestDelivery]:
    """Send the test alert to each receiver (built here, so that one whose secret cannot be
    read answers for itself); one answer per receiver, in the registry's order."""
    firing = build_test_alert(request, now, AlertStatus.FIRING)
    resolved = build_test_alert(request, now, AlertStatus.RESOLVED)
    group = Group(route="test")
    answers = []
    for name, build in receivers.items():
        try:
            receiver = build()
            receiver.deliver([firing], group, budget=budget)
            answer = "accepted"
            spec = RECEIVERS.get(name)
            if spec is not None and spec.keeps_incidents:
                receiver.deliver([resolved], group, budget=budget)
                answer = "accepted, and resolved at once"
        except DeliveryError as error:
            answers.append(
                TestDelivery(receiver=name, delivered=False, answer=_shown(error.reason))
            )
            continue
        except Exception as error:  # a secret that cannot be read, an AWS error: its own answer
            answers.append(TestDelivery(receiver=name, delivered=False, answer=_shown(str(error))))
            continue
        answers.append(TestDelivery(receiver=name, delivered=True, answer=answer))
    return answers


def _shown(text: str) -> str:
    """A receiver's answer as one masked, bounded line."""
    return clean_text(text, ANSWER_LIMIT) or "refused"
