"""`bwp-privacy events new` through its console script: a bad value is refused by the name of
the option it came in (never by where it ends up in the event, "resources[0] … segment 5")."""

from __future__ import annotations

import json
import subprocess

import pytest

from bwp_privacy.partner_events import TaskFailedEvent, parse_event
from tests.cli.conftest import ENTRY_POINT, Result

GOOD = ("--task-id", "t-1", "--business-product-id", "bp-1")


def events_new(*args: str) -> Result:
    done = subprocess.run(  # noqa: S603
        [ENTRY_POINT, "events", "new", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--task-id", "a/b", "is not an id"),
        ("--business-product-id", "bp 1", "is not an id"),
        ("--account", "12345", "is not an AWS account id (12 digits)"),
        ("--region", "Mars-1", "is not an AWS region"),
        ("--replay-name", "my replay", "is not a replay name"),
        ("--source-name", "my source", "is not a partner event source name"),
    ],
)
def test_each_option_is_refused_by_its_own_name(option: str, value: str, says: str) -> None:
    given = dict(zip(GOOD[::2], GOOD[1::2], strict=True))
    given[option] = value
    result = events_new(*[item for pair in given.items() for item in pair])
    assert result.exit_code == 2, result.stderr  # a usage error, as click's own
    assert result.stdout == ""
    [error] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert error.startswith(f"Error: Invalid value for '{option}': {value!r} {says}"), error
    assert "resources[" not in result.stderr
    assert "segment" not in result.stderr


def test_a_source_given_whole_or_by_its_name_is_the_same_event() -> None:
    by_name = events_new(*GOOD, "--source-name", "merchant-events")
    whole = events_new(*GOOD, "--source-name", "aws.partner/buywithprime/merchant-events")
    for result in (by_name, whole):
        assert result.exit_code == 0, result.stderr
        event = json.loads(result.stdout)
        assert event["source"] == "aws.partner/buywithprime/merchant-events"
        assert parse_event(event, model=TaskFailedEvent).task_id == "t-1"
