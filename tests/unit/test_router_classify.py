"""The router's classify stage: a queue record becomes an alert with its receivers."""

from __future__ import annotations

import json

import pytest

from bwp_privacy.alerting import (
    Classifier,
    InvalidAlertMessage,
    NoReceiverError,
    load_routes,
)
from bwp_privacy.alerting.classify import RESOLVED_ROUTE
from tests.alert_fakes import NOW, ROUTES, CountingMetrics, catalogue, ended, message, record


def test_a_failure_goes_to_every_deployed_receiver_of_its_route() -> None:
    metrics = CountingMetrics()
    routed = Classifier(ROUTES, ["slack", "pagerduty"], metrics, NOW).classify(
        record(message("t-1"))
    )
    assert routed.alert.task_id == "t-1"
    assert routed.alert.case_id == "t-1"  # its own case until the case lookup says otherwise
    assert [receiver for receiver, _ in routed.targets] == ["slack", "pagerduty"]
    assert routed.redrive is None
    assert metrics.counts == {"AlertsRouted": 1}


def test_a_receiver_the_stack_does_not_deploy_is_left_out() -> None:
    routed = Classifier(ROUTES, ["pagerduty"], CountingMetrics(), NOW).classify(
        record(message("t-1"))
    )
    assert [receiver for receiver, _ in routed.targets] == ["pagerduty"]


def test_routes_naming_no_deployed_receiver_fall_back_to_the_default_route() -> None:
    routes = load_routes(
        json.dumps(
            {
                "version": 1,
                "route": {
                    "receivers": ["slack"],
                    "group_by": ["businessProductId"],
                    "repeat_window": "1d",
                    "routes": [{"match": {"errorCode": ["NEW_CODE"]}, "receivers": ["teams"]}],
                },
            }
        ),
        "test routes",
        catalogue("Look at it.", "Look it up by hand."),
    )
    routed = Classifier(routes, ["slack"], CountingMetrics(), NOW).classify(record(message("t-1")))
    assert [(receiver, route.path) for receiver, route in routed.targets] == [("slack", "route")]


def test_an_alert_no_deployed_receiver_gets_is_refused_and_counted() -> None:
    metrics = CountingMetrics()
    with pytest.raises(NoReceiverError, match="task t-1"):
        Classifier(ROUTES, ["teams"], metrics, NOW).classify(record(message("t-1")))
    assert metrics.counts == {"UnroutableAlerts": 1}


def test_a_message_that_is_not_ours_is_refused_with_what_is_wrong() -> None:
    with pytest.raises(InvalidAlertMessage, match="eventId: Field required"):
        Classifier(ROUTES, ["slack"], CountingMetrics(), NOW).classify(
            record('{"schema": "bwp-privacy.deletion-task-failure"}')
        )
    with pytest.raises(InvalidAlertMessage):
        Classifier(ROUTES, ["slack"], CountingMetrics(), NOW).classify(record("[" * 100_000))


def test_a_redrive_goes_to_the_one_receiver_it_names() -> None:
    routed = Classifier(ROUTES, ["slack", "pagerduty"], CountingMetrics(), NOW).classify(
        record(message("t-1"), redrive_for="pagerduty")
    )
    assert [receiver for receiver, _ in routed.targets] == ["pagerduty"]
    assert routed.redrive == "pagerduty"


def test_a_case_notice_of_the_end_is_offered_to_every_receiver_outside_the_tree() -> None:
    routed = Classifier(ROUTES, ["slack", "pagerduty"], CountingMetrics(), NOW).classify(
        record(ended("case-1"))
    )
    assert routed.alert.resolved
    assert routed.alert.case_id == "case-1"
    assert [(receiver, route.path) for receiver, route in routed.targets] == [
        ("slack", RESOLVED_ROUTE),
        ("pagerduty", RESOLVED_ROUTE),
    ]
