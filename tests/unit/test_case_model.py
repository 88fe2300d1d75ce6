"""The case's identities and kinds (bwp_privacy.cases.case): the client token and the
schedule name of each attempt, and the case kinds as the contract's task kinds. Pure."""

from __future__ import annotations

from typing import get_args

from bwp_privacy.cases import CaseKind, client_token, schedule_name
from bwp_privacy.contract import TaskKind


def test_client_tokens_are_stable_per_attempt_and_distinct_between_attempts() -> None:
    first, again, second = client_token("c", 1), client_token("c", 1), client_token("c", 2)
    assert first == again != second
    assert 36 <= len(first) <= 64


def test_schedule_names_fit_scheduler_limits() -> None:
    long_id = "x" * 80 + "/" + "y" * 40
    name = schedule_name(long_id, 12)
    assert len(name) <= 64
    assert all(c.isalnum() or c in "-_." for c in name)
    assert name != schedule_name("x" * 80 + "/" + "z" * 40, 12)


def test_the_case_kinds_are_the_contract_task_kinds() -> None:
    assert get_args(CaseKind) == get_args(TaskKind)
