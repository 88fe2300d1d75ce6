"""Fakes behind the router's seams (receivers, the delivery ledger, the case links, the
dead-letter parker, the delayer) and the messages its queue carries, shared by the tests of
each stage and of the whole batch."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from bwp_privacy.alerting import Claim, ClaimState, DeliveryError, Group, load_routes
from bwp_privacy.alerting.alert import Alert, CaseStanding
from bwp_privacy.alerting.delivery import Threads
from bwp_privacy.alerting.ledger import Delivered
from bwp_privacy.catalogue import Catalogue, shipped_catalogue
from bwp_privacy.common import Budget
from bwp_privacy.contract import LookupOutcome, LookupStatus, TaskError, TaskFailure
from tests.case_notices import ended_notice

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def catalogue(default_runbook: str, lookup_runbook: str) -> Catalogue:
    """The shipped catalogue without its codes: every code critical, with these runbooks."""
    shipped = shipped_catalogue()
    return shipped.model_copy(
        update={
            "codes": {},
            "default": shipped.default.model_copy(update={"runbook": default_runbook}),
            "lookup_failed": shipped.lookup_failed.model_copy(update={"runbook": lookup_runbook}),
        }
    )


ROUTES = load_routes(
    json.dumps(
        {
            "version": 1,
            "route": {
                "receivers": ["slack", "pagerduty"],
                "group_by": ["businessProductId"],
                "repeat_window": "1d",
            },
        }
    ),
    "test routes",
    catalogue("Look at it.", "Look it up by hand."),
)


@dataclass
class FakeReceiver:
    name: str
    grouped: bool
    failure: DeliveryError | None = None
    send_resolved: bool = True
    calls: list[list[str]] = field(default_factory=list)
    #: (status, case id) of every alert delivered, in order.
    seen: list[tuple[str, str]] = field(default_factory=list)

    def deliver(
        self,
        alerts: Sequence[Alert],
        group: Group,
        *,
        budget: Budget,
        threads: Threads | None = None,
    ) -> Threads | None:
        self.calls.append([alert.task_id for alert in alerts])
        if self.failure is not None:
            raise self.failure
        self.seen += [(alert.status.value, alert.case_id) for alert in alerts]
        return None


@dataclass
class _Incident:
    sent: set[str] = field(default_factory=set)
    opened: bool = False
    send_resolved: bool = False
    ended: bool = False
    held: bool = False
    #: The silences that muted an alert of the case here.
    silenced: set[str] = field(default_factory=set)


@dataclass
class FakeLedger:
    """The ledger's rules (DeliveryLedger) in memory, one incident per (receiver, case)."""

    incidents: dict[str, _Incident] = field(default_factory=dict)
    released: list[str] = field(default_factory=list)
    parked: list[str] = field(default_factory=list)

    @classmethod
    def having_sent(cls, *keys: str) -> FakeLedger:
        """A ledger where each ``receiver#task`` got its task's failure alert."""
        ledger = cls()
        for key in keys:
            incident = ledger.incidents.setdefault(key, _Incident(opened=True))
            incident.sent.add(f"failed/{key.split('#', 1)[1]}")
        return ledger

    @property
    def delivered(self) -> set[str]:
        """``receiver#case`` of every incident something was delivered to."""
        return {key for key, item in self.incidents.items() if item.sent}

    def claim(
        self, receiver: str, case_id: str, transition: str, *, retry_parked: bool = False
    ) -> Claim:
        key = f"{receiver}#{case_id}"
        item = self.incidents.setdefault(key, _Incident())
        if transition in item.sent:
            return Claim(ClaimState.ALREADY_DELIVERED, key, "", "")
        if item.ended:
            return Claim(ClaimState.ENDED, key, "", "")
        if item.held:  # one delivery of a case at a time, as the lease makes it
            return Claim(ClaimState.IN_PROGRESS, key, "", "")
        item.held = True
        return Claim(
            ClaimState.CLAIMED,
            key,
            "token",
            transition,
            item.opened,
            item.send_resolved,
            silenced_by=frozenset(item.silenced),
        )

    def mark_silenced(self, receiver: str, case_id: str, silence_id: str, until: int) -> bool:
        item = self.incidents.setdefault(f"{receiver}#{case_id}", _Incident())
        if item.ended:
            return False
        item.silenced.add(silence_id)
        return True

    def unmute(self, claim: Claim, silence_id: str) -> list[str]:
        item = self.incidents[claim.key]
        assert item.held, f"{claim.key} written back without a claim"
        item.held = False
        item.silenced.discard(silence_id)
        return []

    def mark_delivered(
        self, delivered: Sequence[Delivered], repeat_window_seconds: int
    ) -> list[str]:
        for done in delivered:
            claim, item = done.claim, self.incidents[done.claim.key]
            assert item.held, f"{claim.key} written back without a claim"
            item.held = False
            item.sent.add(claim.transition)
            if claim.transition == "resolved":
                item.ended = True
            else:
                item.opened = True
                item.send_resolved |= done.send_resolved
                item.silenced -= claim.silenced_by
        return []

    def mark_ended(self, claim: Claim) -> list[str]:
        self.incidents[claim.key].ended = True
        self.incidents[claim.key].held = False
        return []

    def mark_parked(self, claim: Claim, repeat_window_seconds: int) -> list[str]:
        self.parked.append(claim.key)
        self.incidents[claim.key].held = False
        return []

    def release(
        self, claim: Claim, *, maybe_sent: bool = False, send_resolved: bool = False
    ) -> None:
        self.released.append(claim.key)
        item = self.incidents[claim.key]
        item.held = False
        if maybe_sent:
            item.opened = True
            item.send_resolved |= send_resolved


