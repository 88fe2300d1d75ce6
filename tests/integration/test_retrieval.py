"""The retrieval side end to end in the sandbox, with the template's IAM enforced: retrieval
events on the partner bus, the real recorder and reaction, the emulator running the retrieval
tasks an operator starts. (The recorder's side: `test_personal_data.py`; a playbook that
resubmits retrievals on schedule: `test_canaries.py`.)"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bwp_privacy.cases import CaseState, client_token
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.stack import queue_depth
from bwp_sandbox.timeline import Timeline
from tests.integration.helpers import graphql_requests
from tests.integration.reaction_helpers import BP, case, schedules

pytestmark = pytest.mark.integration

FAILED = "PERSONAL_DATA_RETRIEVAL_TASK_FAILED"


def failed_retrieval(sandbox: Sandbox, task_id: str, code: str, *, email: str) -> None:
    """A retrieval task that failed with ``code``, submitted 10 days ago."""
    submitted = sandbox.emulator.now() - timedelta(days=10)
    sandbox.emulator.add_task(
        BP,
        {
            "taskId": task_id,
            "status": "FAILED",
            "submissionDate": submitted.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "dataSubject": {"type": "SHOPPER", "email": email},
            "errors": [{"code": code, "message": "the retrieval failed"}],
        },
        kind="retrieval",
    )


def test_retrieval_cases_close_or_escalate_and_an_operator_resubmits_one_to_completion(
    sandbox: Sandbox,
) -> None:
    """The shipped retrieval playbook: nothing to retrieve closes, another code escalates;
    an operator's resubmission starts a retrieval (never a deletion), which completes the
    case when its COMPLETED event comes."""
    timeline = Timeline(sandbox)
    failed_retrieval(sandbox, "r-none", "DATA_SUBJECT_NOT_FOUND", email="nobody@example.com")
    failed_retrieval(sandbox, "r-esc", "EXPORT_FAILED", email="known@example.com")
    sandbox.emulator.set_shopper(BP, "known@example.com")
    for task_id in ("r-none", "r-esc"):
        timeline.publish(BP, task_id, FAILED)
    timeline.settle()

    closed = case(sandbox, "r-none")
    assert (closed.kind, closed.state) == ("retrieval", CaseState.NOTHING_TO_RETRIEVE)
    escalated = case(sandbox, "r-esc")
    assert (escalated.kind, escalated.state) == ("retrieval", CaseState.ESCALATED)
    assert escalated.reason == "task r-esc failed with EXPORT_FAILED"
    assert schedules(sandbox) == []

    answer = sandbox.operate({"action": "resubmit", "caseId": "r-esc"})
    assert answer["state"] == CaseState.RESUBMITTED.value
    starts = [
        r["body"] for r in graphql_requests(sandbox.emulator) if "mutation" in r["body"]["query"]
    ]
    [start] = starts
    assert "startPersonalDataRetrievalTask" in start["query"]
    assert "holdingPeriod" not in start["variables"]["input"]
    assert sandbox.emulator.start_calls() == {client_token("r-esc", 1): 1}
    timeline.settle()  # the new retrieval runs, completes, and its COMPLETED reaches the case
    done = case(sandbox, "r-esc")
    assert done.state is CaseState.COMPLETED
    new_task = done.tasks[-1].task_id
    assert done.reason == f"retrieval task {new_task} completed"
    assert [t.to_state for t in done.transitions] == [
        CaseState.ESCALATED,
        CaseState.RESUBMITTED,
        CaseState.COMPLETED,
    ]
    for url in (sandbox.stack.reaction_dlq_url, sandbox.stack.on_failure_queue_url):
        assert queue_depth(url) == (0, 0), url
