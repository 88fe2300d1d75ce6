"""The description of each kind of privacy task: one entry per kind of the contract's
``TaskKind``, whose names every layer reads (the events, the resources, the lookups, the
starts), held to what Buy with Prime (as the sandbox's schema has it), the error-code
catalogue (an action per kind) and the published contract say."""

from __future__ import annotations

from typing import cast, get_args

import pytest
from graphql import parse, validate

from bwp_privacy.bwp_api import lookup_query, start_mutation, task_model
from bwp_privacy.catalogue import shipped_catalogue
from bwp_privacy.catalogue.actions import Kind as CatalogueKind
from bwp_privacy.contract import TaskKind
from bwp_privacy.partner_events import (
    COMPLETED_DETAIL_TYPES,
    FAILED_DETAIL_TYPES,
    TASK_KEYS,
    detail_type,
    task_kind_of,
)
from bwp_privacy.reaction.resubmit import email_query
from bwp_privacy.task_kinds import (
    TASK_KINDS,
    TaskKindName,
    UnknownTaskKind,
    kind_of_detail_type,
    task_kind,
)
from bwp_sandbox.emulator.graphql_api import load_schema

KINDS = list(TASK_KINDS)


def test_there_is_one_description_per_kind_the_contract_publishes() -> None:
    assert list(get_args(TaskKind)) == KINDS
    assert list(get_args(TaskKindName)) == KINDS  # the project's own literal: the same names
    assert all(task_kind(name).name == name for name in KINDS)


def test_a_name_that_is_no_kind_is_refused_by_name() -> None:
    with pytest.raises(UnknownTaskKind, match="'erasure'"):
        task_kind("erasure")


def test_each_detail_type_names_one_kind_and_one_outcome() -> None:
    failed = [task_kind(name).failed_detail_type for name in KINDS]
    completed = [task_kind(name).completed_detail_type for name in KINDS]
    assert len(set(failed + completed)) == 2 * len(KINDS)
    assert (tuple(failed), tuple(completed)) == (FAILED_DETAIL_TYPES, COMPLETED_DETAIL_TYPES)
    for name in KINDS:
        described = task_kind(name)
        for outcome, event in (
            ("FAILED", described.failed_detail_type),
            ("COMPLETED", described.completed_detail_type),
        ):
            assert kind_of_detail_type(event) is described
            assert task_kind_of(event) == name
            assert detail_type(name, outcome) == event  # type: ignore[arg-type]
    assert kind_of_detail_type("ORDER_CREATED") is None


def test_each_kind_names_its_tasks_by_a_resource_key_of_its_own() -> None:
    assert {name: task_kind(name).resource_key for name in KINDS} == TASK_KEYS
    assert len(set(TASK_KEYS.values())) == len(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_each_kinds_operations_are_valid_against_the_api_schema(kind: str) -> None:
    schema = load_schema()
    for operation in (lookup_query(kind), start_mutation(kind), email_query(kind)):
        assert validate(schema, parse(operation)) == [], operation


@pytest.mark.parametrize("kind", KINDS)
def test_a_lookup_selects_the_holding_period_only_of_a_kind_that_has_one(kind: str) -> None:
    described = task_kind(kind)
    query = lookup_query(kind)
    assert ("holdingPeriod" in query) is described.holding_period
    assert ("holding_period" in task_model(kind).model_fields) is described.holding_period
    assert f"{described.query_field}(taskId: $taskId)" in query
    for never in ("dataSubject", "email", "dataRetrievalLink"):
        assert never not in query
    assert f"{described.start_field}(input: $input)" in start_mutation(kind)


def test_the_catalogue_holds_an_action_for_each_kind_and_no_other() -> None:
    catalogue = shipped_catalogue()
    assert list(get_args(CatalogueKind)) == KINDS
    for name in KINDS:
        kind = cast(CatalogueKind, name)
        assert catalogue.default_action(kind).action
        assert catalogue.lookup_failed_action(kind).action == "escalate"
