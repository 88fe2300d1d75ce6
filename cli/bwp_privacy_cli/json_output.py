"""What each command prints with --json, as models: the types are the documented ones
(integers, null, ISO-8601 UTC), and `schemas/` holds their JSON Schemas (`make cli-schemas`)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bwp_privacy.cases import Case, ClosedAs
from bwp_privacy.contract import TaskFailure


class _Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class TargetOut(_Out):
    """Where the command acted: the sandbox, or a deployed stack in a region."""

    env: str
    stack: str | None
    region: str | None


class StoredFailure(TaskFailure):
    """A stored failure: the published message (schema 1.x, every key, nulls kept) and what
    the failures table adds to it."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    codes: list[str] = Field(alias="errorCodes")
    received_day: str = Field(alias="receivedDay")
    expires_at: str = Field(alias="expiresAt", description="ISO-8601 UTC: when TTL removes it")
    published_at: str | None = Field(alias="publishedAt")
    message_id: str | None = Field(alias="messageId")

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> StoredFailure:
        """A failures-table item (as the store reads it) in the documented types."""
        values = {key: _plain(value) for key, value in item.items()}
        values.pop("primaryErrorCode", None)
        values["expiresAt"] = iso_from_epoch(values.get("expiresAt"))
        values.setdefault("publishedAt", None)
        values.setdefault("messageId", None)
        return cls.model_validate(values)


class FailuresListOut(_Out):
    target: TargetOut
    since: str
    days: int = Field(description="how many days of the ByReceivedDay index were read")
    failures: list[StoredFailure]
    count: int


class FailuresShowOut(_Out):
    target: TargetOut
    task_id: str = Field(alias="taskId")
    events: int = Field(description="stored events of the task (one failure each)")
    failures: list[StoredFailure] = Field(description="the latest first; all with --all")


class RunEffect(_Out):
    """What one run of the handler did (or found already done) for an event."""

    stored: bool
    published: bool
    message_id: str | None = Field(alias="messageId")


class CaseEffectOut(_Out):
    """What ReactionFunction did with a COMPLETED event."""

    outcome: str = Field(
        description="moved (its case completed), kept (no case holds the task yet: applied when "
        "one links it) or unchanged"
    )
    case_id: str | None = Field(alias="caseId")
    state: str | None = Field(description="the case's state after it")


class ReplayResultOut(_Out):
    origin: str
    outcome: Literal[
        "published", "stored", "duplicate", "reacted", "looked-up", "rejected", "failed", "held"
    ] = Field(
        description="FAILED events go to RecorderFunction (published, stored, duplicate), "
        "COMPLETED events to ReactionFunction (reacted), as the template's rules route them"
    )
    detail: str
    task_id: str | None = Field(alias="taskId")
    event_id: str | None = Field(alias="eventId")
    this_run: RunEffect | None = Field(alias="thisRun", description="null when nothing ran")
    earlier: RunEffect | None = Field(description="for a duplicate: what an earlier run did")
    failure: TaskFailure | None = Field(description="a dry run's failure message")
    held_until: str | None = Field(alias="heldUntil", description="ISO-8601 UTC, for held")
    case: CaseEffectOut | None = Field(
        description="for a COMPLETED event: what the reaction did with it"
    )


class ReplayOut(_Out):
    target: TargetOut
    results: list[ReplayResultOut]
    summary: dict[str, int]
    done: int
    total: int
    interrupted: bool


class DlqMessageOut(_Out):
    queue: Literal["rule-dlq", "on-failure", "router-dlq", "reaction-dlq", "schedule-dlq"]
    message_id: str = Field(alias="messageId")
    sent_at: str | None = Field(alias="sentAt", description="ISO-8601 UTC")
    task_id: str | None = Field(alias="taskId")
    event_id: str | None = Field(alias="eventId")
    reason: str
    receiver: str | None = Field(description="router-dlq: the receiver that refused it")


class DlqListOut(_Out):
    target: TargetOut
    messages: list[DlqMessageOut]
    count: int


class DlqRedrivenOut(DlqMessageOut):
    redriven: bool
    detail: str


class DlqRedriveOut(_Out):
    target: TargetOut
    results: list[DlqRedrivenOut]
    redriven: int
    kept: int


class DlqDiscardOut(_Out):
    target: TargetOut
    removed: list[DlqMessageOut]
    count: int


class TaskErrorOut(_Out):
    code: str | None
    message: str


class TaskShowOut(_Out):
    target: TargetOut
    business_product_id: str = Field(alias="businessProductId")
    task_id: str = Field(alias="taskId")
    kind: Literal["deletion", "retrieval"]
    status: str
    submission_date: str | None = Field(alias="submissionDate")
    last_updated_date: str | None = Field(alias="lastUpdatedDate")
    holding_period: int | None = Field(alias="holdingPeriod", description="null for a retrieval")
    errors: list[TaskErrorOut]


class TaskCancelOut(_Out):
    target: TargetOut
    task_id: str = Field(alias="taskId")
    cancelled: bool


class ArchiveReplayOut(_Out):
    target: TargetOut
    replay: str
    state: str | None
    reason: str | None
    replayed: int | None = Field(
        description="events the replay delivered to the function (null on a deployed stack:"
        " EventBridge does not count them)"
    )
    delivered: list[ReplayResultOut]


