"""The Buy with Prime events on the partner bus: the EventBridge envelope of the privacy
events and the grammar of their ``resources``. Every function that takes an event from the
bus (the recorder: FAILED; the reaction: COMPLETED) reads it here, with the same checks."""

from bwp_privacy.partner_events.envelope import (
    PARTNER_SOURCE_PREFIX,
    DeletionTaskCompletedEvent,
    DeletionTaskEvent,
    DeletionTaskFailedEvent,
    InvalidEventError,
    SpoofedEventError,
    TaskRef,
    parse_event,
)
from bwp_privacy.partner_events.resources import (
    DELETION_TASK_KEY,
    ParsedResource,
    ResourceFormatError,
    parse_resource,
)

__all__ = [
    "DELETION_TASK_KEY",
    "PARTNER_SOURCE_PREFIX",
    "DeletionTaskCompletedEvent",
    "DeletionTaskEvent",
    "DeletionTaskFailedEvent",
    "InvalidEventError",
    "ParsedResource",
    "ResourceFormatError",
    "SpoofedEventError",
    "TaskRef",
    "parse_event",
    "parse_resource",
]
