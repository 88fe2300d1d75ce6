import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bwp_privacy.recorder import InvalidEventError, parse_event

EVENTS = Path(__file__).resolve().parents[2] / "events"
SAMPLES = sorted(EVENTS.glob("*.json"))


def sample(name: str = "deletion-task-failed.json") -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_sample_event_parses_to_its_task(path: Path) -> None:
    raw = json.loads(path.read_text())
    ref = parse_event(raw)
    assert ref.business_product_id == "bp-30b55436-0c3e-4a5c-9e2f-5d1b8f4c7a11"
    assert raw["resources"][0].endswith(ref.task_id)
    assert ref.event.id == raw["id"]


def test_keeps_replay_name_and_rich_detail() -> None:
    assert parse_event(sample("deletion-task-failed-replayed.json")).event.replay_name == (
        "bwp-privacy-replay-2026-11-21"
    )
    rich = parse_event(sample("deletion-task-failed-rich-detail.json")).event.detail
    assert rich.api_version == "2024-11-01"
    assert rich.event_descriptor == "PERSONAL_DATA_DELETION_TASK_FAILED"


def test_rich_detail_resources_are_used_when_the_envelope_has_none() -> None:
    raw = sample("deletion-task-failed-rich-detail.json")
    raw["resources"] = []
    assert parse_event(raw).task_id == "d4e5f6a7-b8c9-4d0e-a1f2-b3c4d5e6f7a8"


def mutate(path: str, value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(sample())
    if value is KeyError:
        del raw[path]
    else:
        raw[path] = value
    return raw


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            mutate("source", "aws.partner/other/x"),
            "source: 'aws.partner/other/x' is not a Buy with Prime partner source",
        ),
        (mutate("source", "aws.partner/buywithprime/"), "source: must start with"),
        (mutate("source", KeyError), "source: missing (a Buy with Prime event names its"),
        (mutate("source", 7), "source: expected a string, got int"),
        (
            mutate("detail-type", "PERSONAL_DATA_DELETION_TASK_COMPLETED"),
            "detail-type: Input should be 'PERSONAL_DATA_DELETION_TASK_FAILED'",
        ),
        (mutate("id", KeyError), "id: Field required"),
        (mutate("time", "yesterday"), "time: Input should be a valid datetime"),
        (mutate("detail", "{}"), "detail: Input should be a valid dictionary"),
        (
            mutate("resources", ["businessProduct/bp-1/order/o1"]),
            "expected exactly one 'personalDataDeletionTask/{taskId}' resource, found 0",
        ),
        (mutate("resources", []), "found 0"),
        (
            mutate(
                "resources",
                [
                    "businessProduct/bp-1/personalDataDeletionTask/t1",
                    "businessProduct/bp-1/personalDataDeletionTask/t2",
                ],
            ),
            "found 2",
        ),
        (
            mutate("resources", ["businessProduct/bp-1/personalDataDeletionTask"]),
            "resources[0]: resource 'businessProduct/bp-1/personalDataDeletionTask' must be",
        ),
        (mutate("resources", ["x"] * 21), "resources: List should have at most 20 items"),
        (mutate("id", "i" * 300), "id: String should match pattern"),
        # What EventBridge sets is held to its grammar: it is kept, and logged.
        (mutate("id", "e-1 victim@victim-mail.test"), "id: String should match pattern"),
        (mutate("account", "12345678901\n"), "account: String should match pattern"),
        (mutate("region", "us-east-1 <!here>"), "region: String should match pattern"),
        (mutate("replay-name", "r\u202e1"), "replay-name: String should match pattern"),
    ],
)
def test_invalid_events_say_what_is_wrong(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        parse_event(raw)
    assert message in str(caught.value)


@pytest.mark.parametrize("raw", [None, [], "event", 42])
def test_non_objects_are_rejected(raw: Any) -> None:
    with pytest.raises(InvalidEventError, match="expected a JSON object"):
        parse_event(raw)


def test_error_never_echoes_input_values() -> None:
    raw = mutate("time", "secret-looking-value@example.com")
    with pytest.raises(InvalidEventError) as caught:
        parse_event(raw)
    assert "example.com" not in str(caught.value)


def test_spoofed_sources_and_accounts_are_told_apart() -> None:
    from bwp_privacy.recorder import SpoofedEventError

    with pytest.raises(SpoofedEventError, match="is not a Buy with Prime partner source"):
        parse_event(mutate("source", "aws.events"))
    with pytest.raises(SpoofedEventError, match="source: expected a string, got int"):
        parse_event(mutate("source", 7))
    with pytest.raises(
        SpoofedEventError, match="account: '999999999999' is not the expected account"
    ):
        parse_event(mutate("account", "999999999999"), expected_account="123456789012")
    assert parse_event(sample(), expected_account="123456789012").event.account == "123456789012"


def test_deep_nesting_and_huge_arrays_are_rejected_cleanly() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(5000):
        node["x"] = {}
        node = node["x"]
    raw = sample("deletion-task-failed-rich-detail.json")
    raw["detail"]["data"] = deep
    with pytest.raises(InvalidEventError):
        parse_event(raw)
    with pytest.raises(InvalidEventError, match="resources: List should have at most 20 items"):
        parse_event(mutate("resources", ["businessProduct/bp/order/o"] * 100_000))
