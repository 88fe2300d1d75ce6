"""The reaction's ``ended`` case notice as the alert router's tests need it: one builder for the
unit, payload and receiver tests."""

from __future__ import annotations

from datetime import datetime

from bwp_privacy.alerting import Alert, Severity
from bwp_privacy.alerting.alert import build_notice_alert
from bwp_privacy.contract import CaseNotice


def ended_notice(
    case_id: str, end_state: str = "COMPLETED", *, completed_task: str = "task-2"
) -> CaseNotice:
    """The notice that ``case_id`` ended (by default: its resubmitted task completed)."""
    return CaseNotice.model_validate(
        {
            "noticeId": f"{case_id}/ended/3",
            "kind": "ended",
            "endState": end_state,
            "caseId": case_id,
            "businessProductId": "bp-1",
            "taskId": completed_task,
            "taskIds": [case_id, completed_task],
            "attempts": 1,
            "reason": f"deletion task {completed_task} completed",
            "advice": "",
            "receivedAt": "2026-10-01T08:00:00Z",
            "planDeadlineAt": "2026-11-15T08:00:00Z",
            "daysLeft": -5.0,
            "deadlines": [],
            "noticedAt": "2026-11-20T12:35:00Z",
        }
    )


def resolved_alert(case_id: str, now: datetime, end_state: str = "COMPLETED") -> Alert:
    """The resolved alert the router makes of ``ended_notice(case_id)``."""
    return build_notice_alert(ended_notice(case_id, end_state), Severity.INFO, now)
