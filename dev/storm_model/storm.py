"""The storm, played: AWS and Buy with Prime by the model, the cases by the real decisions.

The flow is the stack's: a FAILED event goes from the partner bus to the recorder (an
asynchronous invocation: a token if the environment has none, the task's lookup, the record,
the publish); the topic fans out to the reaction's queue (batches of 10, at most 5 at once:
open the case or move it) and the router's (batches of 100 within the window: alerts). Each
`ScheduleAttempt` is a Scheduler schedule firing in its flexible window, an asynchronous
invocation of the reaction that reads the failed task's email and starts a new task (two
requests). Buy with Prime answers with COMPLETED (to the reaction) or FAILED (to the recorder
again) once the task ran. Every request takes its slots of the budget first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from bwp_privacy.cases import Case, Cause, CauseKind, schedule_name
from bwp_privacy.reaction.decisions import (
    CancelSchedule,
    Decision,
    Ended,
    Escalation,
    ScheduleAttempt,
    StartTask,
    TaskCompleted,
    TaskFailed,
    on_attempt_due,
    on_completed,
    on_failed,
    on_task_started,
    open_case,
)
from bwp_privacy.reaction.playbooks import PlaybooksConfig
from bwp_privacy.reaction.schedules import flexible_window
from storm_model.api import Api
from storm_model.lambdas import Account, Environment, EventSourceMapping, Function
from storm_model.scenario import (
    BUSINESS_PRODUCT_ID,
    Shopper,
    processing_s,
    shoppers,
    task_id,
)
from storm_model.settings import Settings
from storm_model.tables import Tables
from storm_model.world import Process, World

ACTOR = "reaction"
#: Assumed durations of the AWS calls each step makes (one DynamoDB request, one SNS publish,
#: one Scheduler CreateSchedule, one receiver's HTTP request).
DYNAMODB_S = 0.008
SNS_PUBLISH_S = 0.020
SCHEDULER_CREATE_S = 0.030
RECEIVER_REQUEST_S = 0.200
#: Visibility timeouts of the two queues (template: ReactionQueue, AlertQueue).
REACTION_VISIBILITY_S = 360.0
ALERT_VISIBILITY_S = 660.0


@dataclass(frozen=True, slots=True)
class FailedEvent:
    """A FAILED event on the partner bus (the storm's, or a started task's failing again)."""

    shopper: Shopper
    task_id: str
    event_id: str
    at: float
    first: bool


@dataclass(frozen=True, slots=True)
class AttemptDue:
    case_id: str
    attempt: int


@dataclass(frozen=True, slots=True)
class CompletedEvent:
    task_id: str
    event_id: str


@dataclass(frozen=True, slots=True)
class AlertMessage:
    """A message on the router's queue: a published failure, or a reaction notice."""

    kind: str  # "failure", "escalated", "ended"
    case_id: str
    code: str


@dataclass
class Alerts:
    pagerduty_incidents: int = 0
    pagerduty_events: int = 0
    slack_webhook_messages: int = 0
    slack_bot_threads: int = 0
    slack_bot_messages: int = 0
    router_batches: int = 0
    _paged: set[str] = field(default_factory=set, repr=False)
    _threads: set[str] = field(default_factory=set, repr=False)


@dataclass
class Outcomes:
    """What happened to the cases, counted as it happened."""

    ended_at: dict[str, float] = field(default_factory=dict)
    escalated_at: dict[str, float] = field(default_factory=dict)
    late: list[str] = field(default_factory=list)
    recorded_first: int = 0
    last_first_recorded_at: float = 0.0
    attempts_started: int = 0
    start_replays: int = 0
    double_starts: int = 0
    schedules_created: int = 0
    schedules_fired: int = 0
    schedules_cancelled: int = 0
    sns_publishes: int = 0
    partner_events: int = 0
    lost_failures: int = 0
    stale_inputs: int = 0


