"""The reaction's chaos soak: many cases carried over weeks of the sandbox's clock, with faults
on the scheduler calls, the start mutation and the case writes, duplicated and reordered
FAILED/COMPLETED events, and crashes between a start mutation and the case write.

Each case has a scenario whose end the playbooks imply (completed at a given attempt, nothing
to delete, escalated); the soak checks every case ended that way, that no case was lost, and
that no attempt started two tasks (the emulator counts the tasks each client token created).

The alert router runs beside it over its queue, every message of which may come twice and out
of order, with the receivers failing at random (429, 503, resets). At the end an operator
closes every case still open, so every incident must resolve. The soak checks each case's
incident in each receiver: opened, updated and resolved once, a resolve never before a trigger
nor for a case the receiver was never told of, and none missing.
`python -m bwp_sandbox.soak.reaction --cases 200` (`make soak-reaction`).
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from botocore.httpsession import URLLib3Session

from bwp_privacy.cases import CaseReader
from bwp_privacy_cli.local import LocalFunction, ProcessCrash, invoke_async
from bwp_sandbox.admin import ADMIN_CREDENTIALS, admin_client
from bwp_sandbox.event_source import SqsEventSource
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.seed import SAMPLE_BUSINESS_PRODUCT_ID as BP
from bwp_sandbox.soak.aws_faults import _json_error
from bwp_sandbox.stack import drain_queue
from bwp_sandbox.timeline import Step, Timeline

FAILED = "PERSONAL_DATA_DELETION_TASK_FAILED"
#: Weekly attempts of the shipped ORDERS_NOT_CLOSED playbook.
ATTEMPT_DAYS = 7
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Scenario:
    """One case: how its first task failed and how the world then behaves."""

    task_id: str
    kind: str  # orders, not-found, unknown-code, late, vanished
    orders_open_days: float | None = None

    @property
    def code(self) -> str:
        return {"not-found": "DATA_SUBJECT_NOT_FOUND", "unknown-code": "SOMETHING_NEW"}.get(
            self.kind, "ORDERS_NOT_CLOSED"
        )

    def expected(self) -> tuple[str, int]:
        """(final state, attempts) the shipped playbooks imply."""
        if self.kind == "not-found":
            return "NOTHING_TO_DELETE", 0
        if self.kind in ("unknown-code", "late", "vanished"):
            return "ESCALATED", 0
        attempt = max(1, math.ceil((self.orders_open_days or 0) / ATTEMPT_DAYS))
        if attempt > MAX_ATTEMPTS:
            return "ESCALATED", MAX_ATTEMPTS
        return "COMPLETED", attempt


@dataclass
class ReactionFaults:
    """Seeded faults below boto3 on the reaction's own calls, and on the events it gets."""

    seed: int
    scheduler_error: float = 0.05
    case_write_throttle: float = 0.05
    crash_before_case_write: float = 0.03
    duplicate_event: float = 0.2
    hold_back_event: float = 0.3
    #: SNS and SQS deliver at least once: a message on the router's queue comes again.
    duplicate_alert: float = 0.2
    #: What the receivers answer at random while faults are on (the sink's chaos).
    receiver_chaos: tuple[tuple[str, float], ...] = (("429", 0.03), ("5xx", 0.05), ("reset", 0.03))
    counts: Counter[str] = field(default_factory=Counter)
    enabled: bool = True

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def draw(self, rate: float, name: str) -> bool:
        if not self.enabled or self.rng.random() >= rate:
            return False
        self.counts[name] += 1
        return True


