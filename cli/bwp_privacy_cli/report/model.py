"""What the compliance report shows, gathered from the cases as pure data: which cases are at
risk (by their legal deadline), how each one went, the open cases week by week and the
year's figures. No I/O and no clock: the caller passes the cases, ``now`` (when the report is
made), the moment the cases are judged at if another, and the target.

Only what identifies a case to the merchant is kept (case, task and business product ids,
states, error codes, reasons, actors): a case holds no shopper data, and neither does this."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from bwp_privacy.cases import Bucket, Case, CaseState, CauseKind, Transition, bucket_of
from bwp_privacy.compliance import (
    Response,
    YearStats,
    response_of,
    standing,
    whole_days_left,
    yearly_stats,
)
from bwp_privacy_cli.actors import actor_names
from bwp_privacy_cli.json_output import TargetOut

__all__ = [
    "BUCKET_ORDER",
    "DEFAULT_WEEKS",
    "ReportCase",
    "ReportData",
    "ReportTask",
    "TimelineEntry",
    "WeekCounts",
    "as_it_stood",
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
    #: The legal deadline: the earliest across the case's jurisdictions, extended once an
    #: extension is recorded (never the playbooks' planning deadline).
    legal_due_at: datetime
    days_left: int = Field(description="whole days to the legal deadline (negative: past due)")
    standing: str = Field(
        description='the legal deadline in words: "12 days left", "past due by 3 days"'
    )
    received_at: datetime
    opened_at: datetime
    ended_at: datetime | None
    response: Response
    reason: str | None
    tasks: tuple[ReportTask, ...]
    timeline: tuple[TimelineEntry, ...]
    ordinary: bool = Field(
        description="went the ordinary way: never escalated, no operator's step, and either"
        " answered (completed, nothing held) by its legal deadline or open and on time"
    )


class WeekCounts(_Model):
    """The open cases at one moment, by bucket (every bucket present, zero included)."""

    at: datetime
    counts: dict[Bucket, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class ReportData(_Model):
    #: When the report was made: the real time, never a sandbox's clock.
    generated_at: datetime
    #: The moment the cases are judged at: ``generated_at`` unless the report was asked for
    #: another moment (the header then says so).
    as_at: datetime
    target: TargetOut
    due_soon_days: int
    year: int
    #: Past due first, then due soon; the most overdue first within each.
    at_risk: tuple[ReportCase, ...]
    #: Open and on time, the nearest deadline first.
    other_open: tuple[ReportCase, ...]
    #: Ended within the chart's weeks, the latest first: what was answered lately.
    recently_ended: tuple[ReportCase, ...]
    #: The oldest week first; the last one is ``as_at`` or, if that is later, ``generated_at``:
    #: the chart never shows a week still to come.
    weeks: tuple[WeekCounts, ...]
    yearly: YearStats
    #: Every actor of the cases shown, its full identity (an IAM or STS ARN, a function's
    #: name) to the short name its steps give it (`actor_names`).
    actors: dict[str, str]

    @property
    def as_at_other(self) -> bool:
        """Whether the cases are judged at another moment than when the report was made."""
        return self.as_at != self.generated_at

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
    as_at: datetime | None = None,
) -> ReportData:
    """The report over ``cases``, made at ``now`` (the real time) and judging the cases as they
    stood at ``as_at`` (default: ``now``). A sandbox whose clock runs ahead passes its clock as
    ``as_at``: the report then says when it was really made, and its chart stops there."""
    moment = now if as_at is None else as_at
    every = list(cases)
    then = [case for case in (as_it_stood(case, moment) for case in every) if case is not None]
    shown = [_report_case(case, moment, due_soon_days) for case in then]
    open_ = [case for case in shown if case.bucket is not None]
    rank = {bucket: index for index, bucket in enumerate(BUCKET_ORDER)}
    # The earliest legal deadline first: the most overdue, then the nearest.
    open_.sort(key=lambda case: (rank[case.bucket] if case.bucket else 0, case.legal_due_at))
    at_risk = tuple(case for case in open_ if case.bucket is not Bucket.ON_TIME)
    other_open = tuple(case for case in open_ if case.bucket is Bucket.ON_TIME)
    chart_end = min(moment, now)
    window_start = chart_end - timedelta(weeks=weeks)
    recently_ended = tuple(
        sorted(
            (c for c in shown if c.ended_at is not None and c.ended_at > window_start),
            key=lambda case: case.ended_at or moment,
            reverse=True,
        )
    )
    chosen_year = moment.year if year is None else year
    told = (*at_risk, *other_open, *recently_ended)
    return ReportData(
        generated_at=now,
        as_at=moment,
        target=target,
        due_soon_days=due_soon_days,
        year=chosen_year,
        at_risk=at_risk,
        other_open=other_open,
        recently_ended=recently_ended,
        weeks=_weeks(every, chart_end, weeks, due_soon_days),
        yearly=yearly_stats(then, chosen_year),
        actors=actor_names(entry.actor for case in told for entry in case.timeline),
    )


def open_at(case: Case, moment: datetime) -> bool:
    """Whether ``case`` was open at ``moment``: its request received by then (the legal clock
    runs from receipt, however late the case was recorded) and not yet ended."""
    return case.received_at <= moment and (case.ended_at is None or case.ended_at > moment)


def as_it_stood(case: Case, moment: datetime) -> Case | None:
    """``case`` as it stood at ``moment``: None if its request had not been received yet;
    otherwise its steps up to then (the state they left, open if it had not ended yet) and
    its deadlines as they were in force (an extension recorded later not yet applied). Its
    tasks, attempts and reason are as recorded: the case keeps no history of them."""
    later = [t for t in case.transitions if t.at > moment]
    extended_later = [d for d in case.deadlines if d.extended_at and d.extended_at > moment]
    if case.received_at > moment:
        return None
    if not later and not extended_later and (case.ended_at is None or case.ended_at <= moment):
        return case
    steps = tuple(t for t in case.transitions if t.at <= moment)
    # Received but not yet recorded (the task's failure not in yet): waiting on its task.
    state = steps[-1].to_state if steps else CaseState.WAITING
    deadlines = tuple(
        d.model_copy(update={"extended_at": None}) if d in extended_later else d
        for d in case.deadlines
    )
    return case.model_copy(
        update={
            "state": state,
            "transitions": steps,
            "deadlines": deadlines,
            "ended_at": case.ended_at if state.ended else None,
        }
    )


def _weeks(
    cases: list[Case], end: datetime, weeks: int, due_soon_days: int
) -> tuple[WeekCounts, ...]:
    """The open cases at ``end`` and at each of the ``weeks - 1`` weeks before, by bucket:
    each case from its receipt, judged as it stood then against its legal deadline then."""
    found = []
    for back in range(weeks - 1, -1, -1):
        moment = end - timedelta(weeks=back)
        counts = dict.fromkeys(BUCKET_ORDER, 0)
        for case in cases:
            then = as_it_stood(case, moment)
            bucket = None if then is None else bucket_of(then, moment, due_soon_days)
            if bucket is not None:
                counts[bucket] += 1
        found.append(WeekCounts(at=moment, counts=counts))
    return tuple(found)


def _report_case(case: Case, now: datetime, due_soon_days: int) -> ReportCase:
    bucket = bucket_of(case, now, due_soon_days)
    return ReportCase(
        case_id=case.case_id,
        kind=case.kind,
        business_product_id=case.business_product_id,
        state=case.state.value,
        attempts=case.attempts,
        bucket=bucket,
        legal_due_at=case.legal_due_at,
        days_left=whole_days_left(case.legal_due_at, now),
        standing=standing(case.legal_due_at, now),
        received_at=case.received_at,
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
        ordinary=_ordinary(case, bucket),
    )


#: How a request is answered without a person: the data deleted or sent, or none held.
_ANSWERED = frozenset(
    {CaseState.COMPLETED, CaseState.NOTHING_TO_DELETE, CaseState.NOTHING_TO_RETRIEVE}
)


def _ordinary(case: Case, bucket: Bucket | None) -> bool:
    """Whether the case went the way the reaction is built for: no escalation (a person
    needed), no operator's step (a person's decision: closing, extending, resubmitting,
    setting the received date) and either answered (completed, nothing held) by its legal
    deadline or still open and on time. Its story is then its tasks and when each step came:
    a report may tell it briefly. Anything else (at risk, late, escalated, closed) is what an
    auditor reads step by step."""
    if any(
        t.to_state is CaseState.ESCALATED or t.cause.kind is CauseKind.OPERATOR
        for t in case.transitions
    ):
        return False
    if case.state.ended:
        return (
            case.state in _ANSWERED
            and case.ended_at is not None
            and case.ended_at <= case.legal_due_at
        )
    return bucket is Bucket.ON_TIME


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
    CaseState.APPEALED: "appealed",
}

#: Operator commands that change a case without moving it, by their subcommand.
_CORRECTIONS = {"set-received": "received date set", "extend": "deadline extended"}
