"""An escalated case's alert names the deadline the law holds the merchant to (issue 25): the
legal deadline in force, in a plain date and whole days, and the case's own deadlines per law,
never the playbooks' planning deadline or a fraction of a day."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bwp_privacy.alerting import Severity
from bwp_privacy.alerting.alert import build_notice_alert
from bwp_privacy.contract import CaseNotice

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _escalated(**changes: Any) -> CaseNotice:
    body: dict[str, Any] = {
        "noticeId": "case-1/escalated/4",
        "kind": "escalated",
        "caseId": "case-1",
        "businessProductId": "bp-1",
        "taskId": "case-1",
        "taskIds": ["case-1"],
        "attempts": 0,
        "reason": "the next attempt would come too late",
        "advice": "Answer the shopper outside Buy with Prime.",
        "receivedAt": "2026-10-02T09:12:44Z",
        "planDeadlineAt": "2026-12-31T09:12:44Z",
        "daysLeft": 24.9,
        "legalDueAt": "2026-11-16T09:12:44Z",
        "deadlines": [
            {
                "jurisdiction": "ccpa",
                "dueAt": "2026-11-16T09:12:44Z",
                "extendedDueAt": "2026-12-31T09:12:44Z",
            },
            {
                "jurisdiction": "gdpr",
                "dueAt": "2026-11-02T09:12:44Z",
                "extendedDueAt": "2027-01-02T09:12:44Z",
                "extendedAt": "2026-10-20T10:00:00Z",
            },
        ],
        "noticedAt": "2026-12-06T12:00:00Z",
    }
    body.update(changes)
    return CaseNotice.model_validate(body)


def test_the_runbook_names_the_legal_deadline_in_force_in_whole_days() -> None:
    alert = build_notice_alert(_escalated(), Severity.CRITICAL, NOW)
    assert alert.runbooks[0].text == (
        "the next attempt would come too late (legal deadline 16 Nov 2026: past due by 20"
        " days). Answer the shopper outside Buy with Prime."
    )
    assert "31 Dec" not in alert.runbooks[0].text  # the planning deadline is not the law's


def test_the_deadlines_are_the_cases_own_per_law_extended_ones_as_extended() -> None:
    alert = build_notice_alert(_escalated(), Severity.CRITICAL, NOW)
    assert alert.deadlines == (
        "Received 2026-10-02. Legal deadlines: ccpa 16 Nov 2026: past due by 20 days;"
        " gdpr 2 Jan 2027 (extended): 27 days left."
    )
    assert alert.deadlines_brief == (
        "ccpa 16 Nov 2026: past due by 20 days · gdpr 2 Jan 2027 (extended): 27 days left"
    )


def test_a_notice_of_version_1_1_counts_by_its_earliest_first_deadline() -> None:
    old = _escalated(legalDueAt=None, schemaVersion="1.1")
    alert = build_notice_alert(old, Severity.CRITICAL, NOW)
    assert "(legal deadline 2 Nov 2026: past due by 34 days)" in alert.runbooks[0].text
