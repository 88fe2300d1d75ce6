"""The cases table's task links (written by the reaction, `bwp_privacy.cases.keys`), read: which
case each failed task of a batch belongs to, so a resubmitted task's failure updates its case's
incident instead of opening one of its own."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from bwp_privacy.cases import CASE_ID_ATTRIBUTE, TASK_PREFIX, task_item_key

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
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(task_ids))
        for start in range(0, len(unique), BATCH_GET_LIMIT):
            keys = [task_item_key(task) for task in unique[start : start + BATCH_GET_LIMIT]]
            request: dict[str, Any] = {
                self._table: {
                    "Keys": keys,
                    "ProjectionExpression": f"pk, {CASE_ID_ATTRIBUTE}",
                    # The link is written before the task can fail; read what was written.
                    "ConsistentRead": True,
                }
            }
            for attempt in range(MAX_BATCH_ATTEMPTS):
                answer = self._client.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self._table, []):
                    case_id = item.get(CASE_ID_ATTRIBUTE, {}).get("S")
                    if case_id:
                        found[item["pk"]["S"].removeprefix(TASK_PREFIX)] = case_id
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
                self._sleep(0.05 * 2**attempt)
            if request:
                raise RuntimeError(f"cases table: {len(request[self._table]['Keys'])} keys unread")
        return found
