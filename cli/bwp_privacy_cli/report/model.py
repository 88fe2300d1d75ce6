"""What the compliance report shows, gathered from the cases as pure data: which cases are at
risk (by their legal deadline), how each one went, the open cases week by week and the
year's figures. No I/O and no clock: the caller passes the cases, ``now`` and the target.

Only what identifies a case to the merchant is kept (case, task and business product ids,
states, error codes, reasons, actors): a case holds no shopper data, and neither does this."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from bwp_privacy.compliance import (
    Bucket,
    Response,
    YearStats,
    bucket_of,
    legal_days_left,
    response_of,
    yearly_stats,
)
from bwp_privacy.reaction import Case, CaseState, Transition
from bwp_privacy_cli.json_output import TargetOut

__all__ = [
    "BUCKET_ORDER",
    "DEFAULT_WEEKS",
    "ReportCase",
    "ReportData",
    "ReportTask",
    "TimelineEntry",
    "WeekCounts",
    "build_report",
    "open_at",
    "timeline_of",
]

#: How many weeks the chart goes back by default: two months shows a trend, not noise.
DEFAULT_WEEKS = 8

#: The buckets from the most urgent: the order of the report's tables and the chart's stacks.
BUCKET_ORDER = (Bucket.PAST_DUE, Bucket.DUE_SOON, Bucket.ON_TIME)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TimelineEntry(_Model):
    """One step of a case, said as what happened (not as a state change)."""

    at: datetime
    what: str = Field(description="failed, resubmitted, escalated, completed, closed...")
    state: str | None = Field(description="the case's state after it; None: no state change")
    cause: str
    actor: str
    detail: str


class ReportTask(_Model):
    task_id: str
    attempt: int
    outcome: str = Field(description="FAILED, COMPLETED, or running")
    error_codes: tuple[str, ...]


class ReportCase(_Model):
    """A case as the report shows it: where it stands against its legal deadline."""

    case_id: str
    kind: str
    business_product_id: str
    state: str
    attempts: int
    #: None for an ended case: only an open case can be late.
    bucket: Bucket | None
    legal_due_at: datetime
    days_left: float = Field(description="days to the legal deadline (negative: past due)")
    opened_at: datetime
    ended_at: datetime | None
    response: Response
    reason: str | None
    tasks: tuple[ReportTask, ...]
    timeline: tuple[TimelineEntry, ...]


class WeekCounts(_Model):
    """The open cases at one moment, by bucket (every bucket present, zero included)."""

    at: datetime
    counts: dict[Bucket, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class ReportData(_Model):
    generated_at: datetime
    target: TargetOut
    due_soon_days: int
    year: int
    #: Past due first, then due soon; the most overdue first within each.
    at_risk: tuple[ReportCase, ...]
    #: Open and on time, the nearest deadline first.
    other_open: tuple[ReportCase, ...]
    #: Ended within the chart's weeks, the latest first: what was answered lately.
    recently_ended: tuple[ReportCase, ...]
    #: The oldest week first; the last one is ``generated_at``.
    weeks: tuple[WeekCounts, ...]
    yearly: YearStats

    @property
    def open_count(self) -> int:
        return len(self.at_risk) + len(self.other_open)

    def bucket_count(self, bucket: Bucket) -> int:
        return sum(1 for case in (*self.at_risk, *self.other_open) if case.bucket is bucket)


def build_report(
    cases: Iterable[Case],
    now: datetime,
    target: TargetOut,
    *,
    due_soon_days: int,
    weeks: int = DEFAULT_WEEKS,
    year: int | None = None,
) -> ReportData:
    """The report over ``cases`` as they stand at ``now``."""
    every = list(cases)
    shown = [_report_case(case, now, due_soon_days) for case in every]
    open_ = [case for case in shown if case.bucket is not None]
    rank = {bucket: index for index, bucket in enumerate(BUCKET_ORDER)}
    open_.sort(key=lambda case: (rank[case.bucket] if case.bucket else 0, case.days_left))
    at_risk = tuple(case for case in open_ if case.bucket is not Bucket.ON_TIME)
    other_open = tuple(case for case in open_ if case.bucket is Bucket.ON_TIME)
    window_start = now - timedelta(weeks=weeks)
    recently_ended = tuple(
        sorted(
            (c for c in shown if c.ended_at is not None and c.ended_at > window_start),
            key=lambda case: case.ended_at or now,
            reverse=True,
        )
    )
    return ReportData(
        generated_at=now,
        target=target,
        due_soon_days=due_soon_days,
        year=now.year if year is None else year,
        at_risk=at_risk,
        other_open=other_open,
        recently_ended=recently_ended,
        weeks=_weeks(every, now, weeks, due_soon_days),
        yearly=yearly_stats(every, now.year if year is None else year),
    )


def open_at(case: Case, moment: datetime) -> bool:
    """Whether ``case`` was open at ``moment``: opened by then and not yet ended."""
    return case.opened_at <= moment and (case.ended_at is None or case.ended_at > moment)


def _weeks(
    cases: list[Case], now: datetime, weeks: int, due_soon_days: int
) -> tuple[WeekCounts, ...]:
    """The open cases at ``now`` and at each of the ``weeks - 1`` weeks before, by bucket."""
    found = []
    for back in range(weeks - 1, -1, -1):
        moment = now - timedelta(weeks=back)
        counts = dict.fromkeys(BUCKET_ORDER, 0)
        for case in cases:
            if open_at(case, moment):
                # A case ended since was open then: it is judged as it stood, not as it ended.
                bucket = bucket_of(_as_open(case), moment, due_soon_days)
                if bucket is not None:
                    counts[bucket] += 1
        found.append(WeekCounts(at=moment, counts=counts))
    return tuple(found)


def _as_open(case: Case) -> Case:
    if not case.state.ended:
        return case
    return case.model_copy(update={"state": CaseState.WAITING, "ended_at": None})


def _report_case(case: Case, now: datetime, due_soon_days: int) -> ReportCase:
    return ReportCase(
        case_id=case.case_id,
        kind=case.kind,
        business_product_id=case.business_product_id,
        state=case.state.value,
        attempts=case.attempts,
        bucket=bucket_of(case, now, due_soon_days),
        legal_due_at=case.legal_due_at,
        days_left=legal_days_left(case, now),
        opened_at=case.opened_at,
        ended_at=case.ended_at,
        response=response_of(case),
        reason=case.reason,
        tasks=tuple(
            ReportTask(
                task_id=task.task_id,
                attempt=task.attempt,
                outcome=task.outcome or "running",
                error_codes=task.error_codes,
            )
            for task in case.tasks
        ),
        timeline=timeline_of(case),
    )


def timeline_of(case: Case) -> tuple[TimelineEntry, ...]:
    """The case's transitions as what happened (an extension is one too: `cases extend`
    records it)."""
    entries = [
        TimelineEntry(
            at=t.at,
            what=_what(t),
            state=t.to_state.value if t.to_state is not t.from_state else None,
            cause=f"{t.cause.kind.value} {t.cause.ref}",
            actor=t.actor,
            detail=t.reason,
        )
        for t in case.transitions
    ]
    return tuple(sorted(entries, key=lambda entry: entry.at))


def _what(transition: Transition) -> str:
    """A transition in a word or two: the case's story reads as failures, attempts,
    escalations and an end, not as states. A case opens on its first task's failure."""
    to, before = transition.to_state, transition.from_state
    if before is None:
        return "failed" if to is CaseState.WAITING else f"failed, {_WHAT[to]}"
    if to is before:
        # An operator's correction (`cases set-received`, `cases extend`): the state stays.
        words = transition.cause.ref.split()
        command = words[1] if len(words) > 1 and words[0] == "cases" else ""
        return _CORRECTIONS.get(command, "updated")
    return _WHAT[to]


#: What reaching each state means in a case's story (from another state).
_WHAT = {
    CaseState.WAITING: "failed",  # the attempt's task failed; the next one is scheduled
    CaseState.RESUBMITTED: "resubmitted",
    CaseState.RESUBMISSION_DUE: "resubmission due",
    CaseState.ESCALATED: "escalated",
    CaseState.COMPLETED: "completed",
    CaseState.NOTHING_TO_DELETE: "nothing to delete",
    CaseState.NOTHING_TO_RETRIEVE: "nothing to retrieve",
    CaseState.CLOSED: "closed",
}

#: Operator commands that change a case without moving it, by their subcommand.
_CORRECTIONS = {"set-received": "received date set", "extend": "deadline extended"}
