"""The retrieval side as pure logic: its events, its lookup, its playbook and its cases, and
the one place that reads a shopper's email (with a fake API)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bwp_privacy.bwp_api import RetrievalTask
from bwp_privacy.bwp_api.client import RETRIEVAL_TASK_QUERY
from bwp_privacy.cases import Case, CaseState, Cause, CauseKind, client_token, deadlines
from bwp_privacy.catalogue import CatalogueError, load_catalogue, shipped_catalogue_path
from bwp_privacy.contract import TaskKind
from bwp_privacy.partner_events import (
    COMPLETED_DETAIL_TYPES,
    FAILED_DETAIL_TYPES,
    RETRIEVAL_TASK_KEY,
    InvalidEventError,
    TaskCompletedEvent,
    detail_type,
    parse_event,
    task_kind_of,
    task_resource,
)
from bwp_privacy.reaction import (
    Ended,
    Escalation,
    Resubmitter,
    ScheduleAttempt,
    StartTask,
    TaskCompleted,
    TaskFailed,
    load_playbooks,
    on_attempt_due,
    on_completed,
    on_task_started,
    open_case,
)
from tests.conftest import load_event

SHIPPED = Path(__file__).resolve().parents[2] / "functions" / "reaction" / "playbooks.json"
BP = "bp-30b55436-0c3e-4a5c-9e2f-5d1b8f4c7a11"
SUBMITTED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FAILED_AT = SUBMITTED + timedelta(days=3)


def event(kind: TaskKind, outcome: str = "FAILED", task: str = "r-1") -> dict[str, Any]:
    raw = load_event()
    raw["detail-type"] = f"PERSONAL_DATA_{kind.upper()}_TASK_{outcome}"
    raw["resources"] = [task_resource(BP, kind, task)]
    return raw


def shipped_catalogue_raw() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(shipped_catalogue_path().read_text())
    return raw


def with_export_failed(**resubmit: Any) -> dict[str, Any]:
    """The shipped catalogue with an EXPORT_FAILED entry whose retrieval action is the
    ORDERS_NOT_CLOSED deletion's resubmission, changed by ``resubmit``."""
    raw = shipped_catalogue_raw()
    orders = raw["codes"]["ORDERS_NOT_CLOSED"]["actions"]["deletion"]
    raw["codes"]["EXPORT_FAILED"] = {
        "severity": "critical",
        "runbook": "Export again.",
        "actions": {"retrieval": dict(orders, **resubmit)},
    }
    return raw


def failure(*codes: str, lookup_ok: bool = True, task: str = "r-1") -> TaskFailed:
    return TaskFailed(
        task_id=task,
        business_product_id=BP,
        codes=codes,
        lookup_ok=lookup_ok,
        submitted_at=SUBMITTED,
        event_id="e-1",
        event_time=FAILED_AT,
        kind="retrieval",
    )


# ---- events -----------------------------------------------------------------------------


def test_the_four_detail_types_and_their_kinds() -> None:
    assert FAILED_DETAIL_TYPES == (
        "PERSONAL_DATA_DELETION_TASK_FAILED",
        "PERSONAL_DATA_RETRIEVAL_TASK_FAILED",
    )
    assert COMPLETED_DETAIL_TYPES == (
        "PERSONAL_DATA_DELETION_TASK_COMPLETED",
        "PERSONAL_DATA_RETRIEVAL_TASK_COMPLETED",
    )
    for name in FAILED_DETAIL_TYPES + COMPLETED_DETAIL_TYPES:
        kind = task_kind_of(name)
        assert kind is not None
        assert detail_type(kind, "FAILED" if name.endswith("FAILED") else "COMPLETED") == name
    assert task_kind_of("ORDER_CREATED") is None


def test_the_retrieval_resource_key_is_the_one_assumed_in_one_place() -> None:
    assert RETRIEVAL_TASK_KEY == "personalDataRetrievalTask"
    assert task_resource(BP, "retrieval", "r-1") == (
        f"businessProduct/{BP}/personalDataRetrievalTask/r-1"
    )


@pytest.mark.parametrize("kind", ["deletion", "retrieval"])
def test_a_failed_event_of_either_kind_parses_to_its_task_and_kind(kind: TaskKind) -> None:
    ref = parse_event(event(kind))
    assert (ref.task_kind, ref.task_id, ref.business_product_id) == (kind, "r-1", BP)
    assert ref.event.task_kind == kind


