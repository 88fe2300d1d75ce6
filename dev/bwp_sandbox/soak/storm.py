"""A storm: thousands of PERSONAL_DATA_DELETION_TASK_FAILED events of one merchant (one
business product) within minutes, carried to the end of every case over weeks of the
sandbox's clock, with the request rate the Buy with Prime API sees measured against the API
budget.

The failures are mostly ORDERS_NOT_CLOSED (shoppers whose orders close days to weeks later;
a few never within five attempts), some DATA_SUBJECT_NOT_FOUND and a few received too late
for any attempt; seeded, deterministic. The recorder runs as Lambda runs it in a storm: in
several execution environments at once (each a cold start of its own, its own token cache
and clients, in threads), and so does the reaction, over its queue and for the attempts its
schedules fire. The alert router runs over its queue. Then the clock moves a day at a time
(Scheduler fires a schedule with a FLEXIBLE window somewhere in it) until every case ended.

The emulator counts the requests per second of the real clock (GraphQL and token together)
and, with a limit (the budget by default), answers 429 above it. The stack gets the budget
(``ApiRequestsPerSecond``) when its template declares the parameter; before then the storm
shows the rate the API sees without one.
`python -m bwp_sandbox.soak.storm --failures 5000` (`make storm`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import math
import queue
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bwp_privacy.cases import Case, CaseReader, CaseState
from bwp_privacy.cases.clock import legal_due_at
from bwp_privacy.partner_events import detail_type, task_resource
from bwp_privacy_cli.local import LocalFunction, invoke_async
from bwp_privacy_cli.local.environ import function_environment
from bwp_sandbox.admin import admin_client
from bwp_sandbox.event_source import SqsEventSource
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.seed import SAMPLE_BUSINESS_PRODUCT_ID as BP
from bwp_sandbox.seed import SAMPLE_SOURCE
from bwp_sandbox.soak.reaction import FAILED, Scenario, _peek, _redrive, _seed_task
from bwp_sandbox.stack import drain_queue, load_template
from bwp_sandbox.timeline import Step, Timeline

T = TypeVar("T")
R = TypeVar("R")

#: The template parameter of the API budget (requests per second, fleet-wide).
BUDGET_PARAMETER = "ApiRequestsPerSecond"
DEFAULT_BUDGET = 10
#: Requests a whole second may count over the budget: one paced at the end of the second
#: before that reached the API in this one.
BOUNDARY_SLACK = 1
#: Sandbox days the clock may run before the storm gives up on cases still open.
MAX_DAYS = 80
#: The clock moves this many days at a time.
STEP_DAYS = 1.0
#: Lambda's asynchronous invocation: the first try and two retries.
LAMBDA_ATTEMPTS = 3
NO_MORE_THAN = 1_000_000
#: template.yaml: the ReactionQueue event source's ScalingConfig MaximumConcurrency (at most
#: that many environments poll the queue), and the AlertQueue event source's BatchSize.
REACTION_QUEUE_CONCURRENCY = 5
ROUTER_BATCH_SIZE = 100


def storm_scenarios(count: int, seed: int) -> list[Scenario]:
    """``count`` failures of one business product: 80 % ORDERS_NOT_CLOSED closing 3 to 28
    days later, 15 % DATA_SUBJECT_NOT_FOUND, 3 % orders still open after five attempts (60
    days), 2 % received 60 days ago (too late for any attempt)."""
    rng = random.Random(seed)
    found = []
    for n in range(count):
        roll = rng.random()
        task = f"storm-{n:05d}"
        if roll < 0.80:
            # Half days: never within hours of an attempt.
            found.append(Scenario(task, "orders", orders_open_days=rng.randrange(3, 28) + 0.5))
        elif roll < 0.95:
            found.append(Scenario(task, "not-found"))
        elif roll < 0.98:
            found.append(Scenario(task, "orders", orders_open_days=60.5))
        else:
            found.append(Scenario(task, "late"))
    return found


class Environments:
    """Several execution environments of one function, each a cold start of its own (its own
    module: its own clients, token cache and settings), invoked from threads, one invocation
    at a time per environment, as Lambda runs a function's concurrent invocations."""

    def __init__(self, function: LocalFunction, count: int) -> None:
        self.function = function
        self.copies = [_cold_copy(function) for _ in range(count)]
        self._free: queue.SimpleQueue[LocalFunction] = queue.SimpleQueue()
        for copy in self.copies:
            self._free.put(copy)
        self._pool = ThreadPoolExecutor(count, thread_name_prefix=function.logical_id)

    def map(self, work: Callable[[LocalFunction, T], R], items: list[T]) -> list[R]:
        """``work(environment, item)`` for each item, on whichever environment is free."""

        def one(item: T) -> R:
            copy = self._free.get()
            try:
                return work(copy, item)
            finally:
                self._free.put(copy)

        return list(self._pool.map(one, items))

    def invoke_async(self, events: list[dict[str, Any]], on_failure_queue_url: str) -> int:
        """Lambda's asynchronous invocations of ``events``; how many failed to OnFailure."""
        outcomes = self.map(
            lambda copy, event: invoke_async(
                copy, event, on_failure_queue_url=on_failure_queue_url
            ),
            events,
        )
        return sum(1 for outcome in outcomes if outcome.error is not None)

    def poll(self, queue_url: str, batch_size: int = 10, concurrency: int | None = None) -> int:
        """An SQS event source mapping scaled out: ``concurrency`` environments (all by
        default) poll the queue until it is empty; the records received."""

        def drain(copy: LocalFunction) -> int:
            source = SqsEventSource(queue_url, copy, batch_size=batch_size)
            return sum(r.received for r in source.drain(max_invocations=NO_MORE_THAN))

        pollers = min(len(self.copies), concurrency or len(self.copies))
        futures = [self._pool.submit(self._with_copy, drain) for _ in range(pollers)]
        return sum(future.result() for future in futures)

    def _with_copy(self, work: Callable[[LocalFunction], int]) -> int:
        copy = self._free.get()
        try:
            return work(copy)
        finally:
            self._free.put(copy)

    def close(self) -> None:
        self._pool.shutdown()


