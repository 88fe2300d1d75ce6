"""`--send-test-alert`: the router as deployed sends one TEST alert to every receiver, and
says what each answered (`bwp_privacy.alerting.drill`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from bwp_privacy.alerting import TEST_ALERT_KEY, TestDelivery
from bwp_privacy_cli.targets import Target


@dataclass(frozen=True)
class TestAlertResult:
    __test__ = False  # not a pytest test class, whatever its name

    id: str
    deliveries: list[TestDelivery]

    @property
    def ok(self) -> bool:
        return all(delivery.delivered for delivery in self.deliveries)


def send_test_alert(target: Target) -> TestAlertResult:
    """Invoke the router with a test alert and read each receiver's answer."""
    alert_id = uuid.uuid4().hex[:12]
    answer = target.invoke_router({TEST_ALERT_KEY: {"id": alert_id}})
    body = answer.get(TEST_ALERT_KEY) or {}
    return TestAlertResult(
        id=alert_id,
        deliveries=[TestDelivery.model_validate(d) for d in body.get("deliveries", [])],
    )
