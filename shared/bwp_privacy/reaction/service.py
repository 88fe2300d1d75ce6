"""The reaction: each input (a published failure, a COMPLETED event, a due attempt, an
operator's command) read against the case as stored, decided by the state machine, carried
out, and written.

Effects are carried out *before* the case is written, and each is safe to repeat: schedules
by name, starts by client token, notices by a stable id. A crash or a lost race between the
two is therefore healed by the input's own retry (the same input decides the same thing),
and nothing is ever lost to a write that went through while its effect did not. The one
exception is the end of a case: its ``ended`` notice is published after the write (see
`ReactionService._written`), and again whenever an input finds the case already ended.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bwp_privacy.audit import AuditWriter
from bwp_privacy.cases import (
    Case,
    CaseConflict,
    CaseState,
    CaseStore,
    Cause,
    CauseKind,
    ClosedAs,
    DeniedBecause,
    schedule_name,
)
from bwp_privacy.cases.case import STARTABLE
from bwp_privacy.common import BwpPrivacyError, MetricsSink, parse_iso, utc_now
from bwp_privacy.contract import LookupStatus, TaskFailure
from bwp_privacy.reaction.audit_entries import transition_entries
from bwp_privacy.reaction.decisions import (
    Announce,
    CancelSchedule,
    Decision,
    Ended,
    Escalation,
    ScheduleAttempt,
    StartTask,
    TaskCompleted,
    TaskFailed,
    close_by_operator,
    extend,
    merge_stray,
    on_attempt_due,
    on_attempt_impossible,
    on_completed,
    on_failed,
    on_task_started,
    open_appeal,
    open_case,
    set_received,
    start_task,
)
from bwp_privacy.reaction.notices import NoticePublisher, build_notice
from bwp_privacy.reaction.playbooks import PlaybooksConfig, Resubmit
from bwp_privacy.reaction.resubmit import CannotResubmit, Resubmitter
from bwp_privacy.reaction.schedules import AttemptScheduler

#: Reads and decisions again after a lost race before the input is failed (and retried).
MAX_CONFLICTS = 5

ANNOUNCE_ADVICE = (
    "Start a new deletion task for this shopper from your own system, then link it to the "
    "case: `bwp-privacy cases link CASE TASK`."
)


class CaseNotFound(BwpPrivacyError):
    """No case has that id."""


class CaseNotStartable(BwpPrivacyError):
    """The case is in a state from which no task may be started (it ended, or one runs)."""


@dataclass(frozen=True, slots=True)
class Handled:
    """What an input did: ``opened``, ``moved``, ``unchanged`` or ``kept`` (an outcome held
    for a task no case has linked yet), and the case's state after it."""

    outcome: str
    case_id: str | None = None
    state: CaseState | None = None