def _cold_copy(function: LocalFunction) -> LocalFunction:
    """A cold start of ``function`` in a module of its own (not the one in sys.modules)."""
    from aws_lambda_powertools.utilities import parameters

    copy = replace(function, module=None)
    spec = importlib.util.find_spec(copy.module_name)
    if spec is None or spec.loader is None:
        raise LookupError(f"no module {copy.module_name}")
    with function_environment(copy.logical_id, copy.environment):
        parameters.clear_caches()  # type: ignore[no-untyped-call]  # a new process's cache
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    copy.module = module
    return copy


class StormTimeline(Timeline):
    """The timeline with the recorder and the reaction scaled out to several environments,
    the router after each round, and flexible windows fired within the window."""

    def __init__(self, sandbox: Sandbox, environments: int) -> None:
        super().__init__(sandbox, flexible_windows=True)
        self.recorders = Environments(self.recorder, environments)
        self.reactions = Environments(self.reaction, environments)
        self.router: LocalFunction = sandbox.router.cold_start()
        self.alert_messages = 0
        self.fired = 0
        self.invocations: Counter[str] = Counter()
        self._schedules: dict[str, dict[str, Any]] = {}
        #: Wall seconds spent in each part of the rounds.
        self.walls: dict[str, float] = {}

    def close(self) -> None:
        self.recorders.close()
        self.reactions.close()

    def publish_many(self, task_ids: list[str]) -> None:
        """FAILED events of ``task_ids`` on the partner bus, ten to a PutEvents call."""
        events = admin_client("events")
        bus = self._sandbox.stack.partner_bus_arn
        for start in range(0, len(task_ids), 10):
            events.put_events(
                Entries=[
                    {
                        "Source": SAMPLE_SOURCE,
                        "DetailType": FAILED,
                        "Detail": "{}",
                        "Resources": [task_resource(BP, "deletion", task_id)],
                        "EventBusName": bus,
                    }
                    for task_id in task_ids[start : start + 10]
                ]
            )

    def due_schedules(self) -> list[tuple[str, datetime, dict[str, Any]]]:
        """As Timeline's, each schedule read once (the reaction never updates one: it creates
        it, or deletes it)."""
        scheduler = admin_client("scheduler")
        group = self._sandbox.stack.schedule_group_name
        names = [
            summary["Name"]
            for page in scheduler.get_paginator("list_schedules").paginate(GroupName=group)
            for summary in page.get("Schedules", [])
        ]
        self._schedules = {name: s for name, s in self._schedules.items() if name in names}
        due = []
        for name in names:
            if name not in self._schedules:
                self._schedules[name] = scheduler.get_schedule(Name=name, GroupName=group)
            schedule = self._schedules[name]
            at = self.fire_at(name, schedule)
            if at <= self.now():
                due.append((name, at, json.loads(schedule["Target"]["Input"])))
        return sorted(due, key=lambda item: item[1])

    def _round(self, *, whole_world: bool = True) -> Step:
        step = Step()
        stack = self._sandbox.stack
        walls = self.walls
        if whole_world:
            with _timed(walls, "tasks finishing"):
                for task in self._sandbox.emulator.finish_due_tasks():
                    name = detail_type(
                        task.kind, "COMPLETED" if task.status == "COMPLETED" else "FAILED"
                    )
                    self.publish(task.business_product_id, task.task_id, name)
                    step.events.append(f"{name} {task.task_id}")
        with self._logs():
            if whole_world:
                with _timed(walls, "recorder"):
                    events = self._deliveries(stack.rule_target_queue_url)
                    self.recorders.invoke_async(events, stack.on_failure_queue_url)
                self.invocations["recorder"] += len(events)
                step.delivered += [e["detail-type"] for e in events]
            with _timed(walls, "reaction: events and queue"):
                completed = self._deliveries(stack.completed_rule_target_queue_url)
                self.reactions.invoke_async(completed, stack.on_failure_queue_url)
                step.delivered += [e["detail-type"] for e in completed]
                step.failures_handled = self.reactions.poll(
                    stack.reaction_queue_url, concurrency=REACTION_QUEUE_CONCURRENCY
                )
                step.inbound_handled = self.reactions.poll(stack.inbound_queue_url)
            with _timed(walls, "schedules: listing"):
                due = self.due_schedules()
            with _timed(walls, "reaction: attempts"):
                scheduler = admin_client("scheduler")
                for name, _, _ in due:
                    # ActionAfterCompletion DELETE: gone once its target is invoked.
                    scheduler.delete_schedule(Name=name, GroupName=stack.schedule_group_name)
                    self._schedules.pop(name, None)
                self.reactions.invoke_async([p for _, _, p in due], stack.on_failure_queue_url)
            self.invocations["reaction"] += len(completed) + step.failures_handled + len(due)
            step.fired = [name for name, _, _ in due]
            self.fired += len(due)
        with _timed(walls, "router"):
            self.route_alerts()
        return step

    def _deliveries(self, queue_url: str) -> list[dict[str, Any]]:
        account = self._sandbox.stack.partner_bus_arn.split(":")[4]
        events = []
        for message in drain_queue(queue_url, max_messages=NO_MORE_THAN):
            event = json.loads(message["Body"])
            # moto drops `account` from what a rule delivers; AWS always sets it.
            event.setdefault("account", account)
            events.append(event)
        return events

    def route_alerts(self) -> None:
        """The router over its queue until it is empty (Lambda's event source mapping)."""
        with self._logs():
            source = SqsEventSource(
                self._sandbox.stack.alert_queue_url, self.router, batch_size=ROUTER_BATCH_SIZE
            )
            self.alert_messages += sum(
                r.received for r in source.drain(max_invocations=NO_MORE_THAN)
            )


