"""Intake and recording: a PERSONAL_DATA_DELETION_TASK_FAILED or
PERSONAL_DATA_RETRIEVAL_TASK_FAILED event becomes a stored failure and one published failure
message (which says which kind of task failed).

Parse and check the event (`parse_event`, from `bwp_privacy.partner_events`, re-exported
here for the recorder's callers), claim the event (`FailureStore.claim`: the failures item is
also the event's lock), look the task up (`FailureRecorder` through the API client), publish
it once (`FailurePublisher`) and store it with the mark that it was published
(`FailureStore.mark`). A run that fails or is cut short frees its claim
(`FailureStore.release`); an event another run holds raises `EventHeldError`.
"""

from bwp_privacy.partner_events import (
    PARTNER_SOURCE_PREFIX,
    InvalidEventError,
    ParsedResource,
    PrivacyTaskEvent,
    ResourceFormatError,
    SpoofedEventError,
    TaskCompletedEvent,
    TaskFailedEvent,
    TaskRef,
    parse_event,
    parse_resource,
)
from bwp_privacy.recorder.publisher import FailurePublisher
from bwp_privacy.recorder.recorder import (
    DEFAULT_LEASE_SECONDS,
    EventHeldError,
    FailureRecorder,
    Publisher,
    RecordOutcome,
    Store,
    TaskLookup,
    describe_failure,
)
from bwp_privacy.recorder.settings import RecorderSettings
from bwp_privacy.recorder.store import Claim, FailureStore
from bwp_privacy.recorder.wiring import build_recorder

__all__ = [
    "DEFAULT_LEASE_SECONDS",
    "PARTNER_SOURCE_PREFIX",
    "Claim",
    "EventHeldError",
    "FailurePublisher",
    "FailureRecorder",
    "FailureStore",
    "InvalidEventError",
    "ParsedResource",
    "PrivacyTaskEvent",
    "Publisher",
    "RecordOutcome",
    "RecorderSettings",
    "ResourceFormatError",
    "SpoofedEventError",
    "Store",
    "TaskCompletedEvent",
    "TaskFailedEvent",
    "TaskLookup",
    "TaskRef",
    "build_recorder",
    "describe_failure",
    "parse_event",
    "parse_resource",
]