class RouteOut(_Out):
    sample: str
    error_codes: list[str] = Field(alias="errorCodes")
    lookup_status: str = Field(alias="lookupStatus")
    severity: str
    route: str
    receivers: list[str]
    group_by: list[str] = Field(alias="groupBy")
    repeat_window_seconds: int = Field(alias="repeatWindowSeconds")
    #: The route's receivers that also get the resolve when the case ends.
    send_resolved: list[str] = Field(alias="sendResolved")


class RoutesCheckOut(_Out):
    file: str
    valid: bool
    routing: list[RouteOut]


class SandboxStatusOut(_Out):
    running: bool
    pid: int | None = None
    aws: str | None = None
    emulator: str | None = None
    state_file: str = Field(alias="stateFile")


class SandboxStopOut(_Out):
    stopped: bool
    pid: int | None


class CaseRowOut(_Out):
    """One case in `cases list`."""

    case_id: str = Field(alias="caseId")
    business_product_id: str = Field(alias="businessProductId")
    kind: Literal["deletion", "retrieval"] = Field(
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


class BucketCountsOut(_Out):
    """How many open cases each bucket holds (all open cases, whatever the filter)."""

    on_time: int = Field(alias="onTime")
    due_soon: int = Field(alias="dueSoon")
    past_due: int = Field(alias="pastDue")


class CasesListOut(_Out):
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


class AuditEntryOut(_Out):
    """One entry of a case's audit trail (``cases show``)."""

    at: str = Field(description="ISO-8601 UTC")
    actor: str = Field(description="the function, or the operator's AWS identity")
    action: str
    input: str
    outcome: str
    detail: dict[str, str]


class CaseShowOut(_Out):
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


class CasesExportOut(_Out):
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


class KindStatsOut(_Out):
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


class CasesStatsOut(_Out):
    target: TargetOut
    year: int = Field(description="requests received in this UTC year")
    by_kind: dict[Literal["deletion", "retrieval"], KindStatsOut] = Field(alias="byKind")
    file: str | None = Field(description="the CSV written (--format csv -o FILE); else null")


class CaseActionOut(_Out):
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


class ReportWrittenOut(_Out):
    """What `bwp-privacy report -o FILE` wrote (the report itself is in the file)."""

    target: TargetOut
    path: str = Field(description="the HTML file written")
    cases: int = Field(description="cases the report covers: every case still kept")
    at_risk: int = Field(alias="atRisk", description="open cases past due or due soon")


#: Every command's --json model, by the name of its schema file in `schemas/`.
class SetupStepOut(_Out):
    step: str = Field(
        description="credentials, privacy permission, subscription TYPE, secret or partner"
        " event bus"
    )
    outcome: Literal["done", "unchanged", "checked", "would", "warning"] = Field(
        description="done: changed something; unchanged: it was so already; checked: a check"
        " that passed; would: a dry run's request, not made; warning: a check a person should"
        " look at again"
    )
    detail: str


class SetupOut(_Out):
    target: TargetOut
    account: str
    region: str
    source: str = Field(description="the partner event source, and the name of its bus")
    secret_name: str = Field(alias="secretName")
    dry_run: bool = Field(alias="dryRun")
    steps: list[SetupStepOut]
    next: str = Field(description="what to do next")


class DoctorCheckOut(_Out):
    check: str
    status: Literal["PASS", "WARN", "FAIL"]
    detail: str
    fix: str | None = Field(description="what to do about a WARN or a FAIL")


class TestDeliveryOut(_Out):
    receiver: str
    delivered: bool
    answer: str = Field(description="what the receiver answered (or why nothing was sent)")


class DoctorOut(_Out):
    target: TargetOut
    checks: list[DoctorCheckOut]
    passed: int
    warnings: int
    failures: int
    test_alert: list[TestDeliveryOut] | None = Field(
        alias="testAlert", description="each receiver's answer to --send-test-alert"
    )
    ok: bool = Field(description="no FAIL (and every test delivery made)")


OUTPUTS: dict[str, type[BaseModel]] = {
    "replay": ReplayOut,
    "failures-list": FailuresListOut,
    "failures-show": FailuresShowOut,
    "task-show": TaskShowOut,
    "task-cancel": TaskCancelOut,
    "dlq-list": DlqListOut,
    "dlq-redrive": DlqRedriveOut,
    "dlq-discard": DlqDiscardOut,
    "archive-replay": ArchiveReplayOut,
    "routes-check": RoutesCheckOut,
    "sandbox-status": SandboxStatusOut,
    "sandbox-stop": SandboxStopOut,
    "cases-list": CasesListOut,
    "cases-export": CasesExportOut,
    "cases-stats": CasesStatsOut,
    "cases-show": CaseShowOut,
    "cases-action": CaseActionOut,
    "report": ReportWrittenOut,
    "setup": SetupOut,
    "doctor": DoctorOut,
}


def iso_from_epoch(value: Any) -> str:
    """An epoch (seconds) as ISO-8601 UTC; an ISO string stays as it is."""
    if isinstance(value, str) and not value.isdigit():
        return value
    return datetime.fromtimestamp(int(value), UTC).isoformat().replace("+00:00", "Z")


def iso_from_millis(value: Any) -> str | None:
    """SQS's SentTimestamp (epoch milliseconds, as a string) as ISO-8601 UTC."""
    if value in (None, ""):
        return None
    moment = datetime.fromtimestamp(int(value) / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _plain(value: Any) -> Any:
    """DynamoDB's numbers (Decimal) as int or float, in nested values too."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value
