"""The published messages: the failure (``bwp-privacy.deletion-task-failure`` 1.0) and the case
notice (``bwp-privacy.case-notice`` 1.0), with their message attributes. It depends on
nothing else of the project."""

from bwp_privacy.contract.attributes import message_attributes
from bwp_privacy.contract.case_notice import (
    CASE_NOTICE_DETAIL_TYPE,
    CASE_NOTICE_SCHEMA,
    CASE_NOTICE_SCHEMA_VERSION,
    CaseNotice,
    NoticeDeadline,
    notice_attributes,
)
from bwp_privacy.contract.failure import (
    NO_ERROR_CODE,
    SCHEMA_VERSION,
    UNSPECIFIED_CODE,
    DeletionFailure,
    LookupOutcome,
    LookupStatus,
    TaskError,
    TaskKind,
)

__all__ = [
    "CASE_NOTICE_DETAIL_TYPE",
    "CASE_NOTICE_SCHEMA",
    "CASE_NOTICE_SCHEMA_VERSION",
    "NO_ERROR_CODE",
    "SCHEMA_VERSION",
    "UNSPECIFIED_CODE",
    "CaseNotice",
    "DeletionFailure",
    "LookupOutcome",
    "LookupStatus",
    "NoticeDeadline",
    "TaskError",
    "TaskKind",
    "message_attributes",
    "notice_attributes",
]