@contextmanager
def injected(faults: ReactionFaults) -> Iterator[None]:
    """Answer some scheduler calls with a server error, some case writes with throttling, and
    kill the process before some case writes (after a start mutation, that is the crash
    between the mutation and the write)."""
    original = URLLib3Session.send

    admin = f"Credential={ADMIN_CREDENTIALS['AWS_ACCESS_KEY_ID']}/"

    def send(self: URLLib3Session, request: Any) -> Any:
        authorization = request.headers.get("Authorization", b"")
        if admin in (authorization.decode() if isinstance(authorization, bytes) else authorization):
            return original(self, request)  # the sandbox playing AWS, not the code under test
        url = str(request.url)
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else str(target)
        if "/schedules/" in url and faults.draw(faults.scheduler_error, "scheduler-5xx"):
            return _json_error(500, "InternalServerException", "injected")
        if target.endswith(".TransactWriteItems"):
            if faults.draw(faults.crash_before_case_write, "crash-before-case-write"):
                raise ProcessCrash("killed before the case write")
            if faults.draw(faults.case_write_throttle, "case-write-throttle"):
                return _json_error(400, "ThrottlingException", "Rate exceeded (injected)")
        return original(self, request)

    URLLib3Session.send = send
    try:
        yield
    finally:
        URLLib3Session.send = original


class ChaosTimeline(Timeline):
    """A timeline whose events on the partner bus come twice and out of order, with the alert
    router over its queue after each round (its messages, too, twice and out of order)."""

    def __init__(self, sandbox: Sandbox, faults: ReactionFaults) -> None:
        super().__init__(sandbox)
        self._faults = faults
        self._pending: list[tuple[str, str, str]] = []
        self.published: Counter[str] = Counter()
        self.router: LocalFunction = sandbox.router.cold_start()
        self.alert_messages = 0

    def route_alerts(self) -> None:
        """Redeliver some of the router's messages, shuffled, then run the router until its
        queue is empty (what Lambda's event source mapping does)."""
        url = self._sandbox.stack.alert_queue_url
        messages = drain_queue(url)
        self._faults.rng.shuffle(messages)
        sqs = admin_client("sqs")
        for message in messages:
            copies = 2 if self._faults.draw(self._faults.duplicate_alert, "alert-twice") else 1
            for _ in range(copies):
                sqs.send_message(QueueUrl=url, MessageBody=message["Body"])
                self.alert_messages += 1
        with self._logs():
            SqsEventSource(url, self.router, batch_size=10).drain()

    def publish(self, business_product_id: str, task_id: str, detail_type: str) -> None:
        self._pending.append((business_product_id, task_id, detail_type))

    def _round(self, *, whole_world: bool = True) -> Step:
        pending, self._pending = self._pending, []
        self._faults.rng.shuffle(pending)
        for event in pending:
            if self._faults.draw(self._faults.hold_back_event, "event-held-back"):
                self._pending.append(event)  # a later round: after events that came after it
                continue
            copies = 2 if self._faults.draw(self._faults.duplicate_event, "event-twice") else 1
            for _ in range(copies):
                super().publish(*event)
                self.published[event[2]] += 1
        step = super()._round(whole_world=whole_world)
        self.route_alerts()
        if self._pending:
            step.events.append(f"{len(self._pending)} event(s) held back")
        return step


#: The receivers whose deliveries the soak reads back, in delivery order where it can be seen.
ALERT_RECEIVERS = ("pagerduty", "webhook", "eventbridge", "amazon-q")


@dataclass
class IncidentAccount:
    """Each case's incident in each receiver, read back from what the receivers got."""

    #: Firing transitions and resolves delivered, per receiver.
    delivered: dict[str, Counter[str]] = field(default_factory=dict)
    #: A (receiver, case) that got its resolve more than once.
    duplicate_resolves: list[str] = field(default_factory=list)
    #: A firing transition delivered twice to one receiver.
    duplicate_triggers: list[str] = field(default_factory=list)
    #: A resolve delivered where no firing alert of the case had arrived before it.
    resolves_before_trigger: list[str] = field(default_factory=list)
    #: An ended case whose incident a receiver got a firing alert of, but never its resolve.
    resolves_missing: list[str] = field(default_factory=list)
    #: A resolve of a case that is still open.
    resolves_of_open_cases: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [
            *self.duplicate_resolves,
            *self.duplicate_triggers,
            *self.resolves_before_trigger,
            *self.resolves_missing,
            *self.resolves_of_open_cases,
        ]


