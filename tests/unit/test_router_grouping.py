"""The router's grouping stage (pure): groups per receiver, and the turns within a group."""

from __future__ import annotations

from bwp_privacy.alerting import Classifier, Routed, group_alerts, on_their_cases
from bwp_privacy.alerting.classify import RESOLVED_ROUTE
from tests.alert_fakes import NOW, ROUTES, CountingMetrics, FakeLinks, ended, message, record


def routed(
    *bodies: str, links: FakeLinks | None = None, redrive: str | None = None
) -> list[Routed]:
    classifier = Classifier(ROUTES, ["slack", "pagerduty"], CountingMetrics(), NOW)
    items = [
        classifier.classify(record(body, message_id=f"m{n}", redrive_for=redrive))
        for n, body in enumerate(bodies)
    ]
    return on_their_cases(items, links)[0]


def test_alerts_sharing_the_group_by_values_are_one_group_per_receiver() -> None:
    groups = group_alerts(
        routed(message("t-1"), message("t-2"), message("t-3", business_product_id="bp-2"))
    )
    assert sorted(groups) == ["pagerduty", "slack"]
    assert [
        (group.labels, [p.alert.task_id for p in group.by_transition.values()])
        for group in groups["slack"]
    ] == [({"businessProductId": "bp-1"}, ["t-1", "t-2"]), ({"businessProductId": "bp-2"}, ["t-3"])]


def test_one_alert_per_case_transition_keeps_every_record_that_carried_it() -> None:
    (group,) = group_alerts(routed(message("t-1"), message("t-1")))["slack"]
    (pending,) = group.by_transition.values()
    assert [r.message_id for r in pending.records] == ["m0", "m1"]
    assert [r.message_id for r in group.records()] == ["m0", "m1"]


def test_a_case_s_transitions_go_in_turns_one_per_case_at_a_time() -> None:
    links = FakeLinks({"t-2": "case-1", "t-3": "case-1"})
    (group,) = group_alerts(
        routed(message("case-1"), message("t-2"), message("t-3"), message("t-9"), links=links)
    )["slack"]
    assert [[p.alert.task_id for p in turn] for turn in group.turns()] == [
        ["case-1", "t-9"],
        ["t-2"],
        ["t-3"],
    ]


def test_a_receiver_s_resolves_come_after_its_firing_alerts() -> None:
    groups = group_alerts(routed(ended("t-1"), message("t-1")))
    assert [group.route.path == RESOLVED_ROUTE for group in groups["slack"]] == [False, True]


def test_a_redrive_marks_the_receiver_it_retries() -> None:
    groups = group_alerts(routed(message("t-1"), redrive="pagerduty"))
    assert list(groups) == ["pagerduty"]
    (pending,) = groups["pagerduty"][0].by_transition.values()
    assert pending.redrive_for == {"pagerduty"}