@dataclass
class FakeParker:
    parked: list[tuple[str, str, str]] = field(default_factory=list)

    def park(self, record: SQSRecord, receiver: str, reason: str) -> None:
        self.parked.append((record.message_id, receiver, reason))


@dataclass
class FakeDelayer:
    delays: list[tuple[str, float]] = field(default_factory=list)

    def delay(self, record: SQSRecord, seconds: float) -> None:
        self.delays.append((record.message_id, seconds))


class NoMetrics:
    def count(self, name: str, value: int = 1, **dimensions: str) -> None:
        """Counts nothing."""


def message(task_id: str, *, business_product_id: str = "bp-1") -> str:
    return TaskFailure(
        event_id=f"event-{task_id}",
        event_time="2026-11-29T11:00:00Z",
        detail_type="PERSONAL_DATA_DELETION_TASK_FAILED",
        business_product_id=business_product_id,
        task_id=task_id,
        status="FAILED",
        errors=[TaskError(code="NEW_CODE", message="something new")],
        lookup=LookupOutcome(status=LookupStatus.OK),
        received_at="2026-11-29T11:00:01Z",
    ).model_dump_json(by_alias=True)


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m{n}",
                "receiptHandle": f"r{n}",
                "body": body,
                "attributes": {},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:alerts",
            }
            for n, body in enumerate(bodies)
        ]
    }


@dataclass
class FakeLinks:
    """The reaction's task index: task id -> case id."""

    cases: dict[str, str] = field(default_factory=dict)
    #: Where each case stands (the cases' items), by case id.
    standing: dict[str, CaseStanding] = field(default_factory=dict)

    def cases_of(self, task_ids: Sequence[str]) -> dict[str, str]:
        return {task: self.cases[task] for task in task_ids if task in self.cases}

    def standings(self, case_ids: Sequence[str], now: datetime) -> dict[str, CaseStanding]:
        return {case: self.standing[case] for case in case_ids if case in self.standing}


def ended(case_id: str) -> str:
    """The reaction's notice that ``case_id`` ended, as the router's queue carries it."""
    return ended_notice(case_id, completed_task=case_id).model_dump_json(by_alias=True)


@dataclass
class CountingMetrics:
    """Every count, by name (dimensions dropped)."""

    counts: dict[str, int] = field(default_factory=dict)

    def count(self, name: str, value: int = 1, **dimensions: str) -> None:
        self.counts[name] = self.counts.get(name, 0) + value


def record(body: str, *, message_id: str = "m0", redrive_for: str | None = None) -> SQSRecord:
    """One queue record, as the batch processor hands it to the classifier."""
    raw = sqs_event(body)["Records"][0]
    raw["messageId"] = message_id
    if redrive_for is not None:
        raw["messageAttributes"] = {
            "redriveFor": {"stringValue": redrive_for, "dataType": "String"}
        }
    return SQSRecord(raw)