def test_a_completed_retrieval_is_taken_by_the_completed_model_only() -> None:
    ref = parse_event(event("retrieval", "COMPLETED"), model=TaskCompletedEvent)
    assert (ref.task_kind, ref.task_id) == ("retrieval", "r-1")
    with pytest.raises(InvalidEventError, match="PERSONAL_DATA_RETRIEVAL_TASK_FAILED"):
        parse_event(event("retrieval", "COMPLETED"))


def test_an_event_must_name_a_task_of_its_own_kind() -> None:
    crossed = event("retrieval")
    crossed["resources"] = [task_resource(BP, "deletion", "d-1")]
    with pytest.raises(
        InvalidEventError, match=re.escape("one 'personalDataRetrievalTask/{taskId}'")
    ):
        parse_event(crossed)
    crossed = event("deletion")
    crossed["resources"] = [task_resource(BP, "retrieval", "r-1")]
    with pytest.raises(
        InvalidEventError, match=re.escape("one 'personalDataDeletionTask/{taskId}'")
    ):
        parse_event(crossed)


# ---- the lookup -------------------------------------------------------------------------


def test_the_retrieval_lookup_selects_neither_the_subject_nor_the_link() -> None:
    assert "personalDataRetrievalTask(taskId: $taskId)" in RETRIEVAL_TASK_QUERY
    for never in ("dataSubject", "email", "dataRetrievalLink"):
        assert never not in RETRIEVAL_TASK_QUERY
    # Were an answer to carry the link anyway, the model would not keep it.
    task = RetrievalTask.model_validate(
        {"taskId": "r-1", "status": "COMPLETED", "dataRetrievalLink": "https://x.invalid/s"}
    )
    assert "x.invalid" not in task.model_dump_json()


# ---- playbooks --------------------------------------------------------------------------


def test_the_shipped_retrieval_playbook_closes_on_nothing_found_and_escalates_the_rest() -> None:
    retrieval = load_playbooks(SHIPPED.read_text(), "playbooks.json").for_kind("retrieval")
    assert list(retrieval.playbooks) == ["DATA_SUBJECT_NOT_FOUND"]
    assert retrieval.get("DATA_SUBJECT_NOT_FOUND").action == "close"
    assert retrieval.default.action == "escalate"
    assert retrieval.lookup_failed.action == "escalate"


def test_a_code_without_a_retrieval_action_takes_the_default_entrys() -> None:
    loaded = load_playbooks(SHIPPED.read_text(), "playbooks.json")
    assert loaded.choose(["ORDERS_NOT_CLOSED"], lookup_ok=True)[1].action == "resubmit"
    chosen = loaded.choose(["ORDERS_NOT_CLOSED"], lookup_ok=True, kind="retrieval")
    assert chosen[1].action == "escalate"


def test_a_retrieval_playbook_cannot_hold_a_task() -> None:
    raw = with_export_failed(holding_period_days=3)
    with pytest.raises(
        CatalogueError, match=r"codes\.EXPORT_FAILED\.actions\.retrieval\.holding_period_days"
    ):
        load_catalogue(json.dumps(raw), "codes.json")


# ---- retrieval cases --------------------------------------------------------------------


def test_nothing_to_retrieve_closes_a_retrieval_case() -> None:
    rules = load_playbooks(SHIPPED.read_text(), "playbooks.json")
    closed = open_case(failure("DATA_SUBJECT_NOT_FOUND"), rules, FAILED_AT, "reaction")
    assert closed.case.kind == "retrieval"
    assert closed.case.state is CaseState.NOTHING_TO_RETRIEVE
    assert closed.case.state.ended
    assert closed.case.reason is not None
    assert closed.case.reason.endswith("nothing to retrieve.")
    assert closed.effects == (Ended(CaseState.NOTHING_TO_RETRIEVE),)