class ReactionService:
    """Carries cases from input to input."""

    def __init__(
        self,
        *,
        store: CaseStore,
        scheduler: AttemptScheduler,
        resubmitter: Resubmitter,
        notices: NoticePublisher,
        playbooks: Callable[[], PlaybooksConfig],
        metrics: MetricsSink,
        audit: AuditWriter,
        retention_days: int,
        actor: str,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._audit = audit
        self._retention_days = retention_days
        self._scheduler = scheduler
        self._resubmitter = resubmitter
        self._notices = notices
        self._playbooks = playbooks
        self._metrics = metrics
        self._actor = actor
        self._clock = clock

    # ---- inputs ------------------------------------------------------------------------

    def task_failed(self, failure: TaskFailure) -> Handled:
        """A published failure (of a deletion or a retrieval task): open a case of that kind for
        a task in none, else move the task's case."""
        failed = _task_failed(failure, self._clock())
        config = self._playbooks()
        for _ in range(MAX_CONFLICTS):
            link = self._store.task_link(failed.task_id)
            if link is None or link.case_id is None:
                decision = open_case(failed, config, self._clock(), self._actor)
                self._carry(decision)
                if not self._store.create(decision.case):
                    continue  # opened meanwhile by another invocation: move that case
                self._metrics.count("CasesOpened")
                self._written(decision, since=0)
                if link is not None and link.outcome == "COMPLETED":
                    return self.task_completed(failed.task_id, "early-outcome")
                return Handled("opened", decision.case.case_id, decision.case.state)
            case_id = link.case_id
            return self._move(
                case_id, lambda case: on_failed(case, failed, config, self._clock(), self._actor)
            )
        raise CaseConflict(f"task {failed.task_id}: its case kept changing")

    def task_completed(self, task_id: str, event_id: str) -> Handled:
        """``PERSONAL_DATA_DELETION_TASK_COMPLETED`` or ``..._RETRIEVAL_TASK_COMPLETED``:
        complete the task's case (whatever its kind: a task belongs to one case), or keep the
        outcome until a case links the task (most completions belong to no case)."""
        done = TaskCompleted(task_id=task_id, event_id=event_id)
        for _ in range(MAX_CONFLICTS):
            link = self._store.task_link(task_id)
            if link is None or link.case_id is None:
                if link is not None and link.outcome == "COMPLETED":
                    return Handled("unchanged")
                if self._store.record_early_outcome(task_id, "COMPLETED", self._clock()):
                    return Handled("kept")
                continue  # linked meanwhile: complete its case
            return self._move(
                link.case_id, lambda case: on_completed(case, done, self._clock(), self._actor)
            )
        raise CaseConflict(f"task {task_id}: its case kept changing")

    def attempt_due(self, case_id: str, attempt: int, *, deadline: float | None = None) -> Handled:
        """A schedule fired: start the attempt (or announce it, or escalate if it is late)."""
        case = self._store.load(case_id)
        if case is None:
            return Handled("unchanged", case_id)
        decision = on_attempt_due(case, attempt, self._playbooks(), self._clock(), self._actor)
        if decision is None:
            self._recorded_again(case)
            return Handled("unchanged", case_id, case.state)
        start = next((e for e in decision.effects if isinstance(e, StartTask)), None)
        if start is None:
            return self._move(
                case_id,
                lambda now_case: on_attempt_due(
                    now_case, attempt, self._playbooks(), self._clock(), self._actor
                ),
            )
        cause = Cause(kind=CauseKind.SCHEDULE, ref=schedule_name(case_id, attempt))
        try:
            task_id = self._resubmitter.resubmit(
                case.business_product_id,
                start.source_task_id,
                client_token=start.client_token,
                holding_period_days=start.holding_period_days,
                kind=case.kind,
                deadline=deadline,
            )
        except CannotResubmit as error:
            why, email_unread = str(error), error.email_unread
            return self._move(
                case_id,
                lambda now_case: on_attempt_impossible(
                    now_case, attempt, why, self._clock(), self._actor, email_unread=email_unread
                ),
            )
        return self._link(case_id, attempt, task_id, cause, self._actor)

    # ---- operator commands -------------------------------------------------------------

    def resubmit_now(
        self,
        case_id: str,
        operator: str,
        *,
        email: str | None = None,
        deadline: float | None = None,
    ) -> Handled:
        """Start the next attempt now (``cases resubmit``), with the failed task's email or one
        the operator supplies (held in memory for the one call)."""
        case = self._require(case_id)
        # Checked before the start mutation: a task started for a case that cannot take it
        # (ended, one already running, an appeal awaiting a person's answer) would be started
        # at Buy with Prime and then belong to no case.
        if case.state not in STARTABLE:
            raise CaseNotStartable(
                f"case {case_id} is {case.state.value}: no new task can be started for it"
            )
        attempt = case.attempts + 1
        playbook = self._playbooks().for_kind(case.kind).playbooks.get(case.playbook_code)
        holding = playbook.holding_period_days if isinstance(playbook, Resubmit) else 0
        start = start_task(case, attempt, holding)
        if email is None:
            task_id = self._resubmitter.resubmit(
                case.business_product_id,
                start.source_task_id,
                client_token=start.client_token,
                holding_period_days=holding,
                kind=case.kind,
                deadline=deadline,
            )
        else:
            task_id = self._resubmitter.start(
                case.business_product_id,
                email,
                client_token=start.client_token,
                holding_period_days=holding,
                kind=case.kind,
                deadline=deadline,
            )
            del email
        cause = Cause(kind=CauseKind.OPERATOR, ref="cases resubmit")
        return self._link(case_id, attempt, task_id, cause, operator)

    def link_task(self, case_id: str, task_id: str, operator: str) -> Handled:
        """Link a task the merchant's own system started (announce mode) to the case."""
        case = self._require(case_id)
        cause = Cause(kind=CauseKind.OPERATOR, ref="cases link")
        return self._link(case_id, case.attempts + 1, task_id, cause, operator)

    def set_received(
        self, case_id: str, received_at: datetime, reason: str, operator: str
    ) -> Handled:
        """Correct when the request was received (its deadlines move with it)."""
        self._require(case_id)
        config = self._playbooks()
        return self._move(
            case_id,
            lambda case: set_received(case, received_at, reason, config, self._clock(), operator),
        )

    def appeal(self, case_id: str, received_at: datetime, reason: str, operator: str) -> Handled:
        """Open the shopper's appeal of how the request was answered (`CannotAppeal` when the
        case has no answer, had its appeal, or no law that applies gives one)."""
        self._require(case_id)
        config = self._playbooks()
        return self._move(
            case_id,
            lambda case: open_appeal(case, received_at, reason, config, self._clock(), operator),
        )

    def close(
        self,
        case_id: str,
        reason: str,
        operator: str,
        closed_as: ClosedAs,
        denied_because: DeniedBecause | None = None,
    ) -> Handled:
        """Close an open case with the operator's reason and how the request was answered (a
        denial with its category)."""
        self._require(case_id)
        return self._move(
            case_id,
            lambda case: close_by_operator(
                case, reason, self._clock(), operator, closed_as, denied_because
            ),
        )

    def extend(self, case_id: str, jurisdiction: str, reason: str, operator: str) -> Handled:
        """Extend one jurisdiction's deadline (once, before it passes: `CannotExtend`)."""
        self._require(case_id)
        config = self._playbooks()
        return self._move(
            case_id,
            lambda case: extend(case, jurisdiction, reason, config, self._clock(), operator),
        )

    # ---- carrying out ------------------------------------------------------------------

    def _link(self, case_id: str, attempt: int, task_id: str, cause: Cause, actor: str) -> Handled:
        for _ in range(MAX_CONFLICTS):
            prior = self._store.task_link(task_id)
            if prior is not None and prior.case_id not in (None, case_id):
                merged = self._merge(case_id, attempt, task_id, prior.case_id or "", cause, actor)
                if merged is not None:
                    return merged
            if prior is not None and prior.case_id is not None:
                # Linked already: a retry after a crash between the start and the write.
                linked = self._require(prior.case_id)
                self._recorded_again(linked)
                return Handled("unchanged", prior.case_id, linked.state)
            case = self._require(case_id)
            decision = on_task_started(case, attempt, task_id, cause, self._clock(), actor)
            if decision is None:
                raise CaseNotStartable(
                    f"case {case_id} is {case.state.value} after {case.attempts} attempt(s): "
                    f"task {task_id} cannot be linked as attempt {attempt}"
                )
            self._carry(decision)
            try:
                saved = self._store.save(
                    decision.case, link_task=task_id, over_early_outcome=prior is not None
                )
            except CaseConflict:
                continue
            self._metrics.count("AttemptsStarted")
            self._written(decision, since=len(case.transitions))
            if prior is not None and prior.outcome == "COMPLETED":
                return self.task_completed(task_id, "early-outcome")
            return Handled("moved", case_id, saved.state)
        raise CaseConflict(f"case {case_id}: it kept changing while task {task_id} was linked")

    def _merge(
        self, case_id: str, attempt: int, task_id: str, stray_id: str, cause: Cause, actor: str
    ) -> Handled | None:
        """The task this attempt started already opened a case of its own (every retry of the
        attempt died before the link, and the task failed first): merge it back."""
        case, stray = self._require(case_id), self._require(stray_id)
        decisions = merge_stray(
            case, stray, attempt, cause, self._playbooks(), self._clock(), actor
        )
        if decisions is None:
            return None
        merged, closed = decisions
        self._carry(merged)
        self._carry(closed)
        saved = self._store.save_merge(merged.case, closed.case, task_id)
        self._metrics.count("CasesMerged")
        self._written(merged, since=len(case.transitions))
        self._written(closed, since=len(stray.transitions))
        return Handled("moved", case_id, saved.state)

    def _move(self, case_id: str, decide: Callable[[Case], Decision | None]) -> Handled:
        for _ in range(MAX_CONFLICTS):
            case = self._require(case_id)
            decision = decide(case)
            if decision is None:
                self._recorded_again(case)
                if case.state.ended:
                    # The input ended the case before and is here again (a retry after a crash
                    # between the write and the notice): tell the router again; it resolves
                    # each incident once whatever it is told.
                    self._announce_end(case)
                return Handled("unchanged", case_id, case.state)
            self._carry(decision)
            try:
                saved = self._store.save(decision.case)
            except CaseConflict:
                continue
            self._written(decision, since=len(case.transitions))
            return Handled("moved", case_id, saved.state)
        raise CaseConflict(f"case {case_id} kept changing")

    def _carry(self, decision: Decision) -> None:
        case = decision.case
        now = self._clock()
        for effect in decision.effects:
            if isinstance(effect, ScheduleAttempt):
                self._scheduler.schedule(
                    effect.name, case.case_id, effect.attempt, effect.at, latest=effect.latest
                )
            elif isinstance(effect, CancelSchedule):
                self._scheduler.cancel(effect.name)
            elif isinstance(effect, Escalation):
                notice = build_notice(case, "escalated", effect.reason, effect.advice, now)
                self._notices.publish(notice)
                self._metrics.count("CasesEscalated")
            elif isinstance(effect, Announce):
                reason = f"resubmission {effect.attempt} of case {case.case_id} is due"
                self._notices.publish(
                    build_notice(case, "resubmission-due", reason, ANNOUNCE_ADVICE, now)
                )
            elif isinstance(effect, Ended | StartTask):
                continue  # announced after the write; started by the attempt itself

    def _written(self, decision: Decision, *, since: int) -> None:
        """What follows a successful write: the new transitions (from index ``since``) go to
        the audit trail, and an ended case is counted and announced. Unlike the other effects,
        the end is told only once it is written: the router resolves every incident of an
        ended case and suppresses its later alerts, so an end that a lost write never made
        would silence a case that is still open. A failed audit write fails the input, whose
        retry finds the case moved and records its transitions again (`_recorded_again`)."""
        self._audit.append(transition_entries(decision.case, since, self._retention_days))
        for effect in decision.effects:
            if isinstance(effect, Ended):
                self._metrics.count("CasesEnded", state=effect.state.value)
                self._announce_end(decision.case)

    def _recorded_again(self, case: Case) -> None:
        """An input found nothing to do: it may be the retry of one whose audit write failed
        after its case write, so the case's transitions are written again (the trail keeps
        each once: a transition's entry id is its index)."""
        self._audit.append(transition_entries(case, 0, self._retention_days))

    def _announce_end(self, case: Case) -> None:
        """The ``ended`` notice of ``case`` (its id is stable: told again, it is the same)."""
        why = case.reason or f"case {case.case_id} ended ({case.state.value})"
        self._notices.publish(build_notice(case, "ended", why, "", self._clock()))

    def _require(self, case_id: str) -> Case:
        case = self._store.load(case_id)
        if case is None:
            raise CaseNotFound(f"no case {case_id}")
        return case


def _task_failed(failure: TaskFailure, now: datetime) -> TaskFailed:
    return TaskFailed(
        task_id=failure.task_id,
        business_product_id=failure.business_product_id,
        codes=tuple(failure.error_codes),
        lookup_ok=failure.lookup.status is LookupStatus.OK,
        submitted_at=parse_iso(failure.submission_date),
        event_id=failure.event_id,
        event_time=parse_iso(failure.event_time) or parse_iso(failure.received_at) or now,
        kind=failure.task_kind,
    )
