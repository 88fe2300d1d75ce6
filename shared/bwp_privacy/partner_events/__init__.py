"""The Buy with Prime events on the partner bus: the EventBridge envelope of the privacy-task
events (deletion and retrieval) and the grammar of their ``resources``. Every function that
takes an event from the bus (the recorder: FAILED; the reaction: COMPLETED) reads it here, with
the same checks."""

from bwp_privacy.partner_events.envelope import (
    COMPLETED_DETAIL_TYPES,
    FAILED_DETAIL_TYPES,
    PARTNER_SOURCE_PREFIX,
    InvalidEventError,
    PrivacyTaskEvent,
    SpoofedEventError,
    TaskCompletedEvent,
    TaskFailedEvent,
    TaskOutcome,
    TaskRef,
    detail_type,
    parse_event,
    task_kind_of,
)
from bwp_privacy.partner_events.resources import (
    DELETION_TASK_KEY,
    ID_PATTERN,
    RETRIEVAL_TASK_KEY,
    TASK_KEYS,
    ParsedResource,
    ResourceFormatError,
    parse_resource,
    task_resource,
)

__all__ = [
    "COMPLETED_DETAIL_TYPES",
    "DELETION_TASK_KEY",
    "FAILED_DETAIL_TYPES",
    "ID_PATTERN",
    "PARTNER_SOURCE_PREFIX",
    "RETRIEVAL_TASK_KEY",
    "TASK_KEYS",
    "InvalidEventError",
    "ParsedResource",
    "PrivacyTaskEvent",
    "ResourceFormatError",
    "SpoofedEventError",
    "TaskCompletedEvent",
    "TaskFailedEvent",
    "TaskOutcome",
    "TaskRef",
    "detail_type",
    "parse_event",
    "parse_resource",
    "task_kind_of",
    "task_resource",
]
