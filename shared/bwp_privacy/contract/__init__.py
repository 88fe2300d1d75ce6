"""The published messages: the failure (``bwp-privacy.deletion-task-failure`` 1.2) and the case
notice (``bwp-privacy.case-notice`` 1.3), with their message attributes; and the inbound action
(``bwp-privacy.inbound-action`` 1.0) the inbound function queues for the reaction. It depends on
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
from bwp_privacy.contract.inbound import (
    INBOUND_ACTION_SCHEMA,
    SLACK_ACTION_IDS,
    SLACK_CLOSE,
    SLACK_CLOSE_MODAL,
    SLACK_EXTEND,
    SLACK_RESUBMIT,
    SLACK_SILENCE,
    InboundAction,
    PagerDutyAction,
    PagerDutyEventType,
    SlackAction,
    slack_button_parts,
    slack_button_value,
)

__all__ = [
    "CASE_NOTICE_DETAIL_TYPE",
    "CASE_NOTICE_SCHEMA",
    "CASE_NOTICE_SCHEMA_VERSION",
    "INBOUND_ACTION_SCHEMA",
    "NO_ERROR_CODE",
    "SCHEMA_VERSION",
    "SLACK_ACTION_IDS",
    "SLACK_CLOSE",
    "SLACK_CLOSE_MODAL",
    "SLACK_EXTEND",
    "SLACK_RESUBMIT",
    "SLACK_SILENCE",
    "UNRECOGNISED_CODE",
    "UNRECOGNISED_STATUS",
    "UNSPECIFIED_CODE",
    "CaseNotice",
    "EndState",
    "InboundAction",
    "LookupOutcome",
    "LookupStatus",
    "NoticeDeadline",
    "PagerDutyAction",
    "PagerDutyEventType",
    "SlackAction",
    "TaskError",
    "TaskFailure",
    "TaskKind",
    "message_attributes",
    "notice_attributes",
    "slack_button_parts",
    "slack_button_value",
]
