"""The cases table's task links (written by the reaction, `bwp_privacy.cases.keys`), read: which
case each failed task of a batch belongs to, so a resubmitted task's failure updates its case's
incident instead of opening one of its own; and the cases a silence would mute, whose legal
deadline says whether it may."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from bwp_privacy.cases import (
    CASE_ID_ATTRIBUTE,
    TASK_PREFIX,
    Case,
    case_item_key,
    case_of_item,
    task_item_key,
)

#: Keys one BatchGetItem reads at most (DynamoDB's limit).
BATCH_GET_LIMIT = 100
MAX_BATCH_ATTEMPTS = 5


class CasesTableLinks:
    """Reads the failed tasks' items in the cases table: one BatchGetItem per 100 tasks, the
    case id only."""

    def __init__(
        self, client: Any, table_name: str, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._client = client
        self._table = table_name
        self._sleep = sleep

    def cases_of(self, task_ids: Sequence[str]) -> dict[str, str]:
        """The case of each task a case linked (a task no case linked yet is missing: it is
        its own case's first task, and the case is named after it)."""
        keys = [task_item_key(task) for task in dict.fromkeys(task_ids)]
        found: dict[str, str] = {}
        for item in self._read(keys, f"pk, {CASE_ID_ATTRIBUTE}"):
            case_id = item.get(CASE_ID_ATTRIBUTE, {}).get("S")
            if case_id:
                found[item["pk"]["S"].removeprefix(TASK_PREFIX)] = case_id
        return found

    def cases(self, case_ids: Sequence[str]) -> dict[str, Case]:
        """The cases of these ids that exist (a failure's case the reaction has not opened
        yet is missing): what the silences stage reads their legal deadline from."""
        keys = [case_item_key(case) for case in dict.fromkeys(case_ids)]
        found = [case_of_item(item) for item in self._read(keys, "pk, body, version")]
        return {case.case_id: case for case in found}

    def _read(self, keys: list[dict[str, Any]], projection: str) -> list[dict[str, Any]]:
        """Items of the cases table: one BatchGetItem per 100 keys, unprocessed keys again."""
        items: list[dict[str, Any]] = []
        for start in range(0, len(keys), BATCH_GET_LIMIT):
            request: dict[str, Any] = {
                self._table: {
                    "Keys": keys[start : start + BATCH_GET_LIMIT],
                    "ProjectionExpression": projection,
                    # The link is written before the task can fail; read what was written.
                    "ConsistentRead": True,
                }
            }
            for attempt in range(MAX_BATCH_ATTEMPTS):
                answer = self._client.batch_get_item(RequestItems=request)
                items.extend(answer.get("Responses", {}).get(self._table, []))
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
                self._sleep(0.05 * 2**attempt)
            if request:
                raise RuntimeError(f"cases table: {len(request[self._table]['Keys'])} keys unread")
        return items
