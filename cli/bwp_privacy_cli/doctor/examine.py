"""Every check, in the order a person reads them (the stack, events in, the API, alerts out,
operations), each on its own: one that cannot run says why as a WARN and the others go on."""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError
from requests import RequestException

from bwp_privacy.common import BwpPrivacyError
from bwp_privacy_cli.doctor.api import api_checks
from bwp_privacy_cli.doctor.findings import Finding, aws_reason, warned
from bwp_privacy_cli.doctor.inbound import inbound_checks
from bwp_privacy_cli.doctor.intake import partner_source, rules
from bwp_privacy_cli.doctor.operations import (
    alarms,
    concurrency,
    dead_letter_queues,
    last_failure,
    operator_url,
    schedule_group,
)
from bwp_privacy_cli.doctor.receivers import receiver_checks
from bwp_privacy_cli.doctor.stack import stack_complete
from bwp_privacy_cli.doctor.view import StackView

Check = Callable[[StackView], list[Finding]]

CHECKS: tuple[tuple[str, Check], ...] = (
    ("stack", stack_complete),
    ("partner event source", partner_source),
    ("rules", rules),
    ("credentials", api_checks),
    ("receivers", receiver_checks),
    ("inbound", inbound_checks),
    ("schedule group", schedule_group),
    ("operator URL", operator_url),
    ("alarms", alarms),
    ("dead-letter queues", dead_letter_queues),
    ("last failure", last_failure),
    ("concurrency", concurrency),
)


def examine(
    view: StackView,
    report: Callable[[Finding], object] = lambda _: None,
    only: tuple[str, ...] | None = None,
) -> list[Finding]:
    """Run every check (or ``only`` those named); each finding is told to ``report`` as it
    comes."""
    findings = []
    for name, check in CHECKS:
        if only is not None and name not in only:
            continue
        try:
            found = check(view)
        except (ClientError, BotoCoreError, BwpPrivacyError, RequestException) as error:
            # AWS or the API refused or did not answer: this check only. A bug is not caught.
            found = [
                warned(
                    name,
                    f"could not check: {aws_reason(error)}",
                    "check that your AWS credentials may read the stack, then run doctor again",
                )
            ]
        for finding in found:
            report(finding)
        findings += found
    return findings
