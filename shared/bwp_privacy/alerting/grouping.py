"""The router's third stage, pure: the batch's alerts grouped per receiver, and each group's
alerts in the turns a receiver takes them.

A batch is the event source mapping's batching window, so it is also the grouping wait: the
alerts of one batch that share a route, a receiver and the route's ``group_by`` values form
one group (one Slack message listing its tasks). One alert of a case's transition is kept per
group, with every record that carried it; a case's several transitions in one group go out in
turn (a ledger claim holds a case's item at a time), and a receiver's resolves go after its
firing alerts, so a case that ended within the batch is opened, then resolved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from bwp_privacy.alerting.alert import Alert
from bwp_privacy.alerting.classify import RESOLVED_ROUTE, Routed
from bwp_privacy.alerting.routes import RouteMatch


@dataclass
class Pending:
    """One alert of a case's transition, and the records that carried it."""

    alert: Alert
    records: list[SQSRecord] = field(default_factory=list)
    #: Receivers a redrive asks to retry although the ledger says the delivery was parked.
    redrive_for: set[str] = field(default_factory=set)


@dataclass
class AlertGroup:
    """The alerts one receiver gets under one route and one set of ``group_by`` values."""

    receiver: str
    route: RouteMatch
    labels: dict[str, str]
    by_transition: dict[str, Pending] = field(default_factory=dict)

    def records(self) -> list[SQSRecord]:
        return [record for pending in self.by_transition.values() for record in pending.records]

    def turns(self) -> list[list[Pending]]:
        """Each case's transitions in turn: first every case's first, then the seconds."""
        turns: list[list[Pending]] = []
        seen: dict[str, int] = {}
        for pending in self.by_transition.values():
            turn = seen.get(pending.alert.case_id, 0)
            seen[pending.alert.case_id] = turn + 1
            if turn == len(turns):
                turns.append([])
            turns[turn].append(pending)
        return turns


def group_alerts(routed: Sequence[Routed]) -> dict[str, list[AlertGroup]]:
    """The groups of each receiver, firing ones first, in the order the batch met them."""
    groups: dict[tuple[str, str, tuple[str, ...]], AlertGroup] = {}
    for item in routed:
        alert = item.alert
        for receiver, route in item.targets:
            values = tuple(",".join(sorted(alert.labels()[label])) for label in route.group_by)
            group = groups.setdefault(
                (receiver, route.path, values),
                AlertGroup(receiver, route, dict(zip(route.group_by, values, strict=True))),
            )
            pending = group.by_transition.setdefault(
                f"{alert.case_id}#{alert.transition}", Pending(alert)
            )
            pending.records.append(item.record)
            if item.redrive == receiver:
                pending.redrive_for.add(receiver)
    by_receiver: dict[str, list[AlertGroup]] = {}
    for group in groups.values():
        by_receiver.setdefault(group.receiver, []).append(group)
    return {
        receiver: sorted(found, key=lambda group: group.route.path == RESOLVED_ROUTE)
        for receiver, found in by_receiver.items()
    }
