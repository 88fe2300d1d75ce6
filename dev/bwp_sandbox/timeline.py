"""Time passing in the sandbox: Buy with Prime running the tasks the reaction starts, and
EventBridge Scheduler firing the attempts, around the real handlers.

moto stores Scheduler schedules but never fires them, and no local Buy with Prime runs a
deletion or a retrieval. `Timeline.advance(days)` moves the emulator's clock, then settles the
world as AWS and Buy with Prime would: tasks whose holding period is over (a retrieval has
none) complete or fail (as their shopper and their orders decide) and their events go on the
partner bus; the rules' deliveries run the recorder (FAILED) and the reaction (COMPLETED), of
either kind, as asynchronous invocations; published
failures reach the reaction through its queue; due schedules invoke the reaction with their
input and are deleted (ActionAfterCompletion DELETE). It repeats until nothing moves.

The reaction reads the time through `bwp_privacy.common.utc_now`; the functions the timeline
runs see its clock (`use_clock`), so a case's timeline reads as it would in AWS: attempts
days apart, deadlines that come closer.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bwp_privacy.common import use_clock
from bwp_privacy.partner_events import detail_type, task_kind_of, task_resource
from bwp_privacy_cli.local import LocalFunction, invoke_async
from bwp_sandbox.admin import admin_client
from bwp_sandbox.event_source import SqsEventSource
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.seed import SAMPLE_SOURCE
from bwp_sandbox.stack import drain_queue


@dataclass
class Step:
    """What one settling did, for a report."""

    events: list[str] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)
    failures_handled: int = 0
    #: Slack's and PagerDuty's actions the reaction took from InboundQueue.
    inbound_handled: int = 0

    @property
    def quiet(self) -> bool:
        return not (
            self.events
            or self.delivered
            or self.fired
            or self.failures_handled
            or self.inbound_handled
        )


class Timeline:
    """The sandbox's clock and the parts of AWS and Buy with Prime that act on it."""

    def __init__(
        self, sandbox: Sandbox, *, quiet_logs: bool = True, flexible_windows: bool = False
    ) -> None:
        self._sandbox = sandbox
        self._quiet = quiet_logs
        #: Fire a schedule with a FLEXIBLE time window somewhere in its window (`fire_at`), as
        #: Scheduler does, instead of at its time (the default: every schedule at its time).
        self.flexible_windows = flexible_windows
        self.recorder: LocalFunction = sandbox.recorder.cold_start()
        self.reaction: LocalFunction = sandbox.reaction.cold_start()

    def now(self) -> datetime:
        return self._sandbox.emulator.now()

    def advance(self, days: float) -> list[Step]:
        """Move the clock ``days`` forward and settle."""
        self._sandbox.emulator.advance(days)
        return self.settle()

    def settle(self, max_rounds: int = 50) -> list[Step]:
        """Run what is due until nothing moves (at most ``max_rounds`` rounds)."""
        steps = []
        for _ in range(max_rounds):
            step = self._round()
            if step.quiet:
                break
            steps.append(step)
        return steps

    def publish(self, business_product_id: str, task_id: str, detail_type: str) -> None:
        """Put a Buy with Prime privacy event for a task on the partner bus (its resource names
        the task with the key of the detail type's kind)."""
        kind = task_kind_of(detail_type)
        if kind is None:
            raise ValueError(f"{detail_type} is no privacy-task event")
        admin_client("events").put_events(
            Entries=[
                {
                    "Source": SAMPLE_SOURCE,
                    "DetailType": detail_type,
                    "Detail": "{}",
                    "Resources": [task_resource(business_product_id, kind, task_id)],
                    "EventBusName": self._sandbox.stack.partner_bus_arn,
                }
            ]
        )

    def due_schedules(self) -> list[tuple[str, datetime, dict[str, Any]]]:
        """(name, time, input) of each attempt schedule due on the clock."""
        scheduler = admin_client("scheduler")
        group = self._sandbox.stack.schedule_group_name
        due = []
        summaries = [
            summary
            for page in scheduler.get_paginator("list_schedules").paginate(GroupName=group)
            for summary in page.get("Schedules", [])
        ]
        for summary in summaries:
            schedule = scheduler.get_schedule(Name=summary["Name"], GroupName=group)
            at = self.fire_at(summary["Name"], schedule)
            if at <= self.now():
                due.append((summary["Name"], at, json.loads(schedule["Target"]["Input"])))
        return sorted(due, key=lambda item: item[1])

    def fire_at(self, name: str, schedule: dict[str, Any]) -> datetime:
        """When the schedule fires: at its time; with `flexible_windows`, a schedule whose
        FlexibleTimeWindow is FLEXIBLE fires that much later within its window, the offset
        drawn from its name (the same schedule fires at the same time in every run)."""
        at = _at(schedule["ScheduleExpression"])
        window = schedule.get("FlexibleTimeWindow") or {}
        if not self.flexible_windows or window.get("Mode") != "FLEXIBLE":
            return at
        return at + flexible_offset(name, int(window.get("MaximumWindowInMinutes") or 0))

    def react(self) -> Step:
        """Only what Lambda and Scheduler do for the reaction, now: its queue, the COMPLETED
        rule's deliveries and the due schedules (`bwp-privacy sandbox` runs this every
        second, beside the CLI, which runs the recorder itself)."""
        return self._round(whole_world=False)

    def _round(self, *, whole_world: bool = True) -> Step:
        step = Step()
        stack = self._sandbox.stack
        if whole_world:
            for task in self._sandbox.emulator.finish_due_tasks():
                name = detail_type(
                    task.kind, "COMPLETED" if task.status == "COMPLETED" else "FAILED"
                )
                self.publish(task.business_product_id, task.task_id, name)
                step.events.append(f"{name} {task.task_id}")
        deliveries = [(stack.completed_rule_target_queue_url, self.reaction)]
        if whole_world:
            deliveries.insert(0, (stack.rule_target_queue_url, self.recorder))
        with self._logs():
            for queue, function in deliveries:
                for message in drain_queue(queue):
                    event = json.loads(message["Body"])
                    # moto drops `account` from what a rule delivers; AWS always sets it.
                    event.setdefault("account", stack.partner_bus_arn.split(":")[4])
                    invoke_async(function, event, on_failure_queue_url=stack.on_failure_queue_url)
                    step.delivered.append(f"{event['detail-type']} to {function.logical_id}")
            source = SqsEventSource(stack.reaction_queue_url, self.reaction, batch_size=10)
            step.failures_handled = sum(r.received for r in source.drain())
            # InboundQueue's event source (ReactionInboundActions), as Lambda polls it.
            inbound = SqsEventSource(stack.inbound_queue_url, self.reaction, batch_size=10)
            step.inbound_handled = sum(r.received for r in inbound.drain())
            for name, _, payload in self.due_schedules():
                # ActionAfterCompletion DELETE: the schedule goes once its target is invoked
                # (asynchronously: the invocation's own retries are Lambda's).
                admin_client("scheduler").delete_schedule(
                    Name=name, GroupName=stack.schedule_group_name
                )
                invoke_async(
                    self.reaction, payload, on_failure_queue_url=stack.on_failure_queue_url
                )
                step.fired.append(name)
        return step

    @contextlib.contextmanager
    def _logs(self) -> Iterator[None]:
        """The functions run on the sandbox's clock, their log lines kept out of a report."""
        with contextlib.ExitStack() as stack:
            stack.enter_context(use_clock(self.now))
            if self._quiet:
                stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
            yield


def flexible_offset(name: str, window_minutes: int) -> timedelta:
    """A whole second within ``window_minutes`` minutes, from a hash of the schedule's name."""
    if window_minutes <= 0:
        return timedelta(0)
    digest = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
    return timedelta(seconds=digest % (window_minutes * 60))


def _at(expression: str) -> datetime:
    """``at(2026-12-06T21:00:00)`` (UTC, as the reaction writes it) as a datetime."""
    inside = expression.removeprefix("at(").removesuffix(")")
    return datetime.fromisoformat(inside).replace(tzinfo=UTC)
