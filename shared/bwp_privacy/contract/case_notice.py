"""The case notice ``bwp-privacy.case-notice`` 1.3: what the reaction publishes on the failures
topic when a case needs a person (``escalated``), when, in announce mode, the merchant's own
system must start a resubmission (``resubmission-due``), and when a case ends (``ended``, added
in 1.1: the alert router resolves the case's incident in every receiver it reached). 1.2 adds
the legal deadline in force (``legalDueAt``) and when each deadline was extended
(``extendedAt``), so an alert names the deadline the law holds the merchant to. 1.3 adds
``silence-ended``: a silence that may have muted the case's alerts ended while the case is
still open (``silenceId`` names it); the alert router tells only the receivers where it muted
one. It carries the case, never anything about the shopper.

Consumers must ignore a ``kind`` they do not know: new kinds are added within 1.x."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bwp_privacy.contract.failure import TaskKind

CASE_NOTICE_SCHEMA = "bwp-privacy.case-notice"
CASE_NOTICE_SCHEMA_VERSION = "1.3"
#: The ``detailType`` attribute of a notice: subscription filter policies tell it from a
#: failure (whose detailType is the Buy with Prime event's).
CASE_NOTICE_DETAIL_TYPE = "BWP_PRIVACY_CASE_NOTICE"


#: How an ended case ended (the reaction's end states).
EndState = Literal["COMPLETED", "NOTHING_TO_DELETE", "NOTHING_TO_RETRIEVE", "CLOSED"]


class NoticeDeadline(BaseModel):
    """One jurisdiction's deadlines for the case."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    jurisdiction: str
    due_at: str = Field(alias="dueAt")
    extended_due_at: str = Field(alias="extendedDueAt")
    #: When the merchant took this deadline's extension (1.2); absent: not extended.
    extended_at: str | None = Field(None, alias="extendedAt")


class CaseNotice(BaseModel):
    """Message schema ``bwp-privacy.case-notice`` 1.3 (docs/message-schemas.md)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    schema_name: Literal["bwp-privacy.case-notice"] = Field(
        "bwp-privacy.case-notice", alias="schema"
    )
    schema_version: str = Field(CASE_NOTICE_SCHEMA_VERSION, alias="schemaVersion")
    #: Stable per notice: a retry publishes the same id, so receivers get it once.
    notice_id: str = Field(alias="noticeId")
    kind: Literal["escalated", "resubmission-due", "ended", "silence-ended"]
    case_id: str = Field(alias="caseId")
    #: Which privacy request the case is (1.1; a 1.0 notice is a deletion's).
    task_kind: TaskKind = Field("deletion", alias="taskKind")
    #: Set on an ``ended`` notice: how the case ended (1.1).
    end_state: EndState | None = Field(None, alias="endState")
    #: Set on a ``silence-ended`` notice: the silence that ended (1.3).
    silence_id: str | None = Field(None, alias="silenceId", max_length=64)
    business_product_id: str = Field(alias="businessProductId")
    task_id: str = Field(alias="taskId")
    task_ids: list[str] = Field(alias="taskIds")
    attempts: int
    reason: str = Field(max_length=2000)
    advice: str = Field(max_length=2000)
    received_at: str = Field(alias="receivedAt")
    plan_deadline_at: str = Field(alias="planDeadlineAt")
    days_left: float = Field(alias="daysLeft")
    #: The legal deadline in force: the earliest, the extended one once extended (1.2; a
    #: 1.1 notice has none: its deadlines say when each was due).
    legal_due_at: str | None = Field(None, alias="legalDueAt")
    deadlines: list[NoticeDeadline]
    noticed_at: str = Field(alias="noticedAt")

    @property
    def code(self) -> str:
        """The notice as an error code for routes: CASE_ESCALATED, CASE_RESUBMISSION_DUE,
        CASE_ENDED or CASE_SILENCE_ENDED."""
        return "CASE_" + self.kind.upper().replace("-", "_")

    def to_json_dict(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True)


def notice_attributes(notice: CaseNotice) -> dict[str, dict[str, str]]:
    """The SNS message attributes of a notice (the failure's keys, so one filter policy
    language serves both)."""
    return {
        "errorCode": {"DataType": "String.Array", "StringValue": json.dumps([notice.code])},
        "businessProductId": {"DataType": "String", "StringValue": notice.business_product_id},
        "detailType": {"DataType": "String", "StringValue": CASE_NOTICE_DETAIL_TYPE},
        "schemaVersion": {"DataType": "String", "StringValue": notice.schema_version},
    }
