"""The reaction's chaos soak, shortened: every case ends as its scenario implies, none lost,
no attempt starts two tasks, under scheduler, API and case-write faults, duplicated and
reordered events, and crashes before the case write; and every case's incident is opened,
updated and resolved once in each receiver, under redelivered messages and failing
receivers."""

from __future__ import annotations

import pytest

from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.soak.reaction import run_reaction_soak

pytestmark = pytest.mark.integration


def test_the_reaction_soak_ends_every_case_right(sandbox: Sandbox) -> None:
    report = run_reaction_soak(sandbox, cases=16, seed=5, weeks=7)
    print(report.render())  # shown with -s or on failure: the table a person reads
    assert sum(report.faults.values()) > 0
    assert report.faults.get("event-twice", 0) > 0
    assert report.faults.get("event-held-back", 0) > 0
    assert report.lost == []
    assert report.wrong == []
    assert report.ended_as_expected == report.cases
    assert set(report.tasks_per_attempt) == {1}  # every attempt token created one task
    assert report.refused == []
    incidents = report.incidents
    assert report.faults.get("alert-twice", 0) > 0
    assert sum(report.receiver_faults.values()) > 0
    assert incidents.delivered["pagerduty"]["resolved"] > 0  # escalations closed by on-call
    assert all(counts["resolved"] > 0 for counts in incidents.delivered.values())
    assert incidents.duplicate_resolves == []
    assert incidents.duplicate_triggers == []
    assert incidents.resolves_before_trigger == []
    assert incidents.resolves_missing == []
    assert incidents.resolves_of_open_cases == []
    assert report.clean
