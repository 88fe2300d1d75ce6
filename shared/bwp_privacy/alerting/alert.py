"""The alert: a failure enriched with severity, runbook, regulatory clocks and next steps."""

from __future__ import annotations

import calendar
import hashlib
from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

# The severity is the catalogue's (one entry per error code); alerts carry it.
from bwp_privacy.catalogue import Severity as Severity
from bwp_privacy.common import mask_emails, parse_iso, plain_day, standing
from bwp_privacy.contract import CaseNotice, LookupStatus, TaskError, TaskFailure

CCPA_DAYS = 45


class AlertStatus(StrEnum):
    """Alertmanager's two states: the case needs attention, or its cause is gone."""

    FIRING = "firing"
    RESOLVED = "resolved"


#: The transition of an ended case: one resolve per (receiver, case).
RESOLVED_TRANSITION = "resolved"
#: The prefix of a task's failure (``failed/<task id>``): once per task and case.
FAILED_TRANSITION = "failed/"


class Runbook(BaseModel):
    """What to do about one error code (or a failed lookup)."""

    model_config = ConfigDict(frozen=True)

    code: str
    text: str
    url: str | None = None


class CaseStanding(BaseModel):
    """Where the alert's case stands, as the cases table held it when the router read it:
    what the receivers need to offer only the actions the reaction would carry out (Slack's
    buttons) and to say what on-call must not miss (an incident resolved by hand while the
    request is still open)."""

    model_config = ConfigDict(frozen=True)

    #: The case's state (``WAITING``, ``ESCALATED``, ``CLOSED`` …).
    state: str
    ended: bool
    #: The legal deadline in force (ISO 8601, UTC): the earliest, extensions applied; while an
    #: appeal is open, the appeal's.
    due_at: str
    #: The jurisdictions whose deadline may still be extended (once, before it passes), in
    #: the case's order.
    extendable: tuple[str, ...] = ()
    #: Whether an operator's resubmission may start now (the case waits or is escalated).
    may_resubmit: bool = False
    #: The error codes the case's latest failed task failed with: what a silence of "this
    #: error code" means on a case notice, whose own code (CASE_ESCALATED) is every case's.
    error_codes: tuple[str, ...] = ()
    #: When PagerDuty's incident of the case was resolved by hand (ISO 8601), while the case
    #: stays open: the legal clock, not the page, says when the request is answered.
    incident_resolved_by_hand: str | None = None
    #: The last move a person made on the case (``CLOSED by slack:T…/U…, 2026-…``): the
    #: case's message says who did what, whether from Slack or the CLI.
    last_action: str | None = None


class Alert(BaseModel):
    """Everything a receiver needs to tell on-call what failed and what to do. No PII."""

    model_config = ConfigDict(frozen=True)

    #: ``firing`` while the case needs attention, ``resolved`` once it ended.
    status: AlertStatus
    #: The case the alert is about: its incident, thread and ledger entry in every receiver.
    case_id: str
    #: What moved the case (``failed/<task>``, ``notice/<id>``, ``resolved``): the ledger
    #: sends each transition of a case once per receiver.
    transition: str
    task_kind: str = "deletion"
    task_id: str
    business_product_id: str
    event_id: str
    detail_type: str
    error_codes: list[str]
    errors: list[TaskError]
    #: The task's errors not in ``errors`` (the recorder keeps only the first ones).
    errors_omitted: int = 0
    task_status: str | None
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
    #: For a case notice (an escalation, an announcement, an end): the one line that says
    #: what happened, in place of the failure's.
    headline: str | None = None
    #: How the case ended, on a resolved alert (COMPLETED, NOTHING_TO_DELETE, CLOSED).
    end_state: str | None = None
    #: The case as the router read it in the cases table (`CaseStanding`), when it did: a
    #: Slack bot draws the buttons that fit it; None when the case was not read (no cases
    #: table, a case the reaction has not written yet, a read that failed).
    case: CaseStanding | None = None
    #: On a ``silence-ended`` notice's alert: the silence that ended. Sent only to the
    #: receivers where that silence muted an alert of the case (the ledger knows).
    silence_ended: str | None = None
    #: Why a silence did not mute this alert (the case is past due or due soon: the law does
    #: not pause); receivers show it beside the deadlines.
    silence_note: str | None = None

    @property
    def silence_brief(self) -> str:
        """The few words a line of a grouped message gives `silence_note` (empty: none)."""
        return " — not silenced: the law does not pause" if self.silence_note else ""

    @property
    def fingerprint(self) -> str:
        """Stable per case, as Alertmanager's: every alert of one case has the same one."""
        return hashlib.sha256(self.case_id.encode()).hexdigest()[:16]

    @property
    def resolved(self) -> bool:
        return self.status is AlertStatus.RESOLVED

    def labels(self) -> dict[str, list[str]]:
        """Values route matchers and group_by see; errorCode is multi-valued."""
        return {
            "errorCode": list(self.error_codes),
            "businessProductId": [self.business_product_id],
            "lookupStatus": [self.lookup_status.value],
            "severity": [self.severity.value],
            "detailType": [self.detail_type],
            "taskKind": [self.task_kind],
        }

    @property
    def summary(self) -> str:
        """One line: severity (or RESOLVED), what failed or ended, why."""
        why = (
            ", ".join(self.error_codes)
            if self.lookup_status is LookupStatus.OK
            else (f"lookup {self.lookup_status.value}")
        )
        level = "RESOLVED" if self.resolved else self.severity.value.upper()
        if self.headline:
            return f"[{level}] {self.headline}"
        of_case = "" if self.case_id == self.task_id else f" of case {self.case_id}"
        return (
            f"[{level}] Personal-data {self.task_kind} failed: task {self.task_id}{of_case} ({why})"
        )


