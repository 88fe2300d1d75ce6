"""The audit table, written with PartiQL ``INSERT`` only (see the package's docstring).

Key ``pk``: the entry's subject (``case:<id>``); ``sk``: its time and id. ``expiresAt``
(TTL) is set on every entry when it is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from bwp_privacy.audit.entry import AuditEntry
from bwp_privacy.common import RetryableError, iso_z

#: BatchExecuteStatement takes at most 25 statements.
BATCH = 25

#: The PartiQL error of an INSERT whose key exists: that entry is written already.
_DUPLICATE = ("DuplicateItem", "DuplicateItemException")


class AuditWriteFailed(RetryableError):
    """An entry could not be written: the action's input fails and is retried, so that no
    action goes unrecorded."""


class AuditWriter(Protocol):
    """Where actions are recorded (the table, or nowhere in a test of something else)."""

    def append(self, entries: Sequence[AuditEntry]) -> None: ...


class NoAudit:
    """Records nothing: for a collaborator under test that the trail is not about."""

    def append(self, entries: Sequence[AuditEntry]) -> None:
        return None


class AuditTrail:
    """The audit table: entries added with INSERT, read by subject with Query."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name
        # The table name is the stack's own (never input); PartiQL quotes it with "".
        self._insert = (
            f'INSERT INTO "{table_name}" VALUE {{'
            "'pk': ?, 'sk': ?, 'entryId': ?, 'at': ?, 'actor': ?, 'action': ?, "
            "'input': ?, 'outcome': ?, 'detail': ?, 'expiresAt': ?}"
        )

    def append(self, entries: Sequence[AuditEntry]) -> None:
        """Add ``entries`` (25 per call). One already written (same subject and id) is left as
        it is; any other refusal raises AuditWriteFailed after the rest were tried."""
        failed: list[str] = []
        for start in range(0, len(entries), BATCH):
            chunk = entries[start : start + BATCH]
            answer = self._client.batch_execute_statement(
                Statements=[
                    {"Statement": self._insert, "Parameters": _parameters(entry)} for entry in chunk
                ]
            )
            for entry, response in zip(chunk, answer.get("Responses", []), strict=False):
                error = response.get("Error")
                if error and error.get("Code") not in _DUPLICATE:
                    failed.append(f"{entry.subject} {entry.entry_id}: {error.get('Code')}")
        if failed:
            raise AuditWriteFailed(
                f"{len(failed)} audit entr{'y' if len(failed) == 1 else 'ies'} not written: "
                + "; ".join(failed[:5])
            )

    def entries(self, subject: str) -> list[AuditEntry]:
        """Every entry kept for ``subject``, oldest first."""
        found: list[AuditEntry] = []
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :subject",
            ExpressionAttributeValues={":subject": {"S": subject}},
        ):
            found.extend(_entry(item) for item in page.get("Items", []))
        return found


def _parameters(entry: AuditEntry) -> list[dict[str, Any]]:
    return [
        {"S": entry.subject},
        {"S": entry.sort_key},
        {"S": entry.entry_id},
        {"S": iso_z(entry.at, "milliseconds")},
        {"S": entry.actor},
        {"S": entry.action},
        {"S": entry.input},
        {"S": entry.outcome},
        {"M": {key: {"S": value} for key, value in entry.detail.items()}},
        {"N": str(int(entry.expires_at.timestamp()))},
    ]


def _entry(item: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        subject=item["pk"]["S"],
        at=datetime.fromisoformat(item["at"]["S"].replace("Z", "+00:00")),
        entry_id=item["entryId"]["S"],
        actor=item["actor"]["S"],
        action=item["action"]["S"],
        input=item["input"]["S"],
        outcome=item["outcome"]["S"],
        detail={key: value["S"] for key, value in item.get("detail", {}).get("M", {}).items()},
        expires_at=datetime.fromtimestamp(int(item["expiresAt"]["N"]), tz=UTC),
    )
