"""The case notice ``bwp-privacy.case-notice`` 1.0: what the reaction publishes on the failures
topic when a case needs a person (``escalated``) or, in announce mode, when the merchant's own
system must start a resubmission (``resubmission-due``). The alert router routes it like a
failure; it carries the case, never anything about the shopper."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CASE_NOTICE_SCHEMA = "bwp-privacy.case-notice"
CASE_NOTICE_SCHEMA_VERSION = "1.0"
#: The ``detailType`` attribute of a notice: subscription filter policies tell it from a
#: failure (whose detailType is the Buy with Prime event's).
CASE_NOTICE_DETAIL_TYPE = "BWP_PRIVACY_CASE_NOTICE"


class NoticeDeadline(BaseModel):
    """One jurisdiction's deadlines for the case."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    jurisdiction: str
    due_at: str = Field(alias="dueAt")
    extended_due_at: str = Field(alias="extendedDueAt")


class CaseNotice(BaseModel):
    """Message schema ``bwp-privacy.case-notice`` 1.0 (see README)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    schema_name: Literal["bwp-privacy.case-notice"] = Field(
        "bwp-privacy.case-notice", alias="schema"
    )
    schema_version: str = Field(CASE_NOTICE_SCHEMA_VERSION, alias="schemaVersion")
    #: Stable per notice: a retry publishes the same id, so receivers get it once.
    notice_id: str = Field(alias="noticeId")
    kind: Literal["escalated", "resubmission-due"]
    case_id: str = Field(alias="caseId")
    business_product_id: str = Field(alias="businessProductId")
    task_id: str = Field(alias="taskId")
    task_ids: list[str] = Field(alias="taskIds")
    attempts: int
    reason: str = Field(max_length=2000)
    advice: str = Field(max_length=2000)
    received_at: str = Field(alias="receivedAt")
    plan_deadline_at: str = Field(alias="planDeadlineAt")
    days_left: float = Field(alias="daysLeft")
    deadlines: list[NoticeDeadline]
    noticed_at: str = Field(alias="noticedAt")

    @property
    def code(self) -> str:
        """The notice as an error code for routes: CASE_ESCALATED or CASE_RESUBMISSION_DUE."""
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
