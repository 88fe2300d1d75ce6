"""What `bwp-privacy cases` prints with --json, a model per subcommand."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bwp_privacy.cases import Case, ClosedAs
from bwp_privacy.task_kinds import TaskKindName
from bwp_privacy_cli.json_output import JsonOut, TargetOut


class CaseRowOut(JsonOut):
    """One case in `cases list`."""

    case_id: str = Field(alias="caseId")
    business_product_id: str = Field(alias="businessProductId")
    kind: TaskKindName = Field(
        description="the request the case carries: a deletion, or a retrieval (access request)"
    )
    state: str
    closed_as: ClosedAs | None = Field(
        alias="closedAs",
        description="for a CLOSED case, how the operator said the request was answered; null"
        " otherwise (and for a case closed before operators said)",
    )
    attempts: int
    bucket: Literal["on time", "due soon", "past due"] | None = Field(
        description="how urgent the open case is by its legal deadline; null once ended"
    )
    legal_due_at: str = Field(
        alias="legalDueAt",
        description="ISO-8601 UTC: the earliest legal deadline in force (extensions applied)",
    )
    days_left: int | None = Field(
        alias="daysLeft",
        description="whole days to the legal deadline in force (negative: past due by that"
        " many); null once ended",
    )
    plan_deadline_at: str = Field(
        alias="planDeadlineAt", description="ISO-8601 UTC: the playbooks' planning deadline"
    )
    plan_days_left: int | None = Field(
        alias="planDaysLeft",
        description="whole days to the playbooks' internal planning deadline (negative: past"
        " it); null once ended",
    )
    next_action: str = Field(alias="nextAction")
    reason: str | None


class BucketCountsOut(JsonOut):
    """How many open cases each bucket holds (all open cases, whatever the filter)."""

    on_time: int = Field(alias="onTime")
    due_soon: int = Field(alias="dueSoon")
    past_due: int = Field(alias="pastDue")


class CasesListOut(JsonOut):
    target: TargetOut
    open_only: bool = Field(alias="openOnly")
    at_risk_only: bool = Field(alias="atRiskOnly", description="--at-risk: due soon and past due")
    due_soon_days: int = Field(
        alias="dueSoonDays",
        description="whole days: an open case with fewer days left than this is due soon",
    )
    cases: list[CaseRowOut]
    count: int
    buckets: BucketCountsOut


class AuditEntryOut(JsonOut):
    """One entry of a case's audit trail (``cases show``)."""

    at: str = Field(description="ISO-8601 UTC")
    actor: str = Field(description="the function, or the operator's AWS identity")
    action: str
    input: str
    outcome: str
    detail: dict[str, str]


class CaseShowOut(JsonOut):
    target: TargetOut
    case: Case = Field(
        description="the case as stored: each of its deadlines[] (and an appeal's) keeps due_at"
        " (the first deadline), extended_due_at (where the law's one extension would move it,"
        " taken or not; null: the law allows none) and extended_at (when it was taken; null:"
        " not taken). legalDueAt is the deadline in force"
    )
    legal_due_at: str = Field(
        alias="legalDueAt",
        description="ISO-8601 UTC: the legal deadline in force (the earliest, extended once"
        " extended); while an appeal is open, the appeal's",
    )
    days_left: int | None = Field(
        alias="daysLeft",
        description="whole days to the legal deadline in force (the earliest, extended once"
        " extended; negative: past due by that many); null once the case ended",
    )
    plan_days_left: int | None = Field(
        alias="planDaysLeft",
        description="whole days to the playbooks' internal planning deadline; null once the"
        " case ended",
    )
    next_action: str = Field(alias="nextAction")
    audit_trail: list[AuditEntryOut] = Field(alias="auditTrail", description="oldest first")


class CasesExportOut(JsonOut):
    """What `cases export -o FILE` wrote (the records themselves are in the file)."""

    target: TargetOut
    since: str = Field(description="ISO-8601 UTC: requests received at or after it")
    until: str | None = Field(
        description="ISO-8601 UTC: and before it (excluded); null: no end (--since alone)"
    )
    year: int | None = Field(
        description="the calendar year (UTC) asked with --year (since and until are its"
        " bounds); null with --since"
    )
    format: Literal["csv", "jsonl"]
    file: str
    count: int = Field(description="records written")


class KindStatsOut(JsonOut):
    """One request type's figures for the year."""

    received: int
    complied: int = Field(
        description="complied with in whole or in part: completed, or nothing held to delete"
        " or retrieve"
    )
    denied: int
    denied_by_basis: dict[Literal["unverifiable", "not-a-consumer", "exempt", "other"], int] = (
        Field(
            alias="deniedByBasis",
            description="denials by CCPA § 7102 ground, every one present; a case denied"
            " before the grounds were recorded counts as other",
        )
    )
    denied_by_reason: dict[str, int] = Field(
        alias="deniedByReason", description="denials by the operator's reason as written"
    )
    cancelled: int = Field(description="closed without an answer: not a response")
    open: int
    median_days_to_respond: int | None = Field(
        alias="medianDaysToRespond",
        description="whole days, receipt to response over complied and denied requests, each"
        " rounded up; an even count's two middle values' mean, rounded up; null: none answered",
    )
    mean_days_to_respond: int | None = Field(
        alias="meanDaysToRespond", description="the same days' mean, rounded up"
    )
    appeals_received: int = Field(alias="appealsReceived")
    appeals_granted: int = Field(
        alias="appealsGranted", description="answered: the request is now complied with"
    )
    appeals_denied: int = Field(alias="appealsDenied", description="answered: the answer stands")
    appeals_withdrawn: int = Field(alias="appealsWithdrawn")
    appeals_open: int = Field(alias="appealsOpen")


class CasesStatsOut(JsonOut):
    target: TargetOut
    year: int = Field(description="requests received in this UTC year")
    by_kind: dict[TaskKindName, KindStatsOut] = Field(alias="byKind")
    file: str | None = Field(description="the CSV written (--format csv -o FILE); else null")


class CaseActionOut(JsonOut):
    """What `cases resubmit|close|extend|link|set-received|appeal` did."""

    target: TargetOut
    case_id: str = Field(alias="caseId")
    action: Literal["resubmit", "close", "extend", "link", "set-received", "appeal"]
    outcome: str = Field(
        description="moved, or unchanged (nothing to do: the case was already as asked, or"
        " had ended: state says how)"
    )
    state: str | None
    task_id: str | None = Field(alias="taskId", description="the task started or linked")
