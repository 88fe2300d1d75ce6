"""Intake and recording: a PERSONAL_DATA_DELETION_TASK_FAILED or
PERSONAL_DATA_RETRIEVAL_TASK_FAILED event becomes a stored failure and one published failure
message (which says which kind of task failed).

Parse and check the event (`parse_event`, from `bwp_privacy.partner_events`, re-exported
here for the recorder's callers), look the task up (`FailureRecorder` through the
API client), store it once (`FailureStore`), publish it once (`FailurePublisher`). The
function's idempotency claims are told and freed with `IdempotencyHolds`.
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
from bwp_privacy.recorder.idempotency import (
    IDEMPOTENCY_KEY_PREFIX,
    IdempotencyHolds,
    idempotency_key,
)
from bwp_privacy.recorder.publisher import FailurePublisher
from bwp_privacy.recorder.recorder import (
    FailureRecorder,
    Publisher,
    RecordOutcome,
    Store,
    TaskLookup,
    describe_failure,
)
from bwp_privacy.recorder.settings import RecorderSettings
from bwp_privacy.recorder.store import FailureStore, StoreResult
from bwp_privacy.recorder.wiring import build_recorder

__all__ = [
    "IDEMPOTENCY_KEY_PREFIX",
    "PARTNER_SOURCE_PREFIX",
    "FailurePublisher",
    "FailureRecorder",
    "FailureStore",
    "IdempotencyHolds",
    "InvalidEventError",
    "ParsedResource",
    "PrivacyTaskEvent",
    "Publisher",
    "RecordOutcome",
    "RecorderSettings",
    "ResourceFormatError",
    "SpoofedEventError",
    "Store",
    "StoreResult",
    "TaskCompletedEvent",
    "TaskFailedEvent",
    "TaskLookup",
    "TaskRef",
    "build_recorder",
    "describe_failure",
    "idempotency_key",
    "parse_event",
    "parse_resource",
]
