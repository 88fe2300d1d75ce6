"""The GraphQL text of each kind's operations, built from its description
(``bwp_privacy.task_kinds``): the lookup that answers one task, and the mutation that
starts one. The task id and the start's input travel only as variables: event data never
becomes query text. No lookup selects the data subject (the shopper's email) or a retrieval's
``dataRetrievalLink`` (a pre-signed link to the shopper's data)."""

from __future__ import annotations

from bwp_privacy.task_kinds import task_kind


def lookup_query(kind: str) -> str:
    """The query that reads a task of ``kind``: its status, dates, errors and (for a kind
    that has one) its holding period."""
    described = task_kind(kind)
    holding = "    holdingPeriod\n" if described.holding_period else ""
    return (
        f"query {described.graphql_type}($taskId: String!) {{\n"
        f"  {described.query_field}(taskId: $taskId) {{\n"
        "    taskId\n"
        "    status\n"
        "    submissionDate\n"
        "    lastUpdatedDate\n"
        f"{holding}"
        "    errors { code message }\n"
        "  }\n"
        "}"
    )


def start_mutation(kind: str) -> str:
    """The mutation that starts a task of ``kind`` (its input: see ``start_input``)."""
    described = task_kind(kind)
    return (
        f"mutation {described.start_field[0].upper()}{described.start_field[1:]}"
        f"($input: {described.start_input_type}!) {{\n"
        f"  {described.start_field}(input: $input) {{ taskId }}\n"
        "}"
    )
