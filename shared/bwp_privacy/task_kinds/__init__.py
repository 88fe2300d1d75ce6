"""The kinds of Buy with Prime privacy task (deletion, retrieval), one description each: their
events, resource key, GraphQL names and failure metric, and `TaskKindName`, the literal the
case, its clock and the catalogue hold a kind by. Adding a kind starts with one entry here; what
else names the kinds (the contract's literal, the catalogue's actions, the law's clocks, the
template's rules, the sandbox emulator) is listed in docs/development.md, "What a change
touches"."""

from bwp_privacy.task_kinds.description import (
    DELETION,
    RETRIEVAL,
    TASK_KINDS,
    TaskKindDescription,
    TaskKindName,
    UnknownTaskKind,
    kind_of_detail_type,
    task_kind,
)

__all__ = [
    "DELETION",
    "RETRIEVAL",
    "TASK_KINDS",
    "TaskKindDescription",
    "TaskKindName",
    "UnknownTaskKind",
    "kind_of_detail_type",
    "task_kind",
]
