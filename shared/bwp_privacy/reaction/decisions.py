"""The case's state machine as pure functions: an input and the case as stored go in; the
case to write and the effects to carry out come out (``None``: the input changes nothing, as
for a duplicate or stale event). No I/O, no clock: the caller passes ``now``.

The reaction service carries the effects out before it writes the case, each safe to repeat
(schedules by name, starts by client token, notices by a stable id), so a crash between the
two is healed by the input's retry; an end is announced only after the write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bwp_privacy.cases.case import (
    CAUSE_REF_LIMIT,
    REASON_LIMIT,
    STARTABLE,
    Appeal,
    AppealedAnswer,
    Case,
    CaseKind,
    CaseState,
    CaseTask,
    Cause,
    CauseKind,
    ClosedAs,
    DeniedBecause,
    Transition,
    client_token,
    schedule_name,
)
from bwp_privacy.cases.clock import Deadline, appeal_deadlines, deadlines
from bwp_privacy.common import BwpPrivacyError, bounded, iso_z, plain_day
from bwp_privacy.reaction.playbooks import Close, Escalate, Mode, PlaybooksConfig, Resubmit

# ---- inputs ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaskFailed:
    """A published failure (the recorder's message), reduced to what a case needs."""

    task_id: str
    business_product_id: str
    codes: tuple[str, ...]
    lookup_ok: bool
    submitted_at: datetime | None
    event_id: str
    event_time: datetime
    #: Which kind of task failed: a case opened for it carries that kind of request.
    kind: CaseKind = "deletion"


@dataclass(frozen=True, slots=True)
class TaskCompleted:
    """``PERSONAL_DATA_DELETION_TASK_COMPLETED`` (or the retrieval one) for a task."""

    task_id: str
    event_id: str


# ---- effects --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScheduleAttempt:
    attempt: int
    at: datetime
    name: str
    #: The latest the attempt may run (the planning deadline less the playbook's margin):
    #: Scheduler may spread it from ``at`` up to here (`schedules.flexible_window`).
    latest: datetime | None = None


@dataclass(frozen=True, slots=True)
class CancelSchedule:
    attempt: int
    name: str


@dataclass(frozen=True, slots=True)
class StartTask:
    """Read the failed task's email and start a new task of the case's kind with it (in memory
    only)."""

    attempt: int
    client_token: str
    holding_period_days: int
    source_task_id: str


@dataclass(frozen=True, slots=True)
class Announce:
    """Announce mode: tell the merchant's system that a resubmission is due."""

    attempt: int


@dataclass(frozen=True, slots=True)
class Escalation:
    """A critical alert: why, and what a person should do."""

    reason: str
    advice: str


@dataclass(frozen=True, slots=True)
class Ended:
    """The case ended (completed, nothing to delete, closed)."""

    state: CaseState


Effect = ScheduleAttempt | CancelSchedule | StartTask | Announce | Escalation | Ended


@dataclass(frozen=True, slots=True)
class Decision:
    case: Case
    effects: tuple[Effect, ...] = ()


ATTEMPTS_EXHAUSTED_ADVICE = (
    "Check the shopper's open orders in the merchant console; when they are closed, start a "
    "new task (`bwp-privacy cases resubmit CASE`), or close the case with its basis "
    "(`bwp-privacy cases close CASE --reason ...`)."
)
DEADLINE_ADVICE = (
    "The legal deadline is too close for another automatic attempt. Decide now: resubmit "
    "(`bwp-privacy cases resubmit CASE`), take the extension the law allows and tell the "
    "shopper (`bwp-privacy cases extend CASE --jurisdiction LAW --reason ...`), or answer the "
    "shopper outside Buy with Prime and close the case with how "
    "(`bwp-privacy cases close CASE --as completed|denied --reason ...`)."
)
PAST_DUE_ADVICE = (
    "The legal deadline has passed: no attempt or extension can meet it. Answer the shopper "
    "outside Buy with Prime now, then close the case with how it was answered "
    "(`bwp-privacy cases close CASE --as completed|denied --reason ...`)."
)
NO_EMAIL_ADVICE = (
    "The shopper's email could not be read from the failed task. Supply it once, unstored: "
    "`bwp-privacy cases resubmit CASE --email-from-stdin`."
)
REFUSED_START_ADVICE = (
    "Buy with Prime refused to start the task (its classification is in the reason): check the "
    "request and the business product in the merchant console, then resubmit "
    "(`bwp-privacy cases resubmit CASE`), or close the case with its basis "
    "(`bwp-privacy cases close CASE --reason ...`)."
)


# ---- transitions ----------------------------------------------------------------------


def open_case(failure: TaskFailed, config: PlaybooksConfig, now: datetime, actor: str) -> Decision:
    """A case for the first failure of a task that belongs to no case, of the task's kind (a
    deletion, or a retrieval: its own playbooks). It holds a deadline for each law that binds
    its business product and sets one for its kind; the earliest governs the plan. Its clock
    starts at the task's submission date (the earliest date known), else at the event's time."""
    received_at = failure.submitted_at or failure.event_time
    laws = config.applying(failure.business_product_id)
    found = tuple(deadlines(received_at, laws, failure.kind))
    plan = _plan_deadline(found, config)
    code, _ = config.choose(list(failure.codes), lookup_ok=failure.lookup_ok, kind=failure.kind)
    case = Case(
        case_id=failure.task_id,
        business_product_id=failure.business_product_id,
        kind=failure.kind,
        state=CaseState.WAITING,  # replaced by the playbook's state below
        received_at=received_at,
        received_from="submissionDate" if failure.submitted_at else "eventTime",
        deadlines=found,
        plan_deadline_at=plan,
        playbook_code=code,
        tasks=(
            CaseTask(
                task_id=failure.task_id, attempt=0, outcome="FAILED", error_codes=failure.codes
            ),
        ),
        opened_at=now,
    )
    return _after_failure(case, failure, config, now, actor, from_state=None)


def on_failed(
    case: Case, failure: TaskFailed, config: PlaybooksConfig, now: datetime, actor: str
) -> Decision | None:
    """A task of the case failed: the next attempt or an escalation when it is the current
    task of an open case; otherwise only the task's outcome is recorded (a late or duplicate
    event never moves a case)."""
    task = case.task(failure.task_id)
    if task is None or task.outcome is not None:
        return None
    updated = _with_task(
        case, task.model_copy(update={"outcome": "FAILED", "error_codes": failure.codes})
    )
    is_current = task.task_id == case.current_task.task_id
    if case.state.ended or not is_current or case.state is not CaseState.RESUBMITTED:
        return Decision(updated)
    code, _ = config.choose(list(failure.codes), lookup_ok=failure.lookup_ok, kind=case.kind)
    updated = updated.model_copy(update={"playbook_code": code})
    return _after_failure(updated, failure, config, now, actor, from_state=case.state)


def on_completed(case: Case, done: TaskCompleted, now: datetime, actor: str) -> Decision | None:
    """A task of the case completed: the case is complete (and its pending attempt cancelled),
    unless it had already ended, in which case only the task's outcome is recorded."""
    task = case.task(done.task_id)
    if task is None or task.outcome == "COMPLETED":
        return None
    updated = _with_task(case, task.model_copy(update={"outcome": "COMPLETED"}))
    if case.state.ended or case.state is CaseState.APPEALED:
        # An appealed case waits for a person's answer to the appeal: a task completing late
        # is recorded, and the answer stays theirs to give.
        return Decision(updated)
    effects: list[Effect] = _cancel_pending(case)
    effects.append(Ended(CaseState.COMPLETED))
    moved = _move(
        updated,
        CaseState.COMPLETED,
        now,
        _event_cause(done.event_id),
        actor,
        f"{case.kind} task {done.task_id} completed",
        ended=True,
    )
    return Decision(moved, tuple(effects))


def on_attempt_due(
    case: Case, attempt: int, config: PlaybooksConfig, now: datetime, actor: str
) -> Decision | None:
    """The schedule of ``attempt`` fired. A stale or repeated firing changes nothing."""
    if case.state is not CaseState.WAITING or attempt != case.attempts + 1:
        return None
    cause = Cause(kind=CauseKind.SCHEDULE, ref=schedule_name(case.case_id, attempt))
    playbook = config.for_kind(case.kind).get(case.playbook_code)
    if isinstance(playbook, Resubmit) and now > case.plan_deadline_at - playbook.margin:
        return _escalate(case, now, cause, actor, *_too_late(case, playbook, now, now))
    if config.mode is Mode.ANNOUNCE:
        moved = _move(
            case.model_copy(update={"next_attempt_at": None}),
            CaseState.RESUBMISSION_DUE,
            now,
            cause,
            actor,
            f"resubmission {attempt} is due; waiting for the merchant's system to start it",
        )
        return Decision(moved, (Announce(attempt),))
    holding = playbook.holding_period_days if isinstance(playbook, Resubmit) else 0
    # The case is not written here: the task it starts is linked by `on_task_started`, and a
    # retry of this step reuses the attempt's client token, so it starts the same task.
    return Decision(case, (start_task(case, attempt, holding),))


def start_task(case: Case, attempt: int, holding_period_days: int) -> StartTask:
    """The start of ``attempt`` (its email is read from the case's latest failed task)."""
    failed = [task for task in case.tasks if task.outcome == "FAILED"] or list(case.tasks)
    return StartTask(
        attempt=attempt,
        client_token=client_token(case.case_id, attempt),
        holding_period_days=holding_period_days,
        source_task_id=failed[-1].task_id,
    )


def on_task_started(
    case: Case, attempt: int, task_id: str, cause: Cause, now: datetime, actor: str
) -> Decision | None:
    """A new task was started for the case (automatically, by an operator, or linked from the
    merchant's own system): link it before anything can observe it."""
    if case.task(task_id) is not None:
        return None
    if case.state not in STARTABLE or attempt != case.attempts + 1:
        return None
    linked = case.model_copy(
        update={
            "tasks": (*case.tasks, CaseTask(task_id=task_id, attempt=attempt)),
            "attempts": attempt,
            "next_attempt_at": None,
        }
    )
    moved = _move(
        linked,
        CaseState.RESUBMITTED,
        now,
        cause,
        actor,
        f"attempt {attempt} started {case.kind} task {task_id}",
    )
    # An attempt its own schedule started leaves the schedule to Scheduler (deleted after it
    # fired); one started otherwise (an operator, the merchant) cancels the pending attempt.
    effects = [] if cause.kind is CauseKind.SCHEDULE else _cancel_pending(case)
    return Decision(moved, tuple(effects))


def merge_stray(
    case: Case,
    stray: Case,
    attempt: int,
    cause: Cause,
    config: PlaybooksConfig,
    now: datetime,
    actor: str,
) -> tuple[Decision, Decision] | None:
    """``case``'s attempt started the task ``stray`` was opened for (every retry of the attempt
    died before its task was linked, and the task's failure came first): link the task to
    ``case`` as that attempt, apply its outcome there, and close the stray case as merged.
    Returns (``case``'s decision, ``stray``'s), or None when this is no such stray."""
    task = stray.tasks[0]
    if stray.case_id != task.task_id or len(stray.tasks) != 1:
        return None
    linked = on_task_started(case, attempt, task.task_id, cause, now, actor)
    if linked is None:
        return None
    effects = list(linked.effects)
    outcome: Decision | None = None
    if task.outcome == "COMPLETED":
        outcome = on_completed(linked.case, TaskCompleted(task.task_id, cause.ref), now, actor)
    elif task.outcome == "FAILED":
        failure = TaskFailed(
            task_id=task.task_id,
            business_product_id=stray.business_product_id,
            codes=task.error_codes or ("UNSPECIFIED",),
            lookup_ok=task.error_codes != ("NONE",),
            submitted_at=None,
            event_id=cause.ref,
            event_time=now,
            kind=case.kind,
        )
        outcome = on_failed(linked.case, failure, config, now, actor)
    merged = linked.case
    if outcome is not None:
        merged = outcome.case
        effects += outcome.effects
    why = (
        f"task {task.task_id} was started by attempt {attempt} of case {case.case_id}: "
        "merged into that case"
    )
    closing: list[Effect] = []
    closed = stray
    if not stray.state.ended:
        # Ended: the stray's own incident (opened by its task's failure) is resolved.
        closing = [*_cancel_pending(stray), Ended(CaseState.CLOSED)]
        closed = _move(stray, CaseState.CLOSED, now, cause, actor, why, ended=True)
    return Decision(merged, tuple(effects)), Decision(closed, tuple(closing))


def on_attempt_impossible(
    case: Case, attempt: int, why: str, now: datetime, actor: str, *, email_unread: bool = True
) -> Decision | None:
    """The attempt cannot start (the email cannot be read, the API refuses): a person acts,
    advised for which of the two it was."""
    if case.state is not CaseState.WAITING or attempt != case.attempts + 1:
        return None
    cause = Cause(kind=CauseKind.ATTEMPT, ref=schedule_name(case.case_id, attempt))
    advice = NO_EMAIL_ADVICE if email_unread else REFUSED_START_ADVICE
    return _escalate(case, now, cause, actor, f"attempt {attempt} could not start: {why}", advice)


def set_received(
    case: Case,
    received_at: datetime,
    why: str,
    config: PlaybooksConfig,
    now: datetime,
    actor: str,
) -> Decision | None:
    """An operator corrects when the request was received: the deadlines move with it. A
    waiting case whose next attempt no longer fits before the new deadline is escalated.

    The date must be a real one for this case (`CannotSetReceived` otherwise): not after now,
    and not more than `RECEIVED_CORRECTION_LIMIT` before what the case holds. A typo's year
    9000 would move every deadline out of reach, and one in year 1 escalate the case at once."""
    if case.state.ended or received_at == case.received_at:
        return None
    if case.answer is not None:
        # Under appeal: the request was answered, and its record (received, answered, on
        # time or not) is what the appeal is about; it stays as it was answered.
        raise CannotSetReceived(
            f"case {case.case_id} was answered on {iso_z(case.answer.ended_at, 'seconds')} and"
            " is under appeal: its received date stays as it was when answered"
        )
    earliest = case.received_at - RECEIVED_CORRECTION_LIMIT
    if not earliest <= received_at <= now:
        raise CannotSetReceived(
            f"a received date must lie between {iso_z(earliest, 'seconds')} (a year before"
            f" the case's {iso_z(case.received_at, 'seconds')}) and now"
            f" ({iso_z(now, 'seconds')}); {iso_z(received_at, 'seconds')} does not"
        )
    extended = {d.jurisdiction: d.extended_at for d in case.deadlines if d.extended_at}
    found = tuple(
        d.model_copy(update={"extended_at": extended.get(d.jurisdiction)})
        for d in deadlines(received_at, config.applying(case.business_product_id), case.kind)
    )
    plan = _plan_deadline(found, config)
    moved = case.model_copy(
        update={
            "received_at": received_at,
            "received_from": "operator",
            "deadlines": found,
            "plan_deadline_at": plan,
        }
    )
    cause = Cause(kind=CauseKind.OPERATOR, ref="cases set-received")
    reason = f"received date set to {iso_z(received_at, 'seconds')}: {why}"
    playbook = config.for_kind(case.kind).get(case.playbook_code)
    late = (
        case.state is CaseState.WAITING
        and case.next_attempt_at is not None
        and isinstance(playbook, Resubmit)
        and case.next_attempt_at > plan - playbook.margin
    )
    if late:
        assert isinstance(playbook, Resubmit)
        recorded = _move(moved, case.state, now, cause, actor, reason)
        return _escalate(
            recorded,
            now,
            cause,
            actor,
            *_too_late(recorded, playbook, case.next_attempt_at or now, now),
        )
    return Decision(_move(moved, case.state, now, cause, actor, reason))


def close_by_operator(
    case: Case,
    reason: str,
    now: datetime,
    actor: str,
    closed_as: ClosedAs,
    denied_because: DeniedBecause | None = None,
) -> Decision | None:
    """An operator closes an open case, with the reason and how the request was answered
    (completed out of band, denied, or cancelled). No default: a request answered through
    other means must never be counted as cancelled because no one said otherwise. A denial
    carries its category (``denied_because``, what CCPA's yearly metrics count denials by;
    the reason says the rest); any other answer carries none."""
    if (closed_as == "denied") != (denied_because is not None):
        # The operator request is held to this before it gets here (`CloseRequest`): only a
        # caller that skipped it can reach this line.
        raise ValueError("a denial's category is given with a denial, and only with one")
    if case.state.ended:
        return None
    effects = _cancel_pending(case)
    effects.append(Ended(CaseState.CLOSED))
    ref = f"cases close --as {closed_as}"
    if denied_because is not None:
        ref += f" --denied-because {denied_because}"
    cause = Cause(kind=CauseKind.OPERATOR, ref=ref)
    moved = _move(case, CaseState.CLOSED, now, cause, actor, reason, ended=True)
    answered: dict[str, object] = {"closed_as": closed_as, "denied_because": denied_because}
    appeal = case.open_appeal
    if appeal is not None:
        # Closing an appealed case answers its appeal: the appeal keeps how, and when.
        done = appeal.model_copy(
            update={
                "answered_at": now,
                "answered_as": closed_as,
                "denied_because": denied_because,
            }
        )
        answered["appeals"] = (*case.appeals[:-1], done)
    return Decision(moved.model_copy(update=answered), tuple(effects))


#: How far before the received date a case holds an operator may move it: the shopper's
#: request may have reached the merchant well before its task was started, but not years.
RECEIVED_CORRECTION_LIMIT = timedelta(days=366)


class CannotSetReceived(BwpPrivacyError):
    """The received date given is no possible one for the case (said with the bounds)."""


class CannotExtend(BwpPrivacyError):
    """The law allows no extension here (said in one line: which rule, and the dates)."""


def extend(
    case: Case,
    jurisdiction: str,
    why: str,
    config: PlaybooksConfig,
    now: datetime,
    actor: str,
) -> Decision:
    """An operator extends one jurisdiction's deadline, as the laws allow: once, and only
    before that deadline passes (the notice to the shopper is due by then). The case's plan
    moves with it when the plan counts by the deadlines in force. While an appeal is open,
    the appeal's deadline is the one extended (Colorado allows 60 more days)."""
    if case.state.ended:
        raise CannotExtend(f"case {case.case_id} ended ({case.state.value}): nothing to extend")
    appeal = case.open_appeal
    pool = appeal.deadlines if appeal is not None else case.deadlines
    what = f"{jurisdiction} appeal deadline" if appeal is not None else f"{jurisdiction} deadline"
    deadline = next((d for d in pool if d.jurisdiction == jurisdiction), None)
    if deadline is None:
        known = ", ".join(d.jurisdiction for d in pool)
        whose = "its appeal's deadlines" if appeal is not None else "its deadlines"
        if jurisdiction not in config.table():
            raise CannotExtend(
                f"no law has the key {jurisdiction} (docs/compliance.md lists them); case"
                f" {case.case_id} has {whose} under: {known}"
            )
        raise CannotExtend(
            f"case {case.case_id} has no {what}: that law does not bind it ({whose}: {known})"
        )
    if deadline.extended_due_at is None:
        law = config.table().get(jurisdiction)
        title = law.title if law else jurisdiction
        raise CannotExtend(
            f"case {case.case_id}: the {title} allows no extension"
            + (" of an appeal's answer" if appeal is not None else "")
        )
    if deadline.extended_at is not None:
        raise CannotExtend(
            f"case {case.case_id}: its {what} was extended on "
            f"{iso_z(deadline.extended_at, 'seconds')}; the law allows one extension"
        )
    if now >= deadline.due_at:
        raise CannotExtend(
            f"case {case.case_id}: its {what} passed on "
            f"{iso_z(deadline.due_at, 'seconds')}; an extension must be taken before it"
        )
    found = tuple(d.model_copy(update={"extended_at": now}) if d is deadline else d for d in pool)
    if appeal is not None:
        extended = appeal.model_copy(update={"deadlines": found})
        moved = case.model_copy(update={"appeals": (*case.appeals[:-1], extended)})
    else:
        moved = case.model_copy(
            update={"deadlines": found, "plan_deadline_at": _plan_deadline(found, config)}
        )
    cause = Cause(kind=CauseKind.OPERATOR, ref=f"cases extend --jurisdiction {jurisdiction}")
    reason = f"{what} extended to {iso_z(deadline.latest_due_at, 'seconds')}: {why}"
    recorded = _move(moved, case.state, now, cause, actor, reason)
    # The case keeps the reason it had (an escalation's): the extension's is in its record.
    return Decision(recorded.model_copy(update={"reason": case.reason}))


class CannotAppeal(BwpPrivacyError):
    """No appeal can be opened on this case (said in one line: why, and what the laws say)."""


def open_appeal(
    case: Case,
    received_at: datetime,
    why: str,
    config: PlaybooksConfig,
    now: datetime,
    actor: str,
) -> Decision:
    """The shopper appealed how their request was answered: the case opens again as
    ``APPEALED``, against the appeal deadlines of the laws that apply to its business product
    and give an appeal, counted from the appeal's receipt. The answer appealed against is kept
    in the appeal (the request's record and yearly figures keep counting it); ``cases close``
    answers the appeal. The laws give one appeal per request."""
    if case.appeals:
        first = case.appeals[0]
        received = iso_z(first.received_at, "seconds")
        if case.open_appeal is not None:
            raise CannotAppeal(
                f"case {case.case_id}: its appeal received on {received} is open; answer it"
                " (`cases close`)"
            )
        raise CannotAppeal(
            f"case {case.case_id}: its appeal received on {received} was answered; the laws"
            " give one appeal per request"
        )
    if not case.state.ended:
        raise CannotAppeal(
            f"case {case.case_id} is {case.state.value}: an appeal is of an answer, and the"
            " request has none yet"
        )
    # The laws that bound the request (its deadlines say which: in force when it was
    # received), not those in force when the appeal came.
    table = config.table()
    laws = {
        d.jurisdiction: table[d.jurisdiction] for d in case.deadlines if d.jurisdiction in table
    }
    if not any(law.appeal_within is not None for law in laws.values()):
        raise CannotAppeal(
            f"case {case.case_id}: no law that applies to it ({', '.join(laws)}) gives an appeal"
            " to the business; answer the shopper and record it outside this case"
        )
    answered = case.ended_at or now
    counted_from = ""
    # Compared to the second: the answer's time as the CLI shows it (to the second) is a
    # received date an operator may give.
    if received_at < answered.replace(microsecond=0) and received_at.date() == answered.date():
        # A time before the answer on the answer's own day (a date given without its hour,
        # `--received 2026-12-07`, is that day's midnight): the appeal came after the answer,
        # so its clock starts at the answer (the earliest it can, the strictest deadline).
        received_at = answered
        counted_from = " (on the answer's day: counted from the answer)"
    if not answered.replace(microsecond=0) <= received_at <= now:
        raise CannotAppeal(
            f"an appeal's received date must lie between the answer"
            f" ({iso_z(answered, 'seconds')}) and now ({iso_z(now, 'seconds')});"
            f" {iso_z(received_at, 'seconds')} does not"
        )
    found = tuple(appeal_deadlines(received_at, laws))
    appeal = Appeal(
        received_at=received_at,
        reason=bounded(why, REASON_LIMIT),
        opened_at=now,
        deadlines=found,
        appealed=AppealedAnswer(
            state=case.state,
            closed_as=case.closed_as,
            denied_because=case.denied_because,
            reason=case.reason,
            ended_at=answered,
        ),
    )
    reopened = case.model_copy(
        update={
            "appeals": (*case.appeals, appeal),
            "ended_at": None,
            "closed_as": None,
            "denied_because": None,
        }
    )
    cause = Cause(kind=CauseKind.OPERATOR, ref="cases appeal")
    reason = (
        f"appeal received {iso_z(received_at, 'seconds')}{counted_from}, to answer by"
        f" {iso_z(appeal.due_at, 'seconds')} ({found[0].jurisdiction}): {why}"
    )
    return Decision(_move(reopened, CaseState.APPEALED, now, cause, actor, reason))


def _plan_deadline(found: tuple[Deadline, ...], config: PlaybooksConfig) -> datetime:
    """The deadline the playbooks plan by: the earliest of the extended ones (a deadline the
    law allows no extension counts as it is), or of those in force."""
    if config.plan_within == "extended":
        return min(d.latest_due_at for d in found)
    return min(d.effective_due_at for d in found)


# ---- helpers --------------------------------------------------------------------------


def _after_failure(
    case: Case,
    failure: TaskFailed,
    config: PlaybooksConfig,
    now: datetime,
    actor: str,
    *,
    from_state: CaseState | None,
) -> Decision:
    cause = _event_cause(failure.event_id)
    code, playbook = config.choose(list(failure.codes), lookup_ok=failure.lookup_ok, kind=case.kind)
    task = failure.task_id
    if isinstance(playbook, Close):
        nothing = _NOTHING_HELD[case.kind]
        moved = _move(
            case,
            nothing,
            now,
            cause,
            actor,
            f"{code}: {playbook.basis}",
            ended=True,
            from_state=from_state,
        )
        return Decision(moved, (Ended(nothing),))
    if isinstance(playbook, Escalate):
        why = f"task {task} failed with {code}"
        return _escalate(case, now, cause, actor, why, playbook.advice, from_state=from_state)
    attempt = case.attempts + 1
    if attempt > playbook.max_attempts:
        why = f"task {task} failed with {code} and all {playbook.max_attempts} attempts are used"
        return _escalate(
            case, now, cause, actor, why, ATTEMPTS_EXHAUSTED_ADVICE, from_state=from_state
        )
    at = now + (playbook.first_delay if attempt == 1 else playbook.interval)
    if at > case.plan_deadline_at - playbook.margin:
        return _escalate(
            case,
            now,
            cause,
            actor,
            *_too_late(case, playbook, at, now),
            from_state=from_state,
        )
    name = schedule_name(case.case_id, attempt)
    waiting = case.model_copy(update={"next_attempt_at": at})
    reason = (
        f"task {task} failed with {code}; attempt {attempt} of {playbook.max_attempts} "
        f"at {iso_z(at, 'seconds')}"
    )
    moved = _move(waiting, CaseState.WAITING, now, cause, actor, reason, from_state=from_state)
    return Decision(moved, (ScheduleAttempt(attempt, at, name, _latest_run(case, playbook, at)),))


def _latest_run(case: Case, playbook: Resubmit, at: datetime) -> datetime:
    """The latest Scheduler may run an attempt planned for ``at``: the planning deadline less
    the playbook's margin (what ``at`` itself was held to); and where ``at`` leaves its task
    time to finish (its holding period and a day) before the legal deadline in force, no later
    than that: spreading a storm must not carry an attempt past a deadline its planned time
    would meet (the storm model found one such case in 100,000)."""
    latest = case.plan_deadline_at - playbook.margin
    finish = timedelta(days=playbook.holding_period_days + 1)
    if at + finish <= case.legal_due_at:
        latest = min(latest, case.legal_due_at - finish)
    return latest


def _too_late(case: Case, playbook: Resubmit, at: datetime, now: datetime) -> tuple[str, str]:
    """Why the next attempt cannot be left to its schedule, and what a person does now: in
    sentences a person reads, by the legal deadline in force (the earliest, extended once an
    extension is recorded), in plain dates. The reason is kept and shown for as long as the
    case is open: it names dates, never a count of days that would be stale tomorrow (every
    view says how the deadline stands today). The planning deadline is the playbooks' own
    figure: named only when it is what the margin was counted from."""
    attempt = case.attempts + 1
    due = case.legal_due_at
    close = "close the case with how it was answered"
    if now >= due:
        reason = (
            f"the legal deadline of {plain_day(due)} passed before the next attempt: answer the"
            f" shopper outside Buy with Prime and {close}"
        )
        return reason, PAST_DUE_ADVICE
    if at >= due:
        reason = (
            f"attempt {attempt}, due on {plain_day(at)}, would come after the legal deadline "
            f"of {plain_day(due)}"
        )
    else:
        plan = case.plan_deadline_at
        which = (
            "the legal deadline"
            if plan == due
            else "the latest legal deadline once extended (the planning deadline)"
        )
        reason = (
            f"attempt {attempt}, due on {plain_day(at)}, would leave less than "
            f"{_days(playbook.margin)} before {plain_day(plan)}, {which}: too little for a "
            "task to finish"
        )
    extendable = sorted((d for d in case.deadlines if _extendable(d, now)), key=lambda d: d.due_at)
    if not extendable:
        return f"{reason}; no extension is left: answer the shopper or {close}", DEADLINE_ADVICE
    first = extendable[0]
    laws = ", ".join(d.jurisdiction for d in extendable)
    return (
        f"{reason}; resubmit now, extend ({laws}, telling the shopper before "
        f"{plain_day(first.due_at)}) or {close}",
        DEADLINE_ADVICE,
    )


def _extendable(deadline: Deadline, now: datetime) -> bool:
    """The law allows this deadline one extension, not taken yet, and it has not passed."""
    return (
        deadline.extended_at is None
        and deadline.extended_due_at is not None
        and now < deadline.due_at
    )


def _escalate(
    case: Case,
    now: datetime,
    cause: Cause,
    actor: str,
    why: str,
    advice: str,
    *,
    from_state: CaseState | Literal["same"] | None = "same",
) -> Decision:
    why = bounded(why, REASON_LIMIT)
    effects = _cancel_pending(case)
    effects.append(Escalation(reason=why, advice=advice))
    escalated = case.model_copy(update={"next_attempt_at": None})
    moved = _move(escalated, CaseState.ESCALATED, now, cause, actor, why, from_state=from_state)
    return Decision(moved, tuple(effects))


def _event_cause(event_id: str) -> Cause:
    """The cause of a move an event made: its id, as long as the envelope allows (256), kept
    within what a cause holds."""
    return Cause(kind=CauseKind.EVENT, ref=bounded(event_id, CAUSE_REF_LIMIT))


def _cancel_pending(case: Case) -> list[Effect]:
    if case.state is CaseState.WAITING and case.next_attempt_at is not None:
        attempt = case.attempts + 1
        return [CancelSchedule(attempt, schedule_name(case.case_id, attempt))]
    return []


def _with_task(case: Case, task: CaseTask) -> Case:
    tasks = tuple(task if t.task_id == task.task_id else t for t in case.tasks)
    return case.model_copy(update={"tasks": tasks})


def _move(
    case: Case,
    to: CaseState,
    now: datetime,
    cause: Cause,
    actor: str,
    reason: str,
    *,
    ended: bool = False,
    from_state: CaseState | Literal["same"] | None = "same",
) -> Case:
    before = case.state if from_state == "same" else from_state
    # Every reason is composed of parts some of which come from outside (an operator's words,
    # codes and ids from events and the API): bounded here, where each transition is built, no
    # reason can make the move impossible (an input failing on every retry, its case stuck).
    reason = bounded(reason, REASON_LIMIT)
    transition = Transition(
        at=now, from_state=before, to_state=to, cause=cause, actor=actor, reason=reason
    )
    update: dict[str, object] = {
        "state": to,
        "transitions": (*case.transitions, transition),
        # The case's reason says why it needs a person or how it ended; an open case that the
        # reaction is carrying on its own has none.
        "reason": reason if to in _WITH_REASON else None,
    }
    if ended:
        update |= {"ended_at": now, "next_attempt_at": None}
    return case.model_copy(update=update)


_WITH_REASON = frozenset(
    {
        CaseState.ESCALATED,
        CaseState.COMPLETED,
        CaseState.NOTHING_TO_DELETE,
        CaseState.NOTHING_TO_RETRIEVE,
        CaseState.CLOSED,
        # An appealed case waits for a person: its reason says what the appeal is about.
        CaseState.APPEALED,
    }
)
#: How a close playbook ends a case: Buy with Prime holds nothing to delete, or to retrieve.
_NOTHING_HELD: dict[CaseKind, CaseState] = {
    "deletion": CaseState.NOTHING_TO_DELETE,
    "retrieval": CaseState.NOTHING_TO_RETRIEVE,
}


def _days(length: timedelta) -> str:
    days = length / timedelta(days=1)
    return f"{days:g} day" + ("" if days == 1 else "s")


def days_left(case: Case, now: datetime) -> float:
    """Days until the planning deadline (negative: past due)."""
    return (case.plan_deadline_at - now) / timedelta(days=1)
