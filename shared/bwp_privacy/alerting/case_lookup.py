"""The router's second stage: each failed task's alert is put on its case, and every alert
learns where its case stands.

The unit of alerting is the case: a failure of a task the reaction started for a case goes to
that case's incident. The cases table's task links say which case a task belongs to, read once
for all the failed tasks of a batch; a task no case has linked is its own case (a case is named
after its first task). Notices already name their case.

Then the cases' own items are read, once for the batch: their state, the deadlines that may
still be extended, whether a resubmission may start, and whether PagerDuty's incident was
resolved by hand (what Slack's buttons and every receiver's text need). That read is a
convenience: an alert whose case cannot be read goes out without it, never later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from aws_lambda_powertools import Logger

from bwp_privacy.alerting.alert import FAILED_TRANSITION as FAILED
from bwp_privacy.alerting.alert import CaseStanding
from bwp_privacy.alerting.classify import Failure, Routed
from bwp_privacy.common import utc_now

logger = Logger(child=True)


class CaseLinks(Protocol):
    """Which case each task belongs to (`CasesTableLinks`); a task no case has linked is
    missing from the answer. And where each case stands; a case not written yet is missing."""

    def cases_of(self, task_ids: Sequence[str]) -> dict[str, str]: ...

    def standings(self, case_ids: Sequence[str], now: datetime) -> dict[str, CaseStanding]: ...


def on_their_cases(
    routed: Sequence[Routed], links: CaseLinks | None, now: datetime | None = None
) -> tuple[list[Routed], list[Failure]]:
    """The routed alerts with each failure on its case and each alert with its case's
    standing (read at ``now``), and the records to retry.

    A batch whose task links cannot be read fails its failures (retried), never delivers them
    as cases of their own; its notices go on.
    """
    placed, unplaced = _placed(routed, links)
    if links is None or not placed:
        return placed, unplaced
    try:
        standings = links.standings(
            [r.alert.case_id for r in placed], now if now is not None else utc_now()
        )
    except Exception as error:
        logger.warning(
            "Could not read where the cases of a batch stand: their alerts go out without it",
            extra={"error": type(error).__name__},
        )
        return placed, unplaced
    return [
        replace(r, alert=r.alert.model_copy(update={"case": standings[r.alert.case_id]}))
        if r.alert.case_id in standings
        else r
        for r in placed
    ], unplaced


def _placed(
    routed: Sequence[Routed], links: CaseLinks | None
) -> tuple[list[Routed], list[Failure]]:
    failed = [r for r in routed if r.alert.transition.startswith(FAILED)]
    if not failed or links is None:
        return list(routed), []
    try:
        cases = links.cases_of([r.alert.task_id for r in failed])
    except Exception as error:
        logger.warning(
            "Could not read the cases of failed tasks", extra={"error": type(error).__name__}
        )
        return [r for r in routed if not r.alert.transition.startswith(FAILED)], [
            (r.record, error) for r in failed
        ]
    placed = [
        replace(
            r,
            alert=r.alert.model_copy(
                update={"case_id": cases.get(r.alert.task_id, r.alert.task_id)}
            ),
        )
        if r.alert.transition.startswith(FAILED)
        else r
        for r in routed
    ]
    return placed, []
