"""`bwp-privacy doctor`: a deployed stack (or the sandbox) checked end to end, one line a
check, PASS, WARN or FAIL with its fix; and a TEST alert through the router as deployed."""

from bwp_privacy_cli.doctor.examine import CHECKS, examine
from bwp_privacy_cli.doctor.findings import Finding, Status
from bwp_privacy_cli.doctor.sending import TestAlertResult, send_test_alert
from bwp_privacy_cli.doctor.view import StackView

__all__ = [
    "CHECKS",
    "Finding",
    "StackView",
    "Status",
    "TestAlertResult",
    "examine",
    "send_test_alert",
]
