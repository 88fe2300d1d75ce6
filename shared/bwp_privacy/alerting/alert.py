"""The alert: a failure enriched with severity, runbook, regulatory clocks and next steps."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bwp_privacy.common import mask_emails, parse_iso
from bwp_privacy.contract import CaseNotice, DeletionFailure, LookupStatus, TaskError

CCPA_DAYS = 45


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"critical": 3, "warning": 2, "info": 1}[self.value]


class Runbook(BaseModel):
    """What to do about one error code (or a failed lookup)."""

    model_config = ConfigDict(frozen=True)

    code: str
    text: str
    url: str | None = None


class Alert(BaseModel):
    """Everything a receiver needs to tell on-call what failed and what to do. No PII."""

    model_config = ConfigDict(frozen=True)

    task_id: str
    business_product_id: str
    event_id: str
    detail_type: str
    error_codes: list[str]
    errors: list[TaskError]
    status: str | None
    lookup_status: LookupStatus
    lookup_error: str | None
    submission_date: str | None
    submitted_days_ago: int | None
    deadlines: str
    #: The same standing in a few words, for one line of a grouped message.
    deadlines_brief: str
    severity: Severity
    runbooks: list[Runbook]
    inspect: list[str]
    received_at: str
    replay_name: str | None = None
    #: Set for a case notice (the reaction's escalation or announcement): its case and the
    #: one line that says what happened, in place of the failure's.
    case_id: str | None = None
    headline: str | None = None
    #: What the delivery ledger keys exactly-once on: the task for a failure (its repeats
    #: within the repeat window are one alert), the notice id for a case notice.
    delivery_key: str = ""

    @property
    def key(self) -> str:
        return self.delivery_key or self.task_id

    def labels(self) -> dict[str, list[str]]:
        """Values route matchers and group_by see; errorCode is multi-valued."""
        return {
            "errorCode": list(self.error_codes),
            "businessProductId": [self.business_product_id],
            "lookupStatus": [self.lookup_status.value],
            "severity": [self.severity.value],
            "detailType": [self.detail_type],
        }

    @property
    def summary(self) -> str:
        """One line: severity, what failed, why."""
        why = (
            ", ".join(self.error_codes)
            if self.lookup_status is LookupStatus.OK
            else (f"lookup {self.lookup_status.value}")
        )
        level = self.severity.value.upper()
        if self.headline:
            return f"[{level}] {self.headline}"
        return f"[{level}] Personal-data deletion failed: task {self.task_id} ({why})"


def build_alert(
    failure: DeletionFailure, severity: Severity, runbooks: list[Runbook], now: datetime
) -> Alert:
    """Combine a published failure with its severity and runbooks at time ``now``."""
    submitted = parse_iso(failure.submission_date)
    days_ago = (now.date() - submitted.date()).days if submitted else None
    lookup = failure.lookup
    # The recorder masks what it publishes; every free-text field is masked again here, so no
    # receiver can get an email whatever wrote the message.
    return Alert(
        task_id=failure.task_id,
        business_product_id=failure.business_product_id,
        event_id=failure.event_id,
        detail_type=failure.detail_type,
        error_codes=failure.error_codes,
        errors=[TaskError(code=e.code, message=mask_emails(e.message)) for e in failure.errors],
        status=failure.status,
        lookup_status=lookup.status,
        lookup_error=None
        if lookup.status is LookupStatus.OK
        else mask_emails(f"{lookup.error_type or 'error'}: {lookup.message or 'no message'}"),
        submission_date=failure.submission_date,
        submitted_days_ago=days_ago,
        deadlines=describe_deadlines(submitted.date() if submitted else None, now.date()),
        deadlines_brief=brief_deadlines(submitted.date() if submitted else None, now.date()),
        severity=severity,
        runbooks=runbooks,
        inspect=[
            f"bwp-privacy task show {failure.task_id}"
            f" --business-product-id {failure.business_product_id}",
            f"bwp-privacy failures show {failure.task_id}",
        ],
        received_at=failure.received_at,
        replay_name=failure.replay_name,
    )


def build_notice_alert(notice: CaseNotice, severity: Severity, now: datetime) -> Alert:
    """A case notice as an alert: the case's escalation (or a due resubmission in announce
    mode), what a person should do, and where its deadlines stand."""
    submitted = parse_iso(notice.received_at)
    days_ago = (now.date() - submitted.date()).days if submitted else None
    left = notice.days_left
    standing = f"{left:g} days left" if left >= 0 else f"{-left:g} days past due"
    what = "escalated" if notice.kind == "escalated" else "resubmission due"
    return Alert(
        task_id=notice.task_id,
        business_product_id=notice.business_product_id,
        event_id=notice.notice_id,
        detail_type=notice.code,
        error_codes=[notice.code],
        errors=[],
        status=None,
        lookup_status=LookupStatus.OK,
        lookup_error=None,
        submission_date=notice.received_at,
        submitted_days_ago=days_ago,
        deadlines=describe_deadlines(submitted.date() if submitted else None, now.date()),
        deadlines_brief=brief_deadlines(submitted.date() if submitted else None, now.date()),
        severity=severity,
        runbooks=[
            Runbook(
                code=notice.code,
                text=mask_emails(
                    f"{notice.reason} ({standing} to the planned deadline "
                    f"{notice.plan_deadline_at[:10]}). {notice.advice}"
                ),
            )
        ],
        inspect=[f"bwp-privacy cases show {notice.case_id}"],
        received_at=notice.noticed_at,
        case_id=notice.case_id,
        headline=mask_emails(f"Deletion case {notice.case_id} {what}: {notice.reason}")[:300],
        delivery_key=f"notice/{notice.notice_id}",
    )


def describe_deadlines(submitted: date | None, today: date) -> str:
    """Where the request stands against CCPA's 45 days and GDPR's one month."""
    if submitted is None:
        return "Submission date unknown: check the regulatory deadlines by hand."
    ccpa = submitted + timedelta(days=CCPA_DAYS)
    gdpr = _add_month(submitted)
    return (
        f"Submitted {submitted.isoformat()} ({(today - submitted).days} days ago). "
        f"CCPA 45 days: {_standing(ccpa, today)}. GDPR one month: {_standing(gdpr, today)}."
    )


def brief_deadlines(submitted: date | None, today: date) -> str:
    """`describe_deadlines` in a few words: one line of a grouped message carries it whole."""
    if submitted is None:
        return "submission date unknown: check the deadlines by hand"
    ccpa = submitted + timedelta(days=CCPA_DAYS)
    gdpr = _add_month(submitted)
    return (
        f"submitted {(today - submitted).days} days ago · CCPA {_brief(ccpa, today)}"
        f" · GDPR {_brief(gdpr, today)}"
    )


def _brief(deadline: date, today: date) -> str:
    left = (deadline - today).days
    if left < 0:
        return f"past due since {deadline.isoformat()}"
    return f"due {deadline.isoformat()} ({'1 day' if left == 1 else f'{left} days'} left)"


def _standing(deadline: date, today: date) -> str:
    """Before the deadline: when it falls, and that an extension must be noticed by then (both
    laws require the notice within the first period). After it: past due, nothing else."""
    left = (deadline - today).days
    if left < 0:
        return f"past due since {deadline.isoformat()} ({-left} days ago)"
    days = "1 day" if left == 1 else f"{left} days"
    return f"due {deadline.isoformat()} ({days} left; an extension must be noticed by then)"


def _add_month(day: date) -> date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )
