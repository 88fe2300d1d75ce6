"""The kinds of Buy with Prime privacy task (deletion, retrieval), one description each: their
events, resource key, GraphQL names and failure metric. Adding a kind starts with one entry here;
what else names the kinds (the literals of the contract, the case and the catalogue, the
catalogue's default actions, the law's clocks, the template's rules, the sandbox emulator) is
listed in docs/development.md, "What a change touches"."""

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
