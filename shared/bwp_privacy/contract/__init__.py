"""The published failure message (schema ``bwp-privacy.deletion-task-failure`` 1.0) and its
message attributes. It depends on nothing else of the project."""

from bwp_privacy.contract.attributes import message_attributes
from bwp_privacy.contract.failure import (
    NO_ERROR_CODE,
    SCHEMA_VERSION,
    UNSPECIFIED_CODE,
    DeletionFailure,
    LookupOutcome,
    LookupStatus,
    TaskError,
)

__all__ = [
    "NO_ERROR_CODE",
    "SCHEMA_VERSION",
    "UNSPECIFIED_CODE",
    "DeletionFailure",
    "LookupOutcome",
    "LookupStatus",
    "TaskError",
    "message_attributes",
]
