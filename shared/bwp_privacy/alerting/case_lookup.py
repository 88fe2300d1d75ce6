"""The router's second stage: each failed task's alert is put on its case.

The unit of alerting is the case: a failure of a task the reaction started for a case goes to
that case's incident. The cases table's task links say which case a task belongs to, read once
for all the failed tasks of a batch; a task no case has linked is its own case (a case is named
after its first task). Notices already name their case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from aws_lambda_powertools import Logger

from bwp_privacy.alerting.alert import FAILED_TRANSITION as FAILED
from bwp_privacy.alerting.classify import Failure, Routed

logger = Logger(child=True)


class CaseLinks(Protocol):
    """Which case each task belongs to (`CasesTableLinks`); a task no case has linked is
    missing from the answer."""

    def cases_of(self, task_ids: Sequence[str]) -> dict[str, str]: ...


def on_their_cases(
    routed: Sequence[Routed], links: CaseLinks | None
) -> tuple[list[Routed], list[Failure]]:
    """The routed alerts with each failure on its case, and the records to retry.

    A batch whose cases cannot be read fails its failures (retried), never delivers them as
    cases of their own; its notices go on.
    """
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
