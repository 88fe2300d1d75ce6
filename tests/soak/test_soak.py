"""The chaos soak, shortened: every valid event stored and delivered once, nothing lost."""

from __future__ import annotations

import pytest

from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.soak.engine import SoakConfig, run_soak
from bwp_sandbox.soak.report import render

pytestmark = pytest.mark.integration


def test_soak_loses_nothing_and_duplicates_nothing(sandbox: Sandbox) -> None:
    report = run_soak(SoakConfig(events=150, seed=7), sandbox, log=lambda _: None)
    print(render(report))  # shown with -s or on failure: the table a person reads
    faults = report.faults["aws (injected)"]
    assert sum(faults.values()) > 0  # faults really were injected

    under = report.under_faults
    # Under faults: every valid event is stored, or parked on the OnFailure queue with its
    # reason; none is lost, none published twice.
    assert under.lost == 0
    assert under.stored_once + under.parked_on_failure == under.valid_events
    assert under.published_twice_or_more == 0
    assert under.malformed_rejected_with_reason == under.malformed
    assert under.malformed_stored == 0
    # The outages parked what they hit: events in OnFailure, alerts in the router DLQ.
    outages = report.faults["outages (tasks)"]
    assert under.parked_on_failure >= outages["api"] > 0
    assert under.receivers["webhook"].parked >= outages["webhook"] > 0
    assert report.redrive["redriven"] >= outages["api"] + outages["webhook"]
    # Under faults too, an alert not delivered was parked, never lost: the reading finds every
    # parked one however long it takes (it once missed the last ones parked).
    assert under.delivery_lost == 0
    assert under.delivery_in_flight == 0

    # Routing never stalled: nothing was left on the alert queue to be counted as parked.
    assert report.router_queue_drained == {"under faults": True, "after redrive": True}

    final = report.after_redrive
    assert final.stored_once == final.valid_events
    assert final.published_once == final.valid_events
    assert final.lost == 0
    assert final.delivery_lost == 0
    assert final.delivery_in_flight == 0
    assert final.duplicate_pages == 0
    assert final.duplicate_chat_posts == 0
    for name, count in final.receivers.items():
        assert count.expected > 0, name
        assert count.once == count.expected, (name, count)
    # Every call both functions made was one their roles in the template allow.
    assert report.iam["refused"] == []
    assert {"RecorderFunction", "AlertRouterFunction"} <= set(report.iam["allowed"])
    # Only the malformed events stay parked after the redrive, each with its reason; but a
    # COMPLETED event the recorder refused goes to the reaction, as the bus's rule would send it.
    assert final.malformed_rejected_with_reason + final.malformed_taken_by_reaction == (
        final.malformed
    )
    assert report.redrive["kept"] == final.malformed - final.malformed_taken_by_reaction
    assert under.malformed_taken_by_reaction == 0
    # A COMPLETED event goes to the reaction only through its function URL, which asks Buy
    # with Prime first: the reaction ran for each one redriven, taken or refused.
    if final.malformed_taken_by_reaction > 0:
        assert "ReactionFunction" in report.iam["allowed"]
