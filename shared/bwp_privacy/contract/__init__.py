"""The published messages: the failure (``bwp-privacy.deletion-task-failure`` 1.2) and the case
notice (``bwp-privacy.case-notice`` 1.2), with their message attributes. It depends on
nothing else of the project."""

from bwp_privacy.contract.attributes import message_attributes
from bwp_privacy.contract.case_notice import (
    CASE_NOTICE_DETAIL_TYPE,
    CASE_NOTICE_SCHEMA,
    CASE_NOTICE_SCHEMA_VERSION,
    CaseNotice,
    EndState,
    NoticeDeadline,
    notice_attributes,
)
from bwp_privacy.contract.failure import (
    NO_ERROR_CODE,
    SCHEMA_VERSION,
    UNRECOGNISED_CODE,
    UNRECOGNISED_STATUS,
    UNSPECIFIED_CODE,
    LookupOutcome,
    LookupStatus,
    TaskError,
    TaskFailure,
    TaskKind,
)

__all__ = [
    "CASE_NOTICE_DETAIL_TYPE",
    "CASE_NOTICE_SCHEMA",
    "CASE_NOTICE_SCHEMA_VERSION",
    "NO_ERROR_CODE",
    "SCHEMA_VERSION",
    "UNRECOGNISED_CODE",
    "UNRECOGNISED_STATUS",
    "UNSPECIFIED_CODE",
    "CaseNotice",
    "EndState",
    "LookupOutcome",
    "LookupStatus",
    "NoticeDeadline",
    "TaskError",
    "TaskFailure",
    "TaskKind",
    "message_attributes",
    "notice_attributes",
]
