"""The reaction's task index, read: which case a failed task belongs to, so a resubmitted
task's failure updates its case's incident instead of opening one of its own."""

from __future__ import annotations

from typing import Any

from bwp_privacy.contract import CASE_ID_ATTRIBUTE, task_item_key


class CasesTableLinks:
    """Reads a task's item in the cases table (one GetItem, the case id only)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def case_of(self, task_id: str) -> str | None:
        """The case that linked ``task_id``, or None (a task no case linked yet is its own
        case's first task: the case is named after it)."""
        answer = self._client.get_item(
            TableName=self._table,
            Key=task_item_key(task_id),
            ProjectionExpression=CASE_ID_ATTRIBUTE,
            # The link is written before the task can fail; read what was written.
            ConsistentRead=True,
        )
        value = answer.get("Item", {}).get(CASE_ID_ATTRIBUTE, {}).get("S")
        return value if isinstance(value, str) and value else None