class Storm:
    def __init__(self, settings: Settings, playbooks: PlaybooksConfig) -> None:
        self.settings = settings
        self.playbooks = playbooks
        self.world = World(settings.seed)
        self.api = Api(self.world, None if settings.before else settings.api_requests_per_second)
        self.tables = Tables()
        self.account = Account(settings.account_concurrency)
        self.recorder = Function(
            self.world,
            self.account,
            "RecorderFunction",
            timeout_s=settings.recorder_timeout_s,
            memory_mb=settings.recorder_memory_mb,
            reserved=settings.recorder_reserved,
            max_retries=settings.recorder_max_retries,
            max_event_age_s=settings.recorder_max_event_age_s,
        )
        self.reaction = Function(
            self.world,
            self.account,
            "ReactionFunction",
            timeout_s=settings.reaction_timeout_s,
            memory_mb=settings.reaction_memory_mb,
            reserved=settings.reaction_reserved,
            max_retries=settings.reaction_max_retries,
            max_event_age_s=settings.reaction_max_event_age_s,
        )
        self.router = Function(
            self.world,
            self.account,
            "AlertRouterFunction",
            timeout_s=settings.router_timeout_s,
            memory_mb=settings.router_memory_mb,
            reserved=0,
            max_retries=0,
            max_event_age_s=0,
        )
        self.reaction_queue = EventSourceMapping(
            self.world,
            self.reaction,
            batch_size=settings.reaction_batch_size,
            window_s=0.0,
            max_concurrency=settings.reaction_max_concurrency,
            visibility_timeout_s=REACTION_VISIBILITY_S,
            handler=self._reaction_batch,
        )
        self.alert_queue = EventSourceMapping(
            self.world,
            self.router,
            batch_size=settings.router_batch_size,
            window_s=float(settings.router_window_s),
            max_concurrency=settings.router_max_concurrency,
            visibility_timeout_s=ALERT_VISIBILITY_S,
            handler=self._router_batch,
        )
        self.recorder.on_parked = self._parked
        self.cases: dict[str, Case] = {}
        self.links: dict[str, str] = {}
        self.shopper_of: dict[str, Shopper] = {}
        self.started: dict[str, str] = {}
        self.cancelled: set[str] = set()
        self.outcomes = Outcomes()
        self.alerts = Alerts()
        self._events = 0

    # ---- the storm -------------------------------------------------------------------------

    def run(self) -> None:
        for shopper in shoppers(self.settings.failures, self.settings.storm_hours, self.world.rng):
            self.shopper_of[shopper.task_id] = shopper
            event = FailedEvent(shopper, shopper.task_id, self._event_id(), shopper.failed_at, True)
            self.world.at(shopper.failed_at, partial(self._partner_failed, event))
        self.world.run()
        for pacer in (self.api.requests, self.api.token_requests):
            if pacer is not None:
                self.tables.pacer_writes(pacer.key, pacer.writes)

    def _event_id(self) -> str:
        self._events += 1
        return f"ev-{self._events:012d}-5b7a-4c1e-9d2f-0a1b2c3d"

    def _partner_failed(self, event: FailedEvent) -> None:
        self.outcomes.partner_events += 1
        self.recorder.invoke_async(event, self._record)

    def _parked(self, payload: Any) -> None:
        if isinstance(payload, FailedEvent) and payload.first:
            self.outcomes.lost_failures += 1

    # ---- the recorder ----------------------------------------------------------------------

    def _record(self, env: Environment, event: FailedEvent, deadline: float) -> Process:
        world, tables = self.world, self.tables
        yield DYNAMODB_S
        tables.failure_claim(world.now)
        if not (yield from self.api.execute(env, deadline)):
            # BudgetSpent: the claim is released and the invocation fails (Lambda retries it).
            yield DYNAMODB_S
            tables.failure_released(world.now)
            return False
        yield DYNAMODB_S + SNS_PUBLISH_S
        tables.failure_record(
            world.now,
            world.moment(),
            event.task_id,
            BUSINESS_PRODUCT_ID,
            event.shopper.code,
        )
        self.outcomes.sns_publishes += 1
        if event.first:
            self.outcomes.recorded_first += 1
            self.outcomes.last_first_recorded_at = world.now
        self.reaction_queue.send(event)
        case_id = self.links.get(event.task_id, event.task_id)
        self.alert_queue.send(AlertMessage("failure", case_id, event.shopper.code))
        return True

    # ---- the reaction: published failures (SQS) ----------------------------------------------

    def _reaction_batch(self, env: Environment, events: list[Any], deadline: float) -> Process:
        for event in events:
            assert isinstance(event, FailedEvent)
            yield 2 * DYNAMODB_S
            self._failed(event)
        return []

    def _failed(self, event: FailedEvent) -> None:
        world = self.world
        now = world.moment()
        failure = TaskFailed(
            task_id=event.task_id,
            business_product_id=BUSINESS_PRODUCT_ID,
            codes=(event.shopper.code,),
            lookup_ok=True,
            submitted_at=world.moment(event.shopper.submitted_at) if event.first else None,
            event_id=event.event_id,
            event_time=world.moment(event.at),
        )
        case_id = self.links.get(event.task_id)
        if case_id is None:
            decision: Decision | None = open_case(failure, self.playbooks, now, ACTOR)
            before = None
        else:
            before = self.cases[case_id]
            self.tables.case_read(before)
            decision = on_failed(before, failure, self.playbooks, now, ACTOR)
        if decision is None:
            self.outcomes.stale_inputs += 1
            return
        self._carry(decision)
        self._save(before, decision, link_task=case_id is None)

    # ---- the reaction: attempts (Scheduler, asynchronous) ------------------------------------

    def _schedule(self, case: Case, effect: ScheduleAttempt) -> None:
        self.outcomes.schedules_created += 1
        window = flexible_window(effect.at, effect.latest, self.settings.attempt_window_minutes)
        fire = self.world.seconds(effect.at)
        if window["Mode"] == "FLEXIBLE":
            # Scheduler picks a time in the window: uniformly, as the model's assumption.
            fire += self.world.rng.uniform(0.0, window["MaximumWindowInMinutes"] * 60.0)
        due = AttemptDue(case.case_id, effect.attempt)
        self.world.at(fire, lambda: self._fire(effect.name, due))

    def _fire(self, name: str, due: AttemptDue) -> None:
        if name in self.cancelled:
            return  # deleted before it fired
        self.outcomes.schedules_fired += 1
        self.reaction.invoke_async(due, self._attempt)

    def _attempt(self, env: Environment, due: AttemptDue, deadline: float) -> Process:
        world = self.world
        yield DYNAMODB_S
        case = self.cases[due.case_id]
        self.tables.case_read(case)
        decision = on_attempt_due(case, due.attempt, self.playbooks, world.moment(), ACTOR)
        if decision is None:
            self.outcomes.stale_inputs += 1
            return True
        start = next((e for e in decision.effects if isinstance(e, StartTask)), None)
        if start is None:
            self._carry(decision)
            self._save(case, decision)
            return True
        # The failed task's email, then the start: two requests, each paced.
        if not (yield from self.api.execute(env, deadline)):
            return False
        if not (yield from self.api.execute(env, deadline)):
            return False
        new_task = self._start_task(case, start)
        yield 2 * DYNAMODB_S
        case = self.cases[due.case_id]
        if new_task in self.links:
            return True  # linked by an earlier try of this attempt
        cause = Cause(kind=CauseKind.SCHEDULE, ref=schedule_name(case.case_id, due.attempt))
        linked = on_task_started(case, due.attempt, new_task, cause, world.moment(), ACTOR)
        if linked is None:
            self.outcomes.stale_inputs += 1
            return True
        self._carry(linked)
        self._save(case, linked, link_task=False)
        self.links[new_task] = case.case_id
        self.outcomes.attempts_started += 1
        return True

    def _start_task(self, case: Case, start: StartTask) -> str:
        """Buy with Prime starts a task, once per client token (a retry gets the same task)."""
        existing = self.started.get(start.client_token)
        if existing is not None:
            self.outcomes.start_replays += 1
            return existing
        world = self.world
        shopper = self.shopper_of[case.tasks[0].task_id]
        new_task = task_id(world.rng)
        self.started[start.client_token] = new_task
        self.shopper_of[new_task] = shopper
        ran = start.holding_period_days * 86_400.0 + processing_s(world.rng)
        if world.now >= shopper.orders_close_at:
            done = CompletedEvent(new_task, self._event_id())
            world.after(ran, lambda: self._partner_completed(done))
        else:
            failed = FailedEvent(shopper, new_task, self._event_id(), world.now + ran, False)
            world.after(ran, lambda: self._partner_failed(failed))
        return new_task

    # ---- the reaction: COMPLETED (asynchronous) ---------------------------------------------

    def _partner_completed(self, done: CompletedEvent) -> None:
        self.outcomes.partner_events += 1
        self.reaction.invoke_async(done, self._completed)

    def _completed(self, env: Environment, done: CompletedEvent, deadline: float) -> Process:
        yield DYNAMODB_S
        case_id = self.links.get(done.task_id)
        if case_id is None:
            self.outcomes.stale_inputs += 1
            return True
        case = self.cases[case_id]
        self.tables.case_read(case)
        yield DYNAMODB_S
        decision = on_completed(
            case, TaskCompleted(done.task_id, done.event_id), self.world.moment(), ACTOR
        )
        if decision is None:
            self.outcomes.stale_inputs += 1
            return True
        self._carry(decision)
        self._save(case, decision)
        return True

    # ---- carrying a decision out --------------------------------------------------------------

    def _carry(self, decision: Decision) -> None:
        case = decision.case
        for effect in decision.effects:
            if isinstance(effect, ScheduleAttempt):
                self._schedule(case, effect)
            elif isinstance(effect, CancelSchedule):
                self.cancelled.add(effect.name)
                self.outcomes.schedules_cancelled += 1
            elif isinstance(effect, Escalation):
                self._escalated(case)

    def _save(self, before: Case | None, decision: Decision, *, link_task: bool = True) -> None:
        world, case = self.world, decision.case
        self.cases[case.case_id] = case
        if before is None:
            self.links[case.case_id] = case.case_id
        self.tables.case_written(world.now, before, case, link_task=link_task and before is None)
        if any(isinstance(effect, Ended) for effect in decision.effects):
            self.outcomes.ended_at[case.case_id] = world.now
            self._check_deadline(case)
            self._notice(AlertMessage("ended", case.case_id, case.playbook_code))

    def _escalated(self, case: Case) -> None:
        self.outcomes.escalated_at[case.case_id] = self.world.now
        self._check_deadline(case)
        self._notice(AlertMessage("escalated", case.case_id, case.playbook_code))

    def _check_deadline(self, case: Case) -> None:
        if self.world.moment() > case.legal_due_at:
            self.outcomes.late.append(case.case_id)

    def _notice(self, message: AlertMessage) -> None:
        self.outcomes.sns_publishes += 1
        self.alert_queue.send(message)

    # ---- the router ------------------------------------------------------------------------

    def _router_batch(self, env: Environment, messages: list[Any], deadline: float) -> Process:
        """The router's grouping (alerting.grouping), reduced to what it sends: PagerDuty one
        event per alert, deduplicated on its case (one incident per case); a Slack incoming
        webhook one message per group (route, business product, error code) of the batch; a
        Slack bot one thread per case. Failures route by their code's severity (routes.json:
        DATA_SUBJECT_NOT_FOUND to webhook and EventBridge only), escalations are critical
        (page-critical), ends resolve what was sent."""
        alerts = self.alerts
        alerts.router_batches += 1
        webhook_groups: set[tuple[str, str]] = set()
        requests = 0
        for message in messages:
            assert isinstance(message, AlertMessage)
            if message.kind == "failure":
                if message.code == "DATA_SUBJECT_NOT_FOUND":
                    continue
                webhook_groups.add(("default", message.code))
                self._slack_bot(message.case_id)
            elif message.kind == "escalated":
                webhook_groups.add(("page-critical", message.code))
                self._slack_bot(message.case_id)
                alerts.pagerduty_events += 1
                requests += 1
                if message.case_id not in alerts._paged:
                    alerts._paged.add(message.case_id)
                    alerts.pagerduty_incidents += 1
            else:
                if message.case_id in alerts._threads:
                    webhook_groups.add(("resolved", message.code))
                    self._slack_bot(message.case_id)
                if message.case_id in alerts._paged:
                    alerts.pagerduty_events += 1
                    requests += 1
        alerts.slack_webhook_messages += len(webhook_groups)
        requests += len(webhook_groups)
        yield 0.1 + RECEIVER_REQUEST_S * requests / max(self.settings.router_max_concurrency, 1)
        return []

    def _slack_bot(self, case_id: str) -> None:
        self.alerts.slack_bot_messages += 1
        if case_id not in self.alerts._threads:
            self.alerts._threads.add(case_id)
            self.alerts.slack_bot_threads += 1


def run_storm(settings: Settings, playbooks: PlaybooksConfig) -> Storm:
    storm = Storm(settings, playbooks)
    storm.run()
    return storm


def open_states(storm: Storm) -> dict[str, int]:
    """Cases by state at the end, and the failures that never opened one (parked)."""
    counts: dict[str, int] = {}
    for case in storm.cases.values():
        counts[case.state.value] = counts.get(case.state.value, 0) + 1
    if storm.outcomes.lost_failures:
        counts["never opened (event parked in OnFailure)"] = storm.outcomes.lost_failures
    return counts


def last_end_s(storm: Storm) -> float:
    times = [*storm.outcomes.ended_at.values(), *storm.outcomes.escalated_at.values()]
    return max(times, default=0.0)
