"""One description per kind of Buy with Prime privacy task: what Buy with Prime calls it (its
events, its resource key, its GraphQL type and fields, the input its start takes), what we
call it (its failure metric, the request the law sees in it). Every layer that has to tell
the kinds apart reads the kind's entry here instead of branching on its name; adding a kind
starts with one entry in `TASK_KINDS`, and docs/development.md ("What a change touches") lists
what else names the kinds: the contract's literal (which the published messages carry), the
kind's actions in the catalogue, the law's rules for it, the template's rules and the sandbox
emulator's behaviour.

It is a package of its own under the partner events and the API client, which both read it
(as do the features and the CLI) and may not read each other. It holds names only: the GraphQL
text is built from them in ``bwp_api``; the legal rules that differ by kind (clocks, end
states) stay with the case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from bwp_privacy.common.errors import BwpPrivacyError

#: The kinds' names, for the types that hold one (a case's kind, a clock's, a catalogue
#: entry's): the one literal inside the project. The contract spells its own ``TaskKind``, as
#: it depends on nothing; a test keeps the two, and this literal and `TASK_KINDS`, the same.
TaskKindName = Literal["deletion", "retrieval"]


@dataclass(frozen=True, slots=True)
class TaskKindDescription:
    """Everything that differs between two kinds of privacy task but the law's rules."""

    #: The ``taskKind`` published messages carry (the contract's ``TaskKind``).
    name: TaskKindName
    #: The request a case of this kind carries, as a person reads it ("an access request").
    request: str
    #: The request type the CCPA's yearly figures (§ 7102) count a case of this kind under.
    request_type: str
    #: The EventBridge detail type Buy with Prime sends when a task of this kind fails.
    failed_detail_type: str
    #: ... and when one completes.
    completed_detail_type: str
    #: The key that names a task of this kind in an event's ``resources``
    #: (``businessProduct/{id}/{resource_key}/{taskId}``).
    resource_key: str
    #: The GraphQL query field that answers one task of this kind (its lookup).
    query_field: str
    #: The GraphQL type of that answer (it names the lookup's operation).
    graphql_type: str
    #: The mutation field that starts a task of this kind, and the input type it takes.
    start_field: str
    start_input_type: str
    #: Whether a task of this kind has a holding period: its lookup selects it, its start
    #: sends it.
    holding_period: bool
    #: The metric that counts failed tasks of this kind, by error code.
    failure_metric: str


DELETION = TaskKindDescription(
    name="deletion",
    request="a deletion request",
    request_type="requests to delete",
    failed_detail_type="PERSONAL_DATA_DELETION_TASK_FAILED",
    completed_detail_type="PERSONAL_DATA_DELETION_TASK_COMPLETED",
    resource_key="personalDataDeletionTask",
    query_field="personalDataDeletionTask",
    graphql_type="PersonalDataDeletionTask",
    start_field="startPersonalDataDeletionTask",
    start_input_type="StartPersonalDataDeletionTaskInput",
    holding_period=True,
    failure_metric="DeletionFailures",
)

RETRIEVAL = TaskKindDescription(
    name="retrieval",
    request="an access request",
    request_type="requests to know",
    failed_detail_type="PERSONAL_DATA_RETRIEVAL_TASK_FAILED",
    completed_detail_type="PERSONAL_DATA_RETRIEVAL_TASK_COMPLETED",
    # ASSUMPTION (not shown in Buy with Prime's documentation, whose retrieval event pages
    # show no example resource): retrieval events name their task as
    # ``personalDataRetrievalTask/{id}``, as deletion events name theirs. This is the one
    # place that assumption is written (docs/api-assumptions.md).
    resource_key="personalDataRetrievalTask",
    query_field="personalDataRetrievalTask",
    graphql_type="PersonalDataRetrievalTask",
    start_field="startPersonalDataRetrievalTask",
    start_input_type="StartPersonalDataRetrievalTaskInput",
    holding_period=False,
    failure_metric="RetrievalFailures",
)

#: Every kind, by name, in the order they are listed to people.
TASK_KINDS: Mapping[str, TaskKindDescription] = MappingProxyType(
    {kind.name: kind for kind in (DELETION, RETRIEVAL)}
)


class UnknownTaskKind(BwpPrivacyError, KeyError):
    """A name that is no kind of privacy task (a caller's bug: kinds arrive validated)."""


def task_kind(name: str) -> TaskKindDescription:
    """The description of the kind ``name``."""
    try:
        return TASK_KINDS[name]
    except KeyError:
        raise UnknownTaskKind(f"no kind of privacy task is named {name!r}") from None


def kind_of_detail_type(detail_type: str) -> TaskKindDescription | None:
    """The kind a privacy-task event's detail type is about (None: no privacy-task event)."""
    return _BY_DETAIL_TYPE.get(detail_type)


_BY_DETAIL_TYPE: Mapping[str, TaskKindDescription] = MappingProxyType(
    {
        detail_type: kind
        for kind in TASK_KINDS.values()
        for detail_type in (kind.failed_detail_type, kind.completed_detail_type)
    }
)
