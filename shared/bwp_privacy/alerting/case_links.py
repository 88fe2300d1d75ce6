"""The cases table, read by the router (written by the reaction, `bwp_privacy.cases.keys`):
which case each failed task of a batch belongs to, so a resubmitted task's failure updates its
case's incident instead of opening one of its own; where each case of the batch stands, so a
receiver offers only the actions the reaction would carry out (Slack's buttons) and says what
on-call must not miss (a PagerDuty incident resolved by hand while the request is open); and
the cases a silence would mute, whose legal deadline says whether it may."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bwp_privacy.alerting.alert import CaseStanding
from bwp_privacy.cases import (
    CASE_ID_ATTRIBUTE,
    TASK_PREFIX,
    Case,
    CaseState,
    CauseKind,
    case_item_key,
    case_of_item,
    task_item_key,
)
from bwp_privacy.cases.case import extendable_jurisdictions
from bwp_privacy.cases.keys import CASE_PREFIX
from bwp_privacy.common import iso_z

#: Keys one BatchGetItem reads at most (DynamoDB's limit).
BATCH_GET_LIMIT = 100
MAX_BATCH_ATTEMPTS = 5
#: The states from which an operator's resubmission is offered: a case that waits or is
#: escalated. Not RESUBMISSION_DUE: in announce mode the merchant's own system was told to
#: start the task, and one started here as well would race it.
RESUBMITTABLE = frozenset({CaseState.WAITING, CaseState.ESCALATED})


class CasesTableLinks:
    """Reads the cases table for a batch: the failed tasks' items (the case id only) and the
    cases' items, one BatchGetItem per 100 keys, consistent reads."""

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

    def standings(self, case_ids: Sequence[str], now: datetime) -> dict[str, CaseStanding]:
        """Where each case stands at ``now``; a case the table does not hold (not written
        yet) or cannot be read as a case is missing."""
        found: dict[str, CaseStanding] = {}
        keys = [case_item_key(case_id) for case_id in dict.fromkeys(case_ids)]
        for item in self._read(keys, "pk, body"):
            standing = _standing(item, now)
            if standing is not None:
                found[item["pk"]["S"].removeprefix(CASE_PREFIX)] = standing
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
                    # The link is written before the task can fail, the case before its
                    # notice is published: read what was written.
                    "ConsistentRead": True,
                }
            }
            for attempt in range(MAX_BATCH_ATTEMPTS):
                answer = self._client.batch_get_item(RequestItems=request)
                items += answer.get("Responses", {}).get(self._table, [])
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
                self._sleep(0.05 * 2**attempt)
            if request:
                raise RuntimeError(f"cases table: {len(request[self._table]['Keys'])} keys unread")
        return items


def _standing(item: dict[str, Any], now: datetime) -> CaseStanding | None:
    body = item.get("body", {}).get("S")
    if not isinstance(body, str):
        return None
    try:
        case = Case.model_validate_json(body)
    except ValueError:
        return None
    # The case's own field (the reaction keeps it in the case's body with every write).
    by_hand = case.incident_resolved_by_hand_at
    return CaseStanding(
        state=case.state.value,
        ended=case.state.ended,
        due_at=iso_z(case.legal_due_at, "seconds"),
        extendable=extendable_jurisdictions(case, now),
        may_resubmit=case.state in RESUBMITTABLE,
        error_codes=next(
            (task.error_codes for task in reversed(case.tasks) if task.outcome == "FAILED"), ()
        ),
        incident_resolved_by_hand=iso_z(by_hand, "seconds") if by_hand else None,
        last_action=next(
            (
                f"{move.to_state.value} by {move.actor}, {iso_z(move.at, 'minutes')}"
                for move in reversed(case.transitions)
                if move.cause.kind is CauseKind.OPERATOR
            ),
            None,
        ),
    )
