"""The sample events in events/: one of each of the four types the stack takes (a deletion and a
retrieval, FAILED and COMPLETED), each replayable through `bwp-privacy replay`.

events/*.json are the deletion failures the demo, `sam local invoke RecorderFunction` and many
tests replay as a set; the other three types are in events/other-kinds/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bwp_privacy.partner_events import (
    COMPLETED_DETAIL_TYPES,
    FAILED_DETAIL_TYPES,
    TaskCompletedEvent,
    TaskFailedEvent,
    parse_event,
)
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.seed import SAMPLE_BUSINESS_PRODUCT_ID
from tests.cli.conftest import Run
from tests.conftest import EVENTS

OTHER_KINDS = EVENTS / "other-kinds"
EVERY_SAMPLE = sorted(EVENTS.rglob("*.json"))


def load(path: Path) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(path.read_text())
    return event


@pytest.mark.parametrize("path", EVERY_SAMPLE, ids=lambda p: str(p.relative_to(EVENTS)))
def test_every_sample_is_an_event_its_function_takes(path: Path) -> None:
    event = load(path)
    failed = event["detail-type"] in FAILED_DETAIL_TYPES
    ref = parse_event(event, model=TaskFailedEvent if failed else TaskCompletedEvent)
    assert ref.business_product_id == SAMPLE_BUSINESS_PRODUCT_ID
    assert ref.event.id == event["id"]


def test_events_holds_one_of_each_of_the_four_types() -> None:
    types = {load(path)["detail-type"] for path in EVERY_SAMPLE}
    assert types == {*FAILED_DETAIL_TYPES, *COMPLETED_DETAIL_TYPES}


@pytest.mark.integration
def test_the_other_kinds_replay_through_the_console_script(run_cli: Run, sandbox: Sandbox) -> None:
    paths = sorted(OTHER_KINDS.glob("*.json"))
    result = run_cli("replay", *map(str, paths), "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    outcomes = {
        load(Path(r["origin"]))["detail-type"]: r["outcome"] for r in result.json()["results"]
    }
    assert outcomes == {
        "PERSONAL_DATA_RETRIEVAL_TASK_FAILED": "published",  # to the recorder
        "PERSONAL_DATA_RETRIEVAL_TASK_COMPLETED": "reacted",  # to the reaction
        "PERSONAL_DATA_DELETION_TASK_COMPLETED": "reacted",
    }
    # Each is for a task the sandbox's emulator knows (docs/demo.md says so): the failed access
    # request's lookup reads why it failed, rather than failing for good.
    failed = next(r for r in result.json()["results"] if r["outcome"] == "published")
    assert "EXPORT_FAILED" in failed["detail"], failed