@dataclass
class RateFigures:
    """The requests the API saw per second of the real clock (GraphQL and token together)."""

    seconds: int
    peak: int
    p99: int
    p50: int
    served_peak: int
    graphql: int
    token: int
    throttled: int
    seconds_over_budget: int

    @classmethod
    def of(cls, counts: dict[int, dict[str, dict[str, int]]], budget: float) -> RateFigures:
        totals = sorted(sum(sum(o.values()) for o in kinds.values()) for kinds in counts.values())
        served = [sum(kinds[k]["served"] for k in kinds) for kinds in counts.values()]

        def quantile(q: float) -> int:
            if not totals:
                return 0
            return totals[min(len(totals) - 1, math.ceil(q * len(totals)) - 1)]

        return cls(
            seconds=len(totals),
            peak=max(totals, default=0),
            p99=quantile(0.99),
            p50=quantile(0.50),
            served_peak=max(served, default=0),
            graphql=sum(sum(k["graphql"].values()) for k in counts.values()),
            token=sum(sum(k["token"].values()) for k in counts.values()),
            throttled=sum(k[kind]["throttled"] for k in counts.values() for kind in k),
            seconds_over_budget=sum(1 for total in totals if total > budget),
        )


@dataclass
class StormReport:
    failures: int
    environments: int
    budget: float
    #: Whether the stack had the budget (its template declares ApiRequestsPerSecond).
    stack_budget: bool
    emulator_limit: float | None
    rate: RateFigures
    expected: Counter[str]
    ended: Counter[str]
    ended_as_expected: int
    wrong: list[str]
    lost: list[str]
    double_starts: int
    past_deadline: list[str]
    refused: list[str]
    parked: dict[str, int]
    redriven: int
    sandbox_days: float
    pages: int
    incidents: int
    page_resolves: int
    chat_messages: dict[str, int]
    webhook_alerts: int
    alert_messages: int
    attempts_fired: int
    invocations: dict[str, int]
    wall_seconds: dict[str, float] = field(default_factory=dict)
    #: Wall seconds in each part of the timeline's rounds.
    wall_parts: dict[str, float] = field(default_factory=dict)
    #: Tasks the attempts started (the emulator's start times).
    tasks_started: int = 0

    @property
    def rate_above_budget(self) -> bool:
        """Whether the API saw more than a budget the stack has. With the emulator limited to
        the budget, its token bucket (rate = capacity = the budget) judges: a 429 is a request
        above it. A whole second may count more than the budget without one: requests whose
        slots passed while their senders waited for the processor (one process here, one
        interpreter lock) arrive together, which the bucket holds. Without a limit, the p99
        second judges, one request to spare at a second's boundary."""
        if not self.stack_budget:
            return False
        if self.emulator_limit is not None and self.emulator_limit <= self.budget:
            return self.rate.throttled > 0
        return self.rate.p99 > self.budget + BOUNDARY_SLACK

    @property
    def problems(self) -> list[str]:
        found = []
        if self.rate_above_budget:
            found.append(
                f"rate above the budget: {self.rate.throttled} answered 429 by an API limited"
                f" to it, p99 {self.rate.p99}/s, peak {self.rate.peak}/s"
                f" (budget {self.budget:g}/s)"
            )
        if self.lost:
            found.append(f"{len(self.lost)} case(s) lost")
        if self.double_starts:
            found.append(f"{self.double_starts} attempt(s) started two tasks")
        if self.past_deadline:
            found.append(f"{len(self.past_deadline)} case(s) past their deadline")
        if self.wrong:
            found.append(f"{len(self.wrong)} case(s) ended otherwise than their playbook")
        if self.refused:
            found.append(f"{len(self.refused)} call(s) refused by IAM")
        if self.incidents > self.failures:
            found.append(f"{self.incidents} PagerDuty incidents for {self.failures} cases")
        return found

    @property
    def clean(self) -> bool:
        return not self.problems

    def render(self) -> str:
        rate = self.rate
        budget = f"{self.budget:g} req/s" + ("" if self.stack_budget else " (not in the stack)")
        limit = "none" if self.emulator_limit is None else f"{self.emulator_limit:g} req/s"
        walls = ", ".join(f"{k} {v:.0f} s" for k, v in self.wall_seconds.items())
        lines = [
            f"failures (one business product)     {self.failures}",
            f"execution environments              {self.environments}",
            f"API budget                          {budget}",
            f"emulator rate limit                 {limit}",
            f"API requests per second: peak       {rate.peak} (served {rate.served_peak})",
            f"API requests per second: p99 / p50  {rate.p99} / {rate.p50}",
            f"seconds above the budget            {rate.seconds_over_budget} of {rate.seconds}",
            f"429s answered                       {rate.throttled}",
            f"GraphQL requests                    {rate.graphql}",
            f"token requests                      {rate.token}",
            f"first failure to last case ended    {self.sandbox_days:.1f} sandbox days",
            f"wall time                           {walls}",
            "wall time by part of the rounds     "
            + ", ".join(f"{k} {v:.0f} s" for k, v in self.wall_parts.items()),
            f"invocations                         {dict(sorted(self.invocations.items()))}",
            f"attempts fired by Scheduler         {self.attempts_fired}",
            f"tasks the attempts started          {self.tasks_started}",
            f"expected endings                    {dict(sorted(self.expected.items()))}",
            f"endings                             {dict(sorted(self.ended.items()))}",
            f"ended as the playbooks imply        {self.ended_as_expected}",
            f"ended otherwise                     {len(self.wrong)}",
            f"LOST (no case, or left open)        {len(self.lost)}",
            f"double starts                       {self.double_starts}",
            f"past the legal deadline (savable)   {len(self.past_deadline)}",
            f"IAM refused                         {len(self.refused)}",
            f"parked (DLQs, OnFailure)            {dict(sorted(self.parked.items()))}",
            f"redriven after                      {self.redriven}",
            f"alert messages routed               {self.alert_messages}",
            f"pages (PagerDuty triggers)          {self.pages}",
            f"PagerDuty incidents (<= cases)      {self.incidents}",
            f"PagerDuty resolves                  {self.page_resolves}",
            f"chat messages                       {dict(sorted(self.chat_messages.items()))}",
            f"webhook alerts                      {self.webhook_alerts}",
        ]
        lines += [f"  wrong: {w}" for w in self.wrong[:10]]
        lines += [f"  lost: {w}" for w in self.lost[:10]]
        lines += [f"  past deadline: {w}" for w in self.past_deadline[:10]]
        lines += [f"  refused: {w}" for w in self.refused[:10]]
        return "\n".join(lines)


