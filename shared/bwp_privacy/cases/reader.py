"""The cases table, read: a case, a task's link to its case, the open cases or every case
kept. What the deadline watch, the CLI and the sandbox use: none of them writes a case (the
reaction alone does, through `CaseStore`), so none of them needs the retention a write sets.

Index ``ByState``: state + planDeadlineAt, for cases by state and deadline (never a scan).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bwp_privacy.cases.case import Case, CaseState
from bwp_privacy.cases.keys import CASE_ID_ATTRIBUTE, case_item_key, task_item_key
from bwp_privacy.common import parse_iso


@dataclass(frozen=True, slots=True)
class TaskLink:
    """What the table knows of a task: its case, or an outcome seen before it was linked."""

    case_id: str | None
    outcome: str | None = None


OPEN_STATES = tuple(state for state in CaseState if not state.ended)


@dataclass(frozen=True, slots=True)
class OpenDeadline:
    """An open case's id and its legal deadline in force: what the deadline watch counts."""

    case_id: str
    legal_due_at: datetime


class CaseReader:
    """Reads cases and their task index from one DynamoDB table (consistent reads)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def load(self, case_id: str) -> Case | None:
        """The case as last written, or None."""
        answer = self._client.get_item(
            TableName=self._table, Key=case_item_key(case_id), ConsistentRead=True
        )
        item = answer.get("Item")
        return None if item is None else case_of_item(item)

    def task_link(self, task_id: str) -> TaskLink | None:
        """The task's case (or its early outcome), or None for a task never seen."""
        answer = self._client.get_item(
            TableName=self._table, Key=task_item_key(task_id), ConsistentRead=True
        )
        item = answer.get("Item")
        if item is None:
            return None
        return TaskLink(
            case_id=item.get(CASE_ID_ATTRIBUTE, {}).get("S"),
            outcome=item.get("outcome", {}).get("S"),
        )

    def open_cases(self) -> list[Case]:
        """Every open case, the nearest deadline first (one index query per open state)."""
        return self._in_states(OPEN_STATES)

    def open_deadlines(self) -> Iterator[OpenDeadline]:
        """Each open case's legal deadline in force, page by page: only the key, the id and
        ``legalDueAt`` come back (a storm leaves a hundred thousand cases open for weeks; the
        watch must neither hold them nor parse them). A case last written by a version that
        did not keep ``legalDueAt`` is read whole, once, by its key."""
        for item in self._items(OPEN_STATES, ProjectionExpression="pk, caseId, legalDueAt"):
            due = parse_iso(item.get("legalDueAt", {}).get("S"))
            if due is not None:
                yield OpenDeadline(item["caseId"]["S"], due)
                continue
            case = self._load_by_key(item["pk"])
            if case is not None and not case.state.ended:
                yield OpenDeadline(case.case_id, case.legal_due_at)

    def _load_by_key(self, key: dict[str, Any]) -> Case | None:
        answer = self._client.get_item(TableName=self._table, Key={"pk": key})
        item = answer.get("Item")
        return None if item is None else case_of_item(item)

    def all_cases(self) -> list[Case]:
        """Every case still kept (ended ones until their retention ends), by deadline."""
        return self._in_states(tuple(CaseState))

    def _in_states(self, states: tuple[CaseState, ...]) -> list[Case]:
        found = [case_of_item(item) for item in self._items(states)]
        return sorted(found, key=lambda case: (case.plan_deadline_at, case.case_id))

    def _items(self, states: tuple[CaseState, ...], **query: str) -> Iterator[dict[str, Any]]:
        """The items of ``states``, page by page through the index (``query``: more of the
        Query's parameters, such as a projection)."""
        paginator = self._client.get_paginator("query")
        for state in states:
            for page in paginator.paginate(
                TableName=self._table,
                IndexName="ByState",
                KeyConditionExpression="#state = :state",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":state": {"S": state.value}},
                **query,
            ):
                yield from page.get("Items", [])


def case_of_item(item: dict[str, Any]) -> Case:
    """The case a case item holds, at the item's version."""
    case = Case.model_validate_json(item["body"]["S"])
    return case.model_copy(update={"version": int(item["version"]["N"])})
