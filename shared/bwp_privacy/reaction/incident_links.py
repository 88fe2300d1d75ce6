"""Which case each PagerDuty incident is, kept in the cases table.

The router opens one incident per case with the case's id as its ``dedup_key``, and PagerDuty
sends it back as the incident's ``incident_key`` in every webhook event about the incident
itself (triggered, acknowledged, resolved, reassigned). A note (``incident.annotated``) names
its incident by id alone. So every event that carries the key links the incident's id to its
case (``INCIDENT#pagerduty#<incident id>`` → ``caseId``), and a note finds its case there.
An incident the stack never heard of stays unlinked: its notes are a foreign incident's.

The items carry no ``state`` (the ``ByState`` index of cases): no reader of cases sees one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from bwp_privacy.common import utc_now

INCIDENT_PREFIX = "INCIDENT#pagerduty#"
#: How long a link is kept after its last event: longer than any case stays open (a deadline
#: of 45 days, an extension of 45, an appeal), as the delivery ledger keeps its incidents.
KEEP = timedelta(days=400)


class IncidentLinks(Protocol):
    """Where incidents are linked to their cases (the cases table; a dict in tests)."""

    def link(self, incident_id: str, case_id: str) -> None: ...

    def case_of(self, incident_id: str) -> str | None: ...


class CasesTableIncidentLinks:
    """The links in the cases table (PutItem and GetItem, both granted to the reaction)."""

    def __init__(
        self, client: Any, table_name: str, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._client = client
        self._table = table_name
        self._clock = clock

    def link(self, incident_id: str, case_id: str) -> None:
        """Link the incident to its case (again: the same link, kept longer)."""
        expires = self._clock() + KEEP
        self._client.put_item(
            TableName=self._table,
            Item={
                "pk": {"S": INCIDENT_PREFIX + incident_id},
                "caseId": {"S": case_id},
                "expiresAt": {"N": str(int(expires.timestamp()))},
            },
        )

    def case_of(self, incident_id: str) -> str | None:
        """The case the incident was linked to; None for an incident never linked."""
        item = self._client.get_item(
            TableName=self._table,
            Key={"pk": {"S": INCIDENT_PREFIX + incident_id}},
            ConsistentRead=True,
        ).get("Item", {})
        case_id = item.get("caseId", {}).get("S")
        return case_id if isinstance(case_id, str) and case_id else None