@dataclass
class ReactionSoakReport:
    cases: int
    expected: Counter[str]
    ended_as_expected: int
    wrong: list[str]
    lost: list[str]
    tasks_per_attempt: Counter[int]
    faults: dict[str, int]
    events: dict[str, int]
    parked: dict[str, int]
    redriven: int
    refused: list[str]
    weeks: int
    incidents: IncidentAccount = field(default_factory=IncidentAccount)
    closed_by_operator: int = 0
    alert_messages: int = 0
    #: Requests the receivers failed at random (the sink's chaos), per receiver.
    receiver_faults: dict[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        twice = sum(n for per, n in self.tasks_per_attempt.items() if per > 1)
        return not (self.wrong or self.lost or twice or self.refused or self.incidents.problems)

    def render(self) -> str:
        twice = sum(n for per, n in self.tasks_per_attempt.items() if per > 1)
        lines = [
            f"cases                              {self.cases}",
            f"ended in the state their scenario implies  {self.ended_as_expected}",
            f"ended otherwise                    {len(self.wrong)}",
            f"LOST (no case, or left open)       {len(self.lost)}",
            f"attempts that started two tasks    {twice}",
            f"tasks created per attempt token    {dict(sorted(self.tasks_per_attempt.items()))}",
            f"expected endings                   {dict(sorted(self.expected.items()))}",
            f"faults injected                    {dict(sorted(self.faults.items()))}",
            f"events on the bus                  {dict(sorted(self.events.items()))}",
            f"parked under faults                {dict(sorted(self.parked.items()))}",
            f"redriven after                     {self.redriven}",
            f"sandbox weeks                      {self.weeks}",
            f"IAM refused                        {len(self.refused)}",
            f"open cases closed by an operator   {self.closed_by_operator}",
            f"messages the alert router handled  {self.alert_messages}",
            f"receiver requests failed at random {dict(sorted(self.receiver_faults.items()))}",
            "delivered per receiver (firing transitions by kind, resolves):",
        ]
        incidents = self.incidents
        for receiver, counts in sorted(incidents.delivered.items()):
            lines.append(f"  {receiver:<12} {dict(sorted(counts.items()))}")
        lines += [
            f"duplicate resolves                 {len(incidents.duplicate_resolves)}",
            f"duplicate triggers                 {len(incidents.duplicate_triggers)}",
            f"resolves before triggers           {len(incidents.resolves_before_trigger)}",
            f"resolves missing                   {len(incidents.resolves_missing)}",
            f"resolves of open cases             {len(incidents.resolves_of_open_cases)}",
        ]
        lines += [f"  wrong: {w}" for w in self.wrong[:10]]
        lines += [f"  lost: {w}" for w in self.lost[:10]]
        lines += [f"  incident: {w}" for w in incidents.problems[:10]]
        return "\n".join(lines)


def scenarios(count: int, seed: int) -> list[Scenario]:
    rng = random.Random(seed)
    found = []
    for n in range(count):
        roll = rng.random()
        task = f"soak-case-{n:04d}"
        if roll < 0.60:
            # Half days: never within hours of an attempt (the wall clock moves too).
            found.append(Scenario(task, "orders", orders_open_days=rng.randrange(45) + 0.5))
        elif roll < 0.75:
            found.append(Scenario(task, "not-found"))
        elif roll < 0.85:
            found.append(Scenario(task, "unknown-code"))
        elif roll < 0.95:
            found.append(Scenario(task, "late"))
        else:
            found.append(Scenario(task, "vanished", orders_open_days=30))
    return found


def run_reaction_soak(
    sandbox: Sandbox, *, cases: int = 200, seed: int = 7, weeks: int = 7
) -> ReactionSoakReport:
    """Open ``cases`` cases at once, then move the clock a week at a time under faults; then
    redrive what was parked, with faults off, and let the world settle."""
    plan = scenarios(cases, seed)
    faults = ReactionFaults(seed)
    sandbox.emulator.set_chaos({"throttle": 0.04, "internal_error": 0.04}, seed)
    sandbox.sink.set_chaos(dict(faults.receiver_chaos), seed)
    timeline = ChaosTimeline(sandbox, faults)
    for scenario in plan:
        _seed_task(sandbox, scenario)
        timeline.publish(BP, scenario.task_id, FAILED)
    with injected(faults):
        timeline.settle(max_rounds=200)
        for scenario in plan:
            if scenario.kind == "vanished":
                sandbox.emulator.remove_task(BP, scenario.task_id)
        for _ in range(weeks):
            timeline.advance(ATTEMPT_DAYS)
            timeline.settle(max_rounds=200)
    sandbox.emulator.set_chaos({}, 0)
    sandbox.sink.set_chaos({}, 0)
    faults.enabled = False
    parked = {
        name: len(messages)
        for name, messages in (
            ("on-failure", _peek(sandbox.stack.on_failure_queue_url)),
            ("reaction-dlq", _peek(sandbox.stack.reaction_dlq_url)),
            ("schedule-dlq", _peek(sandbox.stack.schedule_dlq_url)),
        )
    }
    redriven = _redrive(sandbox, timeline)
    for _ in range(weeks):
        timeline.advance(ATTEMPT_DAYS)
    # Scenarios end first (escalated cases are checked open); then on-call closes them all.
    report = _account(sandbox, timeline, plan, faults, parked, redriven, weeks * 2)
    report.closed_by_operator = _close_open_cases(sandbox)
    timeline.settle(max_rounds=200)
    report.redriven += _redrive_alerts(sandbox, timeline)
    report.incidents = _account_incidents(sandbox)
    report.alert_messages = timeline.alert_messages
    report.receiver_faults = {
        kind: sum(1 for a in sandbox.sink.attempts(kind) if not 200 <= (a["status"] or 0) < 300)
        for kind in ("pagerduty", "slack", "teams", "webhook")
    }
    return report


def _close_open_cases(sandbox: Sandbox) -> int:
    """`bwp-privacy cases close` for every open case, as on-call would after an escalation."""
    store = CaseReader(admin_client("dynamodb"), sandbox.stack.cases_table_name)
    open_cases = [case for case in store.all_cases() if not case.state.ended]
    for case in open_cases:
        sandbox.operate(
            {
                "action": "close",
                "caseId": case.case_id,
                "reason": "closed by on-call after the escalation",
                "closedAs": "cancelled",
            }
        )
    return len(open_cases)


def _redrive_alerts(sandbox: Sandbox, timeline: ChaosTimeline) -> int:
    """`bwp-privacy dlq redrive` of the router's dead-letter queue (each parked delivery for
    the receiver that refused it)."""
    stack = sandbox.stack
    messages = drain_queue(stack.alert_dlq_url)
    for message in messages:
        admin_client("sqs").send_message(
            QueueUrl=stack.alert_queue_url,
            MessageBody=message["Body"],
            MessageAttributes={
                k: {"DataType": v["DataType"], "StringValue": v["StringValue"]}
                for k, v in message.get("MessageAttributes", {}).items()
                if "StringValue" in v
            },
        )
    with timeline._logs():
        SqsEventSource(stack.alert_queue_url, timeline.router, batch_size=10).drain()
    return len(messages)


def _deliveries(sandbox: Sandbox) -> dict[str, list[tuple[str, str]]]:
    """(case, transition) of every alert each receiver got, in the order it got them; a
    resolve's transition is ``resolved``."""
    got: dict[str, list[tuple[str, str]]] = {name: [] for name in ALERT_RECEIVERS}
    for request in sandbox.sink.received("pagerduty"):
        body = request["body"]
        if body["event_action"] == "resolve":
            got["pagerduty"].append((body["dedup_key"], "resolved"))
            continue
        details = body["payload"]["custom_details"]
        notice = details["error_codes"][0].startswith("CASE_")
        step = f"notice/{details['event_id']}" if notice else f"failed/{details['task_id']}"
        got["pagerduty"].append((body["dedup_key"], step))
    for request in sandbox.sink.received("webhook"):
        for alert in request["body"]["alerts"]:
            got["webhook"].append((alert["case_id"], alert["transition"]))
    for message in drain_queue(sandbox.receivers.eventbridge_queue_url):
        detail = json.loads(message["Body"])["detail"]
        got["eventbridge"].append((detail["case_id"], detail["transition"]))
    for message in drain_queue(sandbox.receivers.amazon_q_queue_url):
        note = json.loads(message["Body"])
        case_id = note["metadata"]["threadId"]
        got["amazon-q"].append((case_id, note["id"][len(case_id) + 1 :]))
    return got


def _account_incidents(sandbox: Sandbox) -> IncidentAccount:
    store = CaseReader(admin_client("dynamodb"), sandbox.stack.cases_table_name)
    ended = {case.case_id: case.state.ended for case in store.all_cases()}
    account = IncidentAccount()
    for receiver, deliveries in _deliveries(sandbox).items():
        account.delivered[receiver] = Counter(
            "resolved" if step == "resolved" else step.split("/", 1)[0] for _, step in deliveries
        )
        # Order is seen for the HTTP receivers (the sink records arrivals); SQS taps are not
        # ordered, so there only counts are checked.
        ordered = receiver in ("pagerduty", "webhook")
        seen: dict[str, list[str]] = {}
        for case_id, step in deliveries:
            steps = seen.setdefault(case_id, [])
            where = f"{receiver} {case_id} {step}"
            if step in steps:
                (
                    account.duplicate_resolves if step == "resolved" else account.duplicate_triggers
                ).append(where)
            elif ordered and step == "resolved" and not steps:
                account.resolves_before_trigger.append(where)
            elif ordered and "resolved" in steps:
                account.resolves_before_trigger.append(f"{where} (after its resolve)")
            steps.append(step)
        for case_id, steps in seen.items():
            firing = [step for step in steps if step != "resolved"]
            if "resolved" in steps and not firing:
                account.resolves_before_trigger.append(f"{receiver} {case_id}: never triggered")
            if "resolved" in steps and not ended.get(case_id, False):
                account.resolves_of_open_cases.append(f"{receiver} {case_id}")
            if firing and "resolved" not in steps and ended.get(case_id, False):
                account.resolves_missing.append(f"{receiver} {case_id}")
    return account


def _seed_task(sandbox: Sandbox, scenario: Scenario) -> None:
    email = f"{scenario.task_id}@example.com"
    if scenario.kind != "not-found":
        sandbox.emulator.set_shopper(BP, email, orders_open_days=scenario.orders_open_days)
    # A late case was received 60 days ago: too late for any attempt (see the playbooks).
    submitted = sandbox.emulator.now() - timedelta(days=60 if scenario.kind == "late" else 0)
    sandbox.emulator.add_task(
        BP,
        {
            "taskId": scenario.task_id,
            "status": "FAILED",
            "holdingPeriod": 0,
            "submissionDate": submitted.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "dataSubject": {"type": "SHOPPER", "email": email},
            "errors": [{"code": scenario.code, "message": "the task failed"}],
        },
    )


def _peek(url: str) -> list[dict[str, Any]]:
    messages = drain_queue(url)
    sqs = admin_client("sqs")
    for message in messages:  # put back what was only counted
        sqs.send_message(
            QueueUrl=url,
            MessageBody=message["Body"],
            MessageAttributes={
                k: {"DataType": v["DataType"], "StringValue": v["StringValue"]}
                for k, v in message.get("MessageAttributes", {}).items()
                if "StringValue" in v
            },
        )
    return messages


def _redrive(sandbox: Sandbox, timeline: Timeline) -> int:
    """What `bwp-privacy dlq redrive` does with each parked input."""
    stack = sandbox.stack
    count = 0
    for message in drain_queue(stack.on_failure_queue_url):
        record = json.loads(message["Body"])
        function = record["requestContext"]["functionArn"]
        target = (
            timeline.reaction if ":function:ReactionFunction" in function else timeline.recorder
        )
        invoke_async(
            target, record["requestPayload"], on_failure_queue_url=stack.on_failure_queue_url
        )
        count += 1
    for message in drain_queue(stack.schedule_dlq_url):
        invoke_async(
            timeline.reaction,
            json.loads(message["Body"]),
            on_failure_queue_url=stack.on_failure_queue_url,
        )
        count += 1
    for message in drain_queue(stack.reaction_dlq_url):
        admin_client("sqs").send_message(
            QueueUrl=stack.reaction_queue_url, MessageBody=message["Body"]
        )
        count += 1
    SqsEventSource(stack.reaction_queue_url, timeline.reaction, batch_size=10).drain()
    timeline.settle(max_rounds=200)
    return count


def _account(
    sandbox: Sandbox,
    timeline: ChaosTimeline,
    plan: list[Scenario],
    faults: ReactionFaults,
    parked: dict[str, int],
    redriven: int,
    weeks: int,
) -> ReactionSoakReport:
    store = CaseReader(admin_client("dynamodb"), sandbox.stack.cases_table_name)
    wrong, lost, good = [], [], 0
    for scenario in plan:
        case = store.load(scenario.task_id)
        state, attempts = scenario.expected()
        if case is None:
            lost.append(f"{scenario.task_id}: no case")
            continue
        # A parked input redriven late can only let a deletion complete at an earlier attempt;
        # an escalation is right whatever the attempts (exhausted, or too near the deadline).
        if case.state.value == state and (state != "COMPLETED" or case.attempts <= attempts):
            good += 1
        elif not case.state.ended and state != "ESCALATED":
            lost.append(f"{scenario.task_id}: left {case.state.value} ({scenario})")
        else:
            wrong.append(
                f"{scenario.task_id}: {case.state.value} after {case.attempts}, "
                f"expected {state} after {attempts} ({scenario.kind})"
            )
    created: Counter[int] = Counter(sandbox.emulator.tasks_created().values())
    refused = [f"{r.function}: {r.action}" for r in sandbox.aws.iam.denied()]
    return ReactionSoakReport(
        cases=len(plan),
        expected=Counter(s.expected()[0] for s in plan),
        ended_as_expected=good,
        wrong=wrong,
        lost=lost,
        tasks_per_attempt=created,
        faults=dict(faults.counts),
        events=dict(timeline.published),
        parked=parked,
        redriven=redriven,
        refused=refused,
        weeks=weeks,
    )


def main(argv: list[str] | None = None) -> int:
    """`python -m bwp_sandbox.soak.reaction`: run it, print the report, exit 1 unless clean."""
    import argparse
    import os
    import platform
    import sys
    import warnings
    from datetime import UTC, datetime
    from pathlib import Path

    from bwp_sandbox.sandbox import running_sandbox

    parser = argparse.ArgumentParser(description="Chaos soak of the automatic reaction.")
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--markdown", type=Path, help="also write the report as a Markdown page")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    started = datetime.now(UTC)
    with running_sandbox() as sandbox:
        report = run_reaction_soak(
            sandbox.deploy(LogLevel="ERROR"), cases=args.cases, seed=args.seed
        )
    seconds = (datetime.now(UTC) - started).total_seconds()
    text = report.render() + f"\nwall time                          {seconds:.0f} s"
    print(text)
    if args.markdown:
        args.markdown.write_text(
            "# Chaos soak of the reaction: latest run\n\n"
            f"`make soak-reaction CASES={args.cases} SEED={args.seed}` on"
            f" {platform.node() or 'this machine'} ({os.cpu_count()} cores, Python"
            f" {platform.python_version()}), {started:%Y-%m-%d %H:%M} UTC."
            " [The reaction's soak](reliability.md#the-reactions-soak) says what is injected."
            "\n\n```\n" + text + "\n```\n"
        )
    print("clean" if report.clean else "NOT CLEAN", file=sys.stderr)
    return 0 if report.clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
