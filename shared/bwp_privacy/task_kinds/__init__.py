"""The kinds of Buy with Prime privacy task (deletion, retrieval), one description each: their
events, resource key, GraphQL names and failure metric. Adding a kind is one entry here, the
contract's ``TaskKind`` literal, its actions in the error-code catalogue, and the sandbox
emulator's behaviour."""

from bwp_privacy.task_kinds.description import (
    DELETION,
    RETRIEVAL,
    TASK_KINDS,
    TaskKindDescription,
    UnknownTaskKind,
    kind_of_detail_type,
    task_kind,
)

__all__ = [
    "DELETION",
    "RETRIEVAL",
    "TASK_KINDS",
    "TaskKindDescription",
    "UnknownTaskKind",
    "kind_of_detail_type",
    "task_kind",
]
