"""The cases table, written: one item per case (the case as JSON, its state and version) and
one per task (which case it belongs to), written with conditions so that concurrent or
repeated inputs never move a case twice. The reaction is its one writer.

Key ``pk``: ``CASE#<case id>`` or ``TASK#<task id>`` (`bwp_privacy.cases.keys`). ``expiresAt``
(TTL) is set when a case ends: it and its task items are kept ``RetentionDays`` after that,
then DynamoDB deletes them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bwp_privacy.cases.case import Case
from bwp_privacy.cases.keys import case_item_key, task_item_key
from bwp_privacy.cases.reader import CaseReader
from bwp_privacy.common import RetryableError, iso_z


class CaseConflict(RetryableError):
    """The case changed between our read and our write: read it again and decide again."""


class CaseStore(CaseReader):
    """Cases and their task index in one DynamoDB table, read and written; what a write sets
    to expire is kept ``retention_days`` after the case ended."""

    def __init__(self, client: Any, table_name: str, retention_days: int) -> None:
        super().__init__(client, table_name)
        self._retention = timedelta(days=retention_days)

    def create(self, case: Case) -> bool:
        """Write a new case and link its first task; False when either exists already (another
        invocation opened it: read it and decide again)."""
        written = case.model_copy(update={"version": 1})
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {"Put": self._put_case(written, "attribute_not_exists(pk)", {})},
                    {"Put": self._put_task(written, written.tasks[0].task_id, True)},
                ]
            )
        except self._client.exceptions.TransactionCanceledException:
            return False
        return True

    def save(
        self, case: Case, *, link_task: str | None = None, over_early_outcome: bool = False
    ) -> Case:
        """Write ``case`` over the version it was read at (``case.version``), linking a new task
        in the same transaction; raise CaseConflict when someone else wrote in between.

        A linked task item must not exist yet, or (``over_early_outcome``) hold only an early
        outcome the caller has read and will apply: an outcome recorded after that read makes
        the write fail instead of being overwritten."""
        written = case.model_copy(update={"version": case.version + 1})
        condition = "version = :expected"
        values = {":expected": {"N": str(case.version)}}
        items: list[dict[str, Any]] = [{"Put": self._put_case(written, condition, values)}]
        if link_task is not None:
            items.append({"Put": self._put_task(written, link_task, over_early_outcome)})
        if written.ended_at is not None:
            # The task items are kept exactly as long as the case they belong to.
            items.extend(
                {"Update": self._expire_task(task.task_id, written.ended_at)}
                for task in written.tasks
                if task.task_id != link_task
            )
        try:
            self._client.transact_write_items(TransactItems=items)
        except self._client.exceptions.TransactionCanceledException:
            raise CaseConflict(
                f"case {case.case_id} changed since version {case.version}"
            ) from None
        return written

    def save_merge(self, case: Case, stray: Case, task_id: str) -> Case:
        """Move ``task_id`` from the ``stray`` case its failure opened to ``case``, writing both
        cases over the versions read, in one transaction (CaseConflict when either changed)."""
        written = case.model_copy(update={"version": case.version + 1})
        closed = stray.model_copy(update={"version": stray.version + 1})
        task = self._put_task(written, task_id, over_early_outcome=True)
        task["ConditionExpression"] = "caseId = :stray"
        task["ExpressionAttributeValues"] = {":stray": {"S": stray.case_id}}
        items: list[dict[str, Any]] = [
            {"Put": self._put_case(written, "version = :v", {":v": {"N": str(case.version)}})},
            {"Put": self._put_case(closed, "version = :v", {":v": {"N": str(stray.version)}})},
            {"Put": task},
        ]
        try:
            self._client.transact_write_items(TransactItems=items)
        except self._client.exceptions.TransactionCanceledException:
            raise CaseConflict(f"case {case.case_id} or {stray.case_id} changed") from None
        return written

    def record_early_outcome(self, task_id: str, outcome: str, now: datetime) -> bool:
        """Keep an outcome that arrived for a task no case has linked yet (most completions
        belong to no case: they expire after RetentionDays); False when the task was linked
        meanwhile (read its case and apply the outcome there)."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    **task_item_key(task_id),
                    "outcome": {"S": outcome},
                    "expiresAt": {"N": str(self._expiry(now))},
                },
                ConditionExpression="attribute_not_exists(caseId)",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def to_item(self, case: Case) -> dict[str, Any]:
        """The case's item as every write puts it (the storm model measures its size)."""
        item: dict[str, Any] = {
            **case_item_key(case.case_id),
            "caseId": {"S": case.case_id},
            "state": {"S": case.state.value},
            "planDeadlineAt": {"S": iso_z(case.plan_deadline_at)},
            # The deadline watch counts open cases by this alone (`CaseReader.open_deadlines`):
            # a storm's hundred thousand open cases are never read whole, nor parsed.
            "legalDueAt": {"S": iso_z(case.legal_due_at)},
            "businessProductId": {"S": case.business_product_id},
            "version": {"N": str(case.version)},
            "body": {"S": case.model_dump_json(by_alias=True)},
        }
        if case.ended_at is not None:
            item["expiresAt"] = {"N": str(self._expiry(case.ended_at))}
        return item

    def _put_case(self, case: Case, condition: str, values: dict[str, Any]) -> dict[str, Any]:
        item = self.to_item(case)
        put: dict[str, Any] = {
            "TableName": self._table,
            "Item": item,
            "ConditionExpression": condition,
        }
        if values:
            put["ExpressionAttributeValues"] = values
        return put

    def _put_task(self, case: Case, task_id: str, over_early_outcome: bool) -> dict[str, Any]:
        task = case.task(task_id)
        item: dict[str, Any] = {
            **task_item_key(task_id),
            "caseId": {"S": case.case_id},
            "attempt": {"N": str(task.attempt if task else 0)},
        }
        if case.ended_at is not None:
            item["expiresAt"] = {"N": str(self._expiry(case.ended_at))}
        return {
            "TableName": self._table,
            "Item": item,
            # A task belongs to one case, for good.
            "ConditionExpression": "attribute_not_exists(caseId)"
            if over_early_outcome
            else "attribute_not_exists(pk)",
        }

    def _expire_task(self, task_id: str, ended_at: datetime) -> dict[str, Any]:
        return {
            "TableName": self._table,
            "Key": task_item_key(task_id),
            "UpdateExpression": "SET expiresAt = :at",
            "ExpressionAttributeValues": {":at": {"N": str(self._expiry(ended_at))}},
        }

    def _expiry(self, ended_at: datetime) -> int:
        return int((ended_at + self._retention).timestamp())