def build_alert(
    failure: TaskFailure,
    severity: Severity,
    runbooks: list[Runbook],
    now: datetime,
    case_id: str | None = None,
) -> Alert:
    """Combine a published failure with its severity and runbooks at time ``now``; the alert
    belongs to ``case_id`` (the case that started the task), else to the task's own case."""
    submitted = parse_iso(failure.submission_date)
    days_ago = (now.date() - submitted.date()).days if submitted else None
    lookup = failure.lookup
    # The recorder masks what it publishes; every free-text field is masked again here, so no
    # receiver can get an email whatever wrote the message.
    return Alert(
        status=AlertStatus.FIRING,
        case_id=case_id or failure.task_id,
        transition=FAILED_TRANSITION + failure.task_id,
        task_kind=failure.task_kind,
        task_id=failure.task_id,
        business_product_id=failure.business_product_id,
        event_id=failure.event_id,
        detail_type=failure.detail_type,
        error_codes=failure.error_codes,
        errors=[TaskError(code=e.code, message=mask_emails(e.message)) for e in failure.errors],
        errors_omitted=failure.errors_omitted,
        task_status=failure.status,
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


_NOTICE_WHAT = {
    "escalated": "escalated",
    "resubmission-due": "resubmission due",
    "silence-ended": "is no longer silenced",
    "COMPLETED": "completed",
    "NOTHING_TO_DELETE": "ended: nothing to delete",
    "NOTHING_TO_RETRIEVE": "ended: nothing to retrieve",
    "CLOSED": "closed",
}


def build_notice_alert(notice: CaseNotice, severity: Severity, now: datetime) -> Alert:
    """A case notice as an alert: the case's escalation (or a due resubmission in announce
    mode), what a person should do, and where its deadlines stand; an ended case's notice is
    the resolved alert of its incident."""
    submitted = parse_iso(notice.received_at)
    days_ago = (now.date() - submitted.date()).days if submitted else None
    due = _legal_due_at(notice)
    ended = notice.kind == "ended"
    what = _NOTICE_WHAT[notice.end_state or "CLOSED"] if ended else _NOTICE_WHAT[notice.kind]
    # The deadline named is the one the law holds the merchant to, in whole days: never the
    # playbooks' internal planning deadline.
    runbook = (
        f"{notice.reason}."
        if ended or due is None
        else f"{notice.reason} (legal deadline {plain_day(due)}: {standing(due, now)}). "
        f"{notice.advice}"
    )
    return Alert(
        status=AlertStatus.RESOLVED if ended else AlertStatus.FIRING,
        case_id=notice.case_id,
        transition=RESOLVED_TRANSITION if ended else f"notice/{notice.notice_id}",
        task_kind=notice.task_kind,
        end_state=notice.end_state,
        silence_ended=notice.silence_id if notice.kind == "silence-ended" else None,
        task_id=notice.task_id,
        business_product_id=notice.business_product_id,
        event_id=notice.notice_id,
        detail_type=notice.code,
        error_codes=[notice.code],
        errors=[],
        task_status=None,
        lookup_status=LookupStatus.OK,
        lookup_error=None,
        submission_date=notice.received_at,
        submitted_days_ago=days_ago,
        deadlines=_case_deadlines(notice, now, brief=False),
        deadlines_brief=_case_deadlines(notice, now, brief=True),
        severity=severity,
        runbooks=[Runbook(code=notice.code, text=mask_emails(runbook))],
        inspect=[f"bwp-privacy cases show {notice.case_id}"],
        received_at=notice.noticed_at,
        headline=mask_emails(
            f"{notice.task_kind.capitalize()} case {notice.case_id} {what}: {notice.reason}"
        )[:300],
    )


def _legal_due_at(notice: CaseNotice) -> datetime | None:
    """The notice's legal deadline in force: as sent (1.2), or the earliest in force its
    deadlines say (1.1: extended ones told apart by nothing, so the first deadlines)."""
    if notice.legal_due_at is not None:
        return parse_iso(notice.legal_due_at)
    found = [parse_iso(d.due_at) for d in notice.deadlines]
    return min((due for due in found if due is not None), default=None)


def _case_deadlines(notice: CaseNotice, now: datetime, *, brief: bool) -> str:
    """The case's own deadlines, one per law that applies to it (not the CCPA and GDPR
    guess a failure alert makes before any case exists): each in force, extended or not."""
    parts = []
    for deadline in notice.deadlines:
        extended = deadline.extended_at is not None
        due = parse_iso(deadline.extended_due_at if extended else deadline.due_at)
        if due is None:
            continue
        how = " (extended)" if extended else ""
        parts.append(f"{deadline.jurisdiction} {plain_day(due)}{how}: {standing(due, now)}")
    if not parts:
        return "no deadline known: check the case (`bwp-privacy cases show CASE`)"
    if brief:
        return " · ".join(parts)
    return f"Received {notice.received_at[:10]}. Legal deadlines: " + "; ".join(parts) + "."


def first_legal_due(alert: Alert) -> datetime | None:
    """The earliest legal deadline a failure's own fields give before any case exists: its
    submission date and the shortest first period (GDPR's month, before the CCPA's 45 days)."""
    submitted = parse_iso(alert.submission_date)
    if submitted is None:
        return None
    return datetime.combine(_add_month(submitted.date()), submitted.timetz())


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
