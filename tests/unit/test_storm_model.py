"""The storm model (dev/storm_model): small storms, squeezed into a short time so that the
budget is the bottleneck, keep the invariants issue 28 asks for; the design before does not."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from storm_model import Settings, SettingsError, load_settings, model, render, summarise
from storm_model.report import Summary
from storm_model.tables import item_size, write_units
from storm_model.wiring import PROJECT_ROOT

#: 500 failures in 36 seconds: about 14 a second against a budget of 10.
DENSE = {"failures": 500, "storm_hours": 0.01, "seed": 7}
#: The parameters the lead is adding to the template, given as a merchant would.
PARAMETERS = {
    "api_requests_per_second": 10,
    "attempt_window_minutes": 1440,
    "recorder_reserved": 10,
    "reaction_reserved": 10,
}


def settings(**overrides: Any) -> Settings:
    return load_settings({**DENSE, **PARAMETERS, **overrides})


@cache
def after() -> Summary:
    return summarise(model(settings()))


def test_the_api_never_sees_more_than_its_budget() -> None:
    found = after()
    assert found.paced
    assert found.requests > 0
    assert found.peak_requests_per_second <= 10
    assert found.within_budget
    # The storm outran the budget: requests waited for their slots.
    assert found.peak_requests_per_second == 10


def test_every_case_ends_or_is_escalated_before_its_legal_deadline() -> None:
    found = after()
    assert found.late == 0
    assert "WAITING" not in found.states
    assert "RESUBMITTED" not in found.states
    assert found.states.get("COMPLETED", 0) > 0
    assert found.states.get("NOTHING_TO_DELETE", 0) > 0


def test_the_counts_add_up_and_nothing_is_lost_with_reservations() -> None:
    found = after()
    assert sum(found.states.values()) == found.failures
    assert found.parked == 0
    assert found.lost_failures == 0
    assert found.double_starts == 0


def test_the_design_before_sends_more_than_the_budget() -> None:
    before = summarise(model(settings(before=True)))
    assert not before.paced
    assert before.peak_requests_per_second > 10
    assert not before.within_budget
    # Unpaced, nothing waits and nothing is refused: it all went to the API at once.
    assert before.budget_refusals == 0


def test_a_seed_plays_the_same_storm() -> None:
    assert summarise(model(settings(seed=3))) == summarise(model(settings(seed=3)))


def test_the_report_prints_every_number_and_its_source() -> None:
    text = render(model(settings(failures=50)), markdown=True)
    assert "| check | result |" in text
    assert "Globals.Function.Timeout" in text
    assert "command line (parameter ApiRequestsPerSecond)" in text
    assert "Buy with Prime API (charges nothing per request)" in text


def test_settings_come_from_the_template() -> None:
    found = settings()
    assert found.recorder_timeout_s == 60
    assert found.reaction_batch_size == 10
    assert found.reaction_max_concurrency == 5
    assert found.router_batch_size == 100
    assert found.recorder_max_retries == 2
    assert found.recorder_max_event_age_s == 21600
    assert "RouterBatchWindowSeconds" in found.sources["router_window_s"]


def test_a_parameter_the_template_lacks_is_an_error_not_a_made_up_default(
    tmp_path: Path,
) -> None:
    text = (PROJECT_ROOT / "template.yaml").read_text()
    changed = tmp_path / "template.yaml"
    changed.write_text(text.replace("  ApiRequestsPerSecond:", "  SomethingElse:"))
    others = {k: v for k, v in PARAMETERS.items() if k != "api_requests_per_second"}
    with pytest.raises(SettingsError, match=r"no parameter ApiRequestsPerSecond.*--budget"):
        load_settings(others, changed)


def test_item_sizes_are_dynamodbs() -> None:
    assert item_size({"pk": {"S": "CASE#abc"}, "n": {"N": "12345"}}) == 2 + 8 + 1 + 4
    assert item_size({"codes": ["AB", "C"]}) == 5 + 3 + 3 + 2
    assert write_units(1024) == 1
    assert write_units(1025) == 2


def test_unreserved_the_budget_still_holds_and_every_failure_is_accounted_for() -> None:
    found = summarise(model(settings(recorder_reserved=0, reaction_reserved=0)))
    assert found.within_budget
    assert found.late == 0
    # A failure whose event was parked has no case: it is counted as such, never dropped.
    assert sum(found.states.values()) == found.failures
    assert found.states.get("never opened (event parked in OnFailure)", 0) == found.lost_failures
