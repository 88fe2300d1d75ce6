"""The deadline watch over the sandbox's cases table, with its own role: open cases counted
by bucket from their `legalDueAt` alone, the at-risk ones listed most urgent first, and a case
an older version wrote without `legalDueAt` still counted (read whole, by its key)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bwp_privacy.cases import CaseReader, case_item_key
from bwp_privacy.common import use_clock
from bwp_privacy.deadline_watch import DeadlineWatch
from bwp_privacy_cli.local import LocalLambdaContext
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.timeline import Timeline
from tests.alert_fakes import CountingMetrics
from tests.integration.reaction_helpers import case, failed_task, open_case


@pytest.fixture
def timeline(sandbox: Sandbox) -> Timeline:
    return Timeline(sandbox)


def _watch(sandbox: Sandbox, timeline: Timeline, days_later: float) -> dict[str, Any]:
    """The watch function's answer (its counts), and the at-risk cases of the same run,
    ``days_later`` on the sandbox's clock, read with the watch's own role."""
    later = timeline.now() + timedelta(days=days_later)
    with use_clock(lambda: later):
        answer: dict[str, Any] = sandbox.watch.cold_start().handler({}, LocalLambdaContext())
    reader = CaseReader(sandbox.watch.client("dynamodb"), sandbox.stack.cases_table_name)
    report = DeadlineWatch(reader, CountingMetrics(), 5, clock=lambda: later).run()
    assert {bucket.value: n for bucket, n in report.counts.items()} == answer["counts"]
    return {**answer, "pastDue": list(report.past_due), "dueSoon": list(report.due_soon)}


def test_open_cases_are_counted_by_their_legal_deadline_and_the_late_ones_named(
    sandbox: Sandbox, timeline: Timeline
) -> None:
    # Received 10 and 40 days ago: CCPA's 45 days leave 35 and 5.
    failed_task(sandbox, "w-early", "ORDERS_NOT_CLOSED", email="a@example.com")
    failed_task(
        sandbox, "w-late", "ORDERS_NOT_CLOSED", email="b@example.com", submitted_days_ago=40
    )
    for task in ("w-early", "w-late"):
        open_case(sandbox, timeline, task)
    late = case(sandbox, "w-late").legal_due_at
    early = case(sandbox, "w-early").legal_due_at
    assert late < early
    now = _watch(sandbox, timeline, 0)
    assert now["counts"] == {"on time": 1, "due soon": 1, "past due": 0}
    # Past both: each listed, the one whose deadline passed first first.
    days = (early - timeline.now()) / timedelta(days=1) + 1
    after = _watch(sandbox, timeline, days)
    assert after["counts"] == {"on time": 0, "due soon": 0, "past due": 2}
    assert after["pastDue"] == ["w-late", "w-early"]


def test_a_case_written_without_its_legal_deadline_is_read_whole_and_counted(
    sandbox: Sandbox, timeline: Timeline
) -> None:
    failed_task(sandbox, "w-older", "ORDERS_NOT_CLOSED", email="c@example.com")
    failed_task(sandbox, "w-garbled", "ORDERS_NOT_CLOSED", email="d@example.com")
    for task in ("w-older", "w-garbled"):
        open_case(sandbox, timeline, task)
    # As the reaction of an older version left them (the operators' guard denies the admin).
    dynamodb = sandbox.reaction.client("dynamodb")
    table = sandbox.stack.cases_table_name
    dynamodb.update_item(
        TableName=table, Key=case_item_key("w-older"), UpdateExpression="REMOVE legalDueAt"
    )
    dynamodb.update_item(
        TableName=table,
        Key=case_item_key("w-garbled"),
        UpdateExpression="SET legalDueAt = :x",
        ExpressionAttributeValues={":x": {"S": "not a time"}},
    )
    days = (case(sandbox, "w-older").legal_due_at - timeline.now()) / timedelta(days=1) - 1
    answer = _watch(sandbox, timeline, days)
    assert answer["counts"] == {"on time": 0, "due soon": 2, "past due": 0}
    assert sorted(answer["dueSoon"]) == ["w-garbled", "w-older"]
