"""The router's case lookup stage: each failure on its case, one read for the batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bwp_privacy.alerting import Classifier, Routed, on_their_cases
from bwp_privacy.alerting.alert import CaseStanding
from tests.alert_fakes import NOW, ROUTES, CountingMetrics, FakeLinks, ended, message, record


def routed(*bodies: str) -> list[Routed]:
    classifier = Classifier(ROUTES, ["slack"], CountingMetrics(), NOW)
    return [classifier.classify(record(body, message_id=f"m{n}")) for n, body in enumerate(bodies)]


@dataclass
class CountingLinks(FakeLinks):
    asked: list[list[str]] = field(default_factory=list)

    def cases_of(self, task_ids: Sequence[str]) -> dict[str, str]:
        self.asked.append(list(task_ids))
        return super().cases_of(task_ids)


class BrokenLinks:
    def cases_of(self, task_ids: Sequence[str]) -> dict[str, str]:
        raise ConnectionError("the cases table is unreachable")

    def standings(self, case_ids: Sequence[str], now: datetime) -> dict[str, CaseStanding]:
        raise ConnectionError("the cases table is unreachable")


def test_a_failure_of_a_task_a_case_started_goes_to_that_case_in_one_read() -> None:
    links = CountingLinks({"t-2": "case-1"})
    placed, failures = on_their_cases(routed(message("t-1"), message("t-2")), links)
    assert [(r.alert.task_id, r.alert.case_id) for r in placed] == [
        ("t-1", "t-1"),  # no case links it: its own case
        ("t-2", "case-1"),
    ]
    assert failures == []
    assert links.asked == [["t-1", "t-2"]]


def test_notices_name_their_case_and_need_no_task_link() -> None:
    links = CountingLinks()
    placed, _ = on_their_cases(routed(ended("case-1")), links)
    assert [r.alert.case_id for r in placed] == ["case-1"]
    assert links.asked == []


def test_unreadable_cases_fail_the_failures_for_a_retry_and_let_the_notices_go() -> None:
    placed, failures = on_their_cases(
        routed(message("t-1"), ended("case-1"), message("t-2")), BrokenLinks()
    )
    assert [r.alert.case_id for r in placed] == ["case-1"]
    assert [(record.message_id, type(error).__name__) for record, error in failures] == [
        ("m0", "ConnectionError"),
        ("m2", "ConnectionError"),
    ]


def test_without_a_cases_table_each_failure_is_its_own_case() -> None:
    placed, failures = on_their_cases(routed(message("t-1")), None)
    assert [r.alert.case_id for r in placed] == ["t-1"]
    assert failures == []


ESCALATED = CaseStanding(
    state="ESCALATED", ended=False, due_at="2026-12-16T09:00:00Z", extendable=("ccpa",)
)


def test_every_alert_learns_where_its_case_stands_in_one_read_for_the_batch() -> None:
    links = FakeLinks({"t-2": "case-1"}, standing={"case-1": ESCALATED})
    placed, failures = on_their_cases(
        routed(message("t-1"), message("t-2"), ended("case-1")), links, NOW
    )
    # t-1's case is not written yet: it goes out without a standing.
    assert [(r.alert.case_id, r.alert.case) for r in placed] == [
        ("t-1", None),
        ("case-1", ESCALATED),
        ("case-1", ESCALATED),
    ]
    assert failures == []


def test_cases_that_cannot_be_read_send_their_alerts_without_a_standing_never_later() -> None:
    class NoStandings(FakeLinks):
        def standings(self, case_ids: Sequence[str], now: datetime) -> dict[str, CaseStanding]:
            raise ConnectionError("the cases table is unreachable")

    placed, failures = on_their_cases(
        routed(message("t-1"), ended("case-1")), NoStandings({"t-1": "case-0"}), NOW
    )
    assert [(r.alert.case_id, r.alert.case) for r in placed] == [("case-0", None), ("case-1", None)]
    assert failures == []
