"""A small storm: many failures of one merchant at once, recorded and reacted to from several
execution environments, carried over weeks of the sandbox's clock with attempts fired within
their flexible windows: every case ends as its playbook implies, none lost, no attempt starts
two tasks, none ends past its deadline, IAM refuses nothing. Once the template has the API
budget, the API sees no more than it: an emulator limited to it (a token bucket) answers no
429. Nothing here depends on how fast the machine is."""

from __future__ import annotations

import pytest

from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.soak.storm import deploy_for_storm, run_storm, template_has_budget

pytestmark = pytest.mark.integration

BUDGET = 10


def test_a_storm_ends_every_case_and_keeps_to_the_budget(sandbox: Sandbox) -> None:
    budgeted = template_has_budget()
    report = run_storm(
        deploy_for_storm(sandbox, BUDGET),
        failures=30,
        seed=11,
        environments=4,
        budget=BUDGET,
        # Without the budget in the stack, a limited emulator would only slow the test down.
        emulator_limit=BUDGET if budgeted else None,
        step_days=3.5,
    )
    print(report.render())  # shown with -s or on failure: the table a person reads
    assert report.failures == 30
    assert report.stack_budget == budgeted
    assert report.lost == []
    assert report.wrong == []
    assert report.ended_as_expected == report.failures
    assert report.double_starts == 0
    assert report.past_deadline == []
    assert report.refused == []
    assert report.attempts_fired > 0
    assert report.rate.graphql > 0
    assert report.rate.token >= 1
    assert report.incidents <= report.failures
    if budgeted:  # an API limited to the budget refused nothing
        assert report.rate.throttled == 0
        assert not report.rate_above_budget
    assert report.clean, report.problems