@pytest.mark.parametrize(
    ("codes", "lookup_ok", "code"),
    [
        (("ORDERS_NOT_CLOSED",), True, "ORDERS_NOT_CLOSED"),
        (("UNSPECIFIED",), True, "UNSPECIFIED"),
        (("NONE",), False, "LOOKUP_FAILED"),
    ],
)
def test_other_codes_escalate_a_retrieval_case(
    codes: tuple[str, ...], lookup_ok: bool, code: str
) -> None:
    rules = load_playbooks(SHIPPED.read_text(), "playbooks.json")
    escalated = open_case(failure(*codes, lookup_ok=lookup_ok), rules, FAILED_AT, "reaction")
    assert escalated.case.state is CaseState.ESCALATED
    assert escalated.case.reason == f"task r-1 failed with {code}"
    (effect,) = escalated.effects
    assert isinstance(effect, Escalation)
    assert "retrieval" in effect.advice


def test_a_retrieval_case_has_the_deletion_clock() -> None:
    rules = load_playbooks(SHIPPED.read_text(), "playbooks.json")
    case = open_case(failure("SOMETHING"), rules, FAILED_AT, "reaction").case
    assert case.received_at == SUBMITTED
    assert list(case.deadlines) == deadlines(SUBMITTED, rules.applying(BP), "retrieval")
    assert case.plan_deadline_at == SUBMITTED + timedelta(days=90)  # CCPA 45 + 45


def test_a_retrieval_playbook_that_resubmits_starts_retrievals_until_one_completes() -> None:
    raw = with_export_failed(first_attempt_after="1d", holding_period_days=0)
    codes = load_catalogue(json.dumps(raw), "codes.json")
    rules = load_playbooks(SHIPPED.read_text(), "playbooks.json", codes)
    opened = open_case(failure("EXPORT_FAILED"), rules, FAILED_AT, "reaction")
    first = FAILED_AT + timedelta(days=1)
    assert opened.case.state is CaseState.WAITING
    [scheduled] = opened.effects
    assert isinstance(scheduled, ScheduleAttempt)
    assert (scheduled.attempt, scheduled.at, scheduled.name) == (1, first, "r-1-a1")
    assert scheduled.latest is not None
    assert scheduled.latest > first
    due = on_attempt_due(opened.case, 1, rules, first, "reaction")
    assert due is not None
    assert due.effects == (StartTask(1, client_token("r-1", 1), 0, "r-1"),)
    cause = Cause(kind=CauseKind.SCHEDULE, ref="r-1-a1")
    linked = on_task_started(opened.case, 1, "r-2", cause, first, "reaction")
    assert linked is not None
    assert linked.case.transitions[-1].reason == "attempt 1 started retrieval task r-2"
    done = on_completed(linked.case, TaskCompleted("r-2", "e-2"), first, "reaction")
    assert done is not None
    assert done.case.state is CaseState.COMPLETED
    assert done.case.reason == "retrieval task r-2 completed"


def test_a_case_stored_before_retrieval_cases_is_a_deletion() -> None:
    rules = load_playbooks(SHIPPED.read_text(), "playbooks.json")
    stored = json.loads(
        open_case(failure("X"), rules, FAILED_AT, "reaction").case.model_dump_json()
    )
    del stored["kind"]
    assert Case.model_validate(stored).kind == "deletion"


# ---- the one email read -----------------------------------------------------------------


class FakeApi:
    """Answers the email query and the start mutation; keeps what was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def execute(
        self,
        query: str,
        variables: dict[str, Any],
        target_id: str,
        *,
        deadline: float | None = None,
    ) -> dict[str, Any]:
        self.sent.append((query, variables))
        if query.startswith("query"):
            subject = {"dataSubject": {"type": "SHOPPER", "email": "s@example.com"}}
            return {"personalDataRetrievalTask": subject}
        return {"startPersonalDataRetrievalTask": {"taskId": "r-new"}}


def test_a_retrieval_resubmission_reads_the_retrieval_and_starts_one_without_a_hold() -> None:
    api = FakeApi()
    started = Resubmitter(api).resubmit(
        BP, "r-1", client_token="t" * 36, holding_period_days=0, kind="retrieval"
    )
    assert started == "r-new"
    (query, asked), (mutation, given) = api.sent
    assert "personalDataRetrievalTask(taskId: $taskId) { dataSubject { type email } }" in query
    assert "dataRetrievalLink" not in query
    assert asked == {"taskId": "r-1"}
    assert "startPersonalDataRetrievalTask(input: $input)" in mutation
    assert given == {
        "input": {
            "dataSubject": {"type": "SHOPPER", "email": "s@example.com"},
            "clientToken": {"token": "t" * 36},
        }
    }
