"""Case notices on the failures topic: the alert router routes them like failures (an
escalation is critical; an ended case resolves its incident), and the reaction's own
subscription filters them out."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bwp_privacy.cases import Case
from bwp_privacy.common import iso_z
from bwp_privacy.contract import CaseNotice, NoticeDeadline, notice_attributes
from bwp_privacy.reaction.decisions import days_left


def build_notice(
    case: Case,
    kind: str,
    reason: str,
    advice: str,
    now: datetime,
    *,
    silence_id: str | None = None,
) -> CaseNotice:
    """The notice for ``case`` as decided (its transition count makes the id stable: a retry
    of the same input decides the same transition and publishes the same notice id). An
    ``ended`` notice carries the state the case ended in; a ``silence-ended`` one the silence,
    whose id makes its notice id (one per case and silence, however often it is released)."""
    step = silence_id if silence_id is not None else len(case.transitions)
    return CaseNotice.model_validate(
        {
            "endState": case.state.value if kind == "ended" else None,
            "silenceId": silence_id,
            "taskKind": case.kind,
            "noticeId": f"{case.case_id}/{kind}/{step}",
            "kind": kind,
            "caseId": case.case_id,
            "businessProductId": case.business_product_id,
            "taskId": case.current_task.task_id,
            "taskIds": [task.task_id for task in case.tasks],
            "attempts": case.attempts,
            "reason": reason,
            "advice": advice,
            "receivedAt": iso_z(case.received_at),
            "planDeadlineAt": iso_z(case.plan_deadline_at),
            "legalDueAt": iso_z(case.legal_due_at),
            "daysLeft": round(days_left(case, now), 1),
            "deadlines": [
                NoticeDeadline(
                    jurisdiction=d.jurisdiction,
                    due_at=iso_z(d.due_at),
                    # A notice's extendedDueAt is a required date (its consumers read it so):
                    # where the law allows no extension, the latest the deadline can run is the
                    # deadline itself.
                    extended_due_at=iso_z(d.latest_due_at),
                    extended_at=iso_z(d.extended_at) if d.extended_at else None,
                )
                for d in case.deadlines
            ],
            "noticedAt": iso_z(now),
        }
    )


class NoticePublisher:
    """Publishes case notices on the failures topic."""

    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def publish(self, notice: CaseNotice) -> str:
        answer = self._client.publish(
            TopicArn=self._topic_arn,
            Message=json.dumps(notice.to_json_dict(), separators=(",", ":")),
            MessageAttributes=notice_attributes(notice),
        )
        return str(answer["MessageId"])