HOW_TO_RUN = """## How to run it

`make storm` (`FAILURES`, default 1000; `BUDGET`, default 10 requests per second;
`ENVIRONMENTS`, default 8; `EMULATOR_LIMIT`, default the budget, 0 for none; `SEED`), or
`python -m bwp_sandbox.soak.storm --help`. `STORM_REPORT=docs/storm.md` rewrites this page.
The stack gets `ApiRequestsPerSecond=BUDGET` when template.yaml declares the parameter; the
emulator answers HTTP 429 above its limit. The run exits 1 when the API saw more than a
budget the stack has (a 429 from the emulator limited to the budget; without a limit, a p99
second above the budget + 1), or when a case
is lost, an attempt started two tasks, a case the playbooks could save ended past its
deadline, a case ended otherwise than its playbook, or IAM refused a call.

At 10 requests per second the API work alone takes the requests / 10 seconds of real time
(the budget paces the storm in the sandbox as it would in AWS), and the whole sandbox runs in
one Python process (moto, the emulator, the receivers and every function share one
interpreter lock): FAILURES=5000 takes hours, not minutes.
"""


def template_has_budget() -> bool:
    """True when template.yaml declares the API budget parameter."""
    return BUDGET_PARAMETER in load_template().get("Parameters", {})


@contextlib.contextmanager
def _timed(walls: dict[str, float], name: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        walls[name] = walls.get(name, 0.0) + time.monotonic() - started


def run_storm(
    sandbox: Sandbox,
    *,
    failures: int = 1000,
    seed: int = 7,
    environments: int = 8,
    budget: float = DEFAULT_BUDGET,
    emulator_limit: float | None = DEFAULT_BUDGET,
    step_days: float = STEP_DAYS,
    progress: Callable[[str], None] | None = None,
) -> StormReport:
    """The storm on a deployed sandbox (`deploy_for_storm` gives the stack its budget)."""
    say = progress or (lambda _: None)
    walls: dict[str, float] = {}
    plan = storm_scenarios(failures, seed)
    emulator = sandbox.emulator
    with _timed(walls, "set-up"):
        for scenario in plan:
            _seed_task(sandbox, scenario)
        timeline = StormTimeline(sandbox, environments)
    try:
        emulator.set_rate_limit(emulator_limit)
        emulator.clear_rate_counts()
        first_failure = timeline.now()
        with _timed(walls, "storm"):
            timeline.publish_many([s.task_id for s in plan])
            say(f"{failures} failures published; recording and reacting")
            timeline.settle(max_rounds=200)
        for scenario in plan:
            if scenario.kind == "vanished":
                emulator.remove_task(BP, scenario.task_id)
        with _timed(walls, "weeks"):
            days = 0.0
            while days < MAX_DAYS and _timed_open(timeline, sandbox):
                timeline.advance(step_days)
                days += step_days
                if days % 7 == 0:
                    say(f"day {days:.0f}: {_open_cases(sandbox)} case(s) open")
        parked = {
            name: len(_peek(url))
            for name, url in (
                ("on-failure", sandbox.stack.on_failure_queue_url),
                ("reaction-dlq", sandbox.stack.reaction_dlq_url),
                ("schedule-dlq", sandbox.stack.schedule_dlq_url),
                ("alert-dlq", sandbox.stack.alert_dlq_url),
            )
        }
        redriven = 0
        if any(parked[name] for name in ("on-failure", "reaction-dlq", "schedule-dlq")):
            with _timed(walls, "redrive"):
                say(f"parked {parked}: redriving, as `bwp-privacy dlq redrive`")
                redriven = _redrive(sandbox, timeline)
                extra = 0.0
                while extra < MAX_DAYS and _timed_open(timeline, sandbox):
                    timeline.advance(step_days)
                    extra += step_days
        return _account(
            sandbox,
            timeline,
            plan,
            first_failure=first_failure,
            budget=budget,
            emulator_limit=emulator_limit,
            environments=environments,
            parked=parked,
            redriven=redriven,
            walls=walls,
        )
    finally:
        emulator.set_rate_limit(None)
        timeline.close()


def _settled(case: Case) -> bool:
    """Where the playbooks leave a case: ended, or escalated (open, for a person)."""
    return case.state.ended or case.state is CaseState.ESCALATED


def _timed_open(timeline: StormTimeline, sandbox: Sandbox) -> int:
    with _timed(timeline.walls, "counting open cases"):
        return _open_cases(sandbox)


def _open_cases(sandbox: Sandbox) -> int:
    """Cases the playbooks still carry (neither ended nor escalated)."""
    store = CaseReader(admin_client("dynamodb"), sandbox.stack.cases_table_name)
    return sum(1 for case in store.all_cases() if not _settled(case))


def _account(
    sandbox: Sandbox,
    timeline: StormTimeline,
    plan: list[Scenario],
    *,
    first_failure: datetime,
    budget: float,
    emulator_limit: float | None,
    environments: int,
    parked: dict[str, int],
    redriven: int,
    walls: dict[str, float],
) -> StormReport:
    store = CaseReader(admin_client("dynamodb"), sandbox.stack.cases_table_name)
    cases = {case.case_id: case for case in store.all_cases()}
    wrong, lost, past, good = [], [], [], 0
    ended: Counter[str] = Counter()
    last_end = first_failure
    for scenario in plan:
        case = cases.get(scenario.task_id)
        state, attempts = scenario.expected()
        if case is None:
            lost.append(f"{scenario.task_id}: no case")
            continue
        ended[case.state.value] += 1
        if case.transitions:
            last_end = max(last_end, case.transitions[-1].at)
        if not _settled(case):
            lost.append(f"{scenario.task_id}: left {case.state.value} ({scenario.kind})")
            continue
        # A FLEXIBLE window fires an attempt later, never earlier: a deletion may complete at
        # an earlier attempt than the weekly plan says, never at a later one.
        if case.state.value == state and (state != "COMPLETED" or case.attempts <= attempts):
            good += 1
        else:
            wrong.append(
                f"{scenario.task_id}: {case.state.value} after {case.attempts}, "
                f"expected {state} after {attempts} ({scenario.kind})"
            )
        # Savable: a case the playbooks end without a person (not an escalation).
        if state != "ESCALATED" and (
            case.ended_at is None or case.ended_at > legal_due_at(case.deadlines)
        ):
            past.append(f"{scenario.task_id}: ended {case.ended_at} after its deadline")
    pagerduty = sandbox.sink.received("pagerduty")
    triggers = [r["body"] for r in pagerduty if r["body"].get("event_action") != "resolve"]
    counts = sandbox.emulator.rate_counts()
    limit_budget = float(budget)
    has_budget = BUDGET_PARAMETER in sandbox.stack.parameters
    return StormReport(
        failures=len(plan),
        environments=environments,
        budget=limit_budget,
        stack_budget=has_budget,
        emulator_limit=emulator_limit,
        rate=RateFigures.of(counts, limit_budget),
        expected=Counter(s.expected()[0] for s in plan),
        ended=ended,
        ended_as_expected=good,
        wrong=wrong,
        lost=lost,
        double_starts=sum(
            1 for created in sandbox.emulator.tasks_created().values() if created > 1
        ),
        past_deadline=past,
        refused=[f"{r.function}: {r.action}" for r in sandbox.aws.iam.denied()],
        parked=parked,
        redriven=redriven,
        sandbox_days=(last_end - first_failure) / timedelta(days=1),
        pages=len(triggers),
        incidents=len({body.get("dedup_key") for body in triggers}),
        page_resolves=len(pagerduty) - len(triggers),
        chat_messages={kind: len(sandbox.sink.received(kind)) for kind in ("slack", "teams")},
        webhook_alerts=sum(
            len(r["body"].get("alerts", [])) for r in sandbox.sink.received("webhook")
        ),
        alert_messages=timeline.alert_messages,
        attempts_fired=timeline.fired,
        invocations=dict(timeline.invocations),
        wall_seconds=walls,
        wall_parts={k: v for k, v in sorted(timeline.walls.items(), key=lambda kv: -kv[1])},
        tasks_started=len(sandbox.emulator.start_times()),
    )


def deploy_for_storm(sandbox: Sandbox, budget: float) -> Sandbox:
    """The stack as the storm runs it: its budget when the template has the parameter."""
    parameters = {"LogLevel": "ERROR"}
    if template_has_budget():
        parameters[BUDGET_PARAMETER] = f"{budget:g}"
    return sandbox.deploy(**parameters)


def main(argv: list[str] | None = None) -> int:
    """`python -m bwp_sandbox.soak.storm`: run it, print the report, exit 1 unless clean."""
    import argparse
    import os
    import platform
    import sys
    import warnings
    from datetime import UTC
    from datetime import datetime as wall
    from pathlib import Path

    from bwp_sandbox.sandbox import running_sandbox

    parser = argparse.ArgumentParser(description="A storm of failures of one merchant.")
    parser.add_argument("--failures", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--environments", type=int, default=8, help="concurrent environments")
    parser.add_argument("--budget", type=float, default=DEFAULT_BUDGET, help="API req/s")
    parser.add_argument(
        "--emulator-limit",
        type=float,
        help="the emulator's rate limit, req/s (default: the budget; 0: none)",
    )
    parser.add_argument("--markdown", type=Path, help="also write the report as a Markdown page")
    args = parser.parse_args(argv)
    limit = args.budget if args.emulator_limit is None else (args.emulator_limit or None)
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    started = wall.now(UTC)
    begun = time.monotonic()

    def say(text: str) -> None:
        print(f"[{time.monotonic() - begun:6.0f} s] {text}", file=sys.stderr, flush=True)

    with running_sandbox() as sandbox:
        deployed = deploy_for_storm(sandbox, args.budget)
        say("sandbox up" + (" (stack with the budget)" if template_has_budget() else ""))
        report = run_storm(
            deployed,
            failures=args.failures,
            seed=args.seed,
            environments=args.environments,
            budget=args.budget,
            emulator_limit=limit,
            progress=say,
        )
    report.wall_seconds["total"] = time.monotonic() - begun
    text = report.render()
    verdict = "clean" if report.clean else "NOT CLEAN: " + "; ".join(report.problems)
    print(text)
    print(verdict, file=sys.stderr)
    if args.markdown:
        limit_arg = (
            "" if args.emulator_limit is None else f" EMULATOR_LIMIT={args.emulator_limit:g}"
        )
        args.markdown.write_text(
            "# A storm of failures: latest run\n\n"
            f"`make storm FAILURES={args.failures} BUDGET={args.budget:g}"
            f" ENVIRONMENTS={args.environments}{limit_arg}` on"
            f" {platform.node() or 'this machine'} ({os.cpu_count()} cores, Python"
            f" {platform.python_version()}), {started:%Y-%m-%d %H:%M} UTC."
            "\n\n```\n" + text + "\n" + verdict + "\n```\n\n" + HOW_TO_RUN
        )
    return 0 if report.clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
