"""The reaction's inbound actions (Slack's and PagerDuty's verified requests) with fakes around
it: what is carried out, for whom, what is recorded and answered, and that a copy of an action
does nothing twice. The claims in DynamoDB, the operator actions and the answer's POST are
exercised against the sandbox (tests/integration/test_reaction_inbound.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

import pytest
import requests
from pydantic import ValidationError

from bwp_privacy.audit import AuditEntry
from bwp_privacy.cases import Case, CaseConflict, CaseState, CaseStore
from bwp_privacy.contract.inbound import PagerDutyAction, SlackAction
from bwp_privacy.reaction.inbound_actions import (
    NOT_ALLOWED_OUTCOME,
    RESOLVED_OUTCOME,
    InboundActions,
    handle_inbound,
)
from bwp_privacy.reaction.inbound_claims import claim_key
from bwp_privacy.reaction.inputs import handle
from bwp_privacy.reaction.operator_actions import OperatorActions, OperatorAnswer, OperatorRefused
from bwp_privacy.reaction.operator_requests import CloseRequest, ExtendRequest, OperatorRequest
from bwp_privacy.reaction.service import ReactionService
from bwp_privacy.reaction.slack_answers import NOT_ALLOWED, SlackAnswer, SlackResponder
from tests.unit.case_factory import case as make_case

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
RECEIVED = "2026-03-20T08:59:58Z"
URL = "https://hooks.slack.com/actions/T1/1/abc"
REQUEST_ID = "a" * 64
INBOUND_ARN = "arn:aws:sqs:us-east-1:123456789012:bwp-privacy-InboundQueue"
REACTION_ARN = "arn:aws:sqs:us-east-1:123456789012:bwp-privacy-ReactionQueue"


class FakeClaims:
    """Claims as the table keeps them: absent, claimed (released or not), done."""

    def __init__(self) -> None:
        self.items: dict[str, str] = {}

    def claim(self, key: str) -> bool:
        if self.items.get(key) == "done":
            return False
        self.items[key] = "claimed"
        return True

    def done(self, key: str, outcome: str) -> None:
        self.items[key] = "done"

    def release(self, key: str) -> None:
        self.items[key] = "released"


class FakeOperator:
    """`OperatorActions.perform`, answering what it is told to."""

    def __init__(self, answer: OperatorAnswer | OperatorRefused | None = None) -> None:
        self.calls: list[tuple[OperatorRequest, str]] = []
        self._answer = answer

    def perform(self, request: OperatorRequest, actor: str) -> OperatorAnswer:
        self.calls.append((request, actor))
        if isinstance(self._answer, OperatorRefused):
            raise self._answer
        return self._answer or OperatorAnswer("moved", actor, "task-1", "CLOSED")


class FakeStore:
    """The cases table's cases, written over their version."""

    def __init__(self, *cases: Case) -> None:
        self.cases = {c.case_id: c for c in cases}
        self.saves = 0
        self.conflicts = 0

    def load(self, case_id: str) -> Case | None:
        return self.cases.get(case_id)

    def save(self, case: Case) -> Case:
        if self.conflicts:
            self.conflicts -= 1
            raise CaseConflict("changed")
        stored = self.cases[case.case_id]
        assert stored.version == case.version
        written = case.model_copy(update={"version": case.version + 1})
        self.cases[case.case_id] = written
        self.saves += 1
        return written


class FakeAudit:
    """The trail: an entry of the same subject and key is kept once."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], AuditEntry] = {}

    def append(self, entries: Sequence[AuditEntry]) -> None:
        for entry in entries:
            self.entries.setdefault((entry.subject, entry.sort_key), entry)

    def of(self, case_id: str) -> list[AuditEntry]:
        return [e for (s, _), e in self.entries.items() if s == f"case:{case_id}"]


class FakeAnswers:
    def __init__(self) -> None:
        self.posted: list[tuple[str | None, SlackAnswer]] = []

    def post(self, url: str | None, answer: SlackAnswer) -> None:
        self.posted.append((url, answer))


class FakeMetrics:
    def __init__(self) -> None:
        self.counted: list[tuple[str, dict[str, str]]] = []

    def count(self, name: str, value: int = 1, **dimensions: str) -> None:
        self.counted.append((name, dimensions))

    def outcomes(self) -> list[str]:
        return [d["outcome"] for _, d in self.counted]


class FakeIncidents:
    def __init__(self) -> None:
        self.links: dict[str, str] = {}

    def link(self, incident_id: str, case_id: str) -> None:
        self.links[incident_id] = case_id

    def case_of(self, incident_id: str) -> str | None:
        return self.links.get(incident_id)


class World:
    def __init__(self, *cases: Case, answer: OperatorAnswer | OperatorRefused | None = None):
        self.claims = FakeClaims()
        self.incidents = FakeIncidents()
        self.operator = FakeOperator(answer)
        self.store = FakeStore(*cases)
        self.audit = FakeAudit()
        self.answers = FakeAnswers()
        self.metrics = FakeMetrics()
        self.actions = InboundActions(
            claims=self.claims,
            incidents=self.incidents,
            operator=lambda: cast(OperatorActions, self.operator),
            store=cast(CaseStore, self.store),
            audit=self.audit,
            answers=self.answers,
            metrics=self.metrics,
            retention_days=730,
            clock=lambda: NOW,
        )


def open_case(case_id: str = "task-1", **fields: Any) -> Case:
    return make_case(case_id, state=CaseState.ESCALATED, **fields)


def slack(request: dict[str, Any] | None = None, **fields: Any) -> SlackAction:
    body = {
        "receivedAt": RECEIVED,
        "requestId": REQUEST_ID,
        "teamId": "T1",
        "userId": "U1",
        "allowed": True,
        "caseId": "task-1",
        "request": request
        or {
            "action": "close",
            "caseId": "task-1",
            "reason": "answered <by> mail",
            "closedAs": "completed",
        },
        "responseUrl": URL,
        **fields,
    }
    return SlackAction.model_validate(body)


def pagerduty(event_type: str = "incident.acknowledged", **fields: Any) -> PagerDutyAction:
    body = {
        "receivedAt": RECEIVED,
        "eventId": "01EVT",
        "eventType": event_type,
        "incidentId": "PINC1",
        "caseId": "task-1",
        "agentId": "PUSER1",
        "occurredAt": "2026-03-20T08:59:00.123Z",
        **fields,
    }
    return PagerDutyAction.model_validate(body)


def record(body: str, arn: str = INBOUND_ARN, message_id: str = "m-1") -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": body,
        "attributes": {},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": "us-east-1",
    }


# ---- Slack ------------------------------------------------------------------------------


def test_an_allowed_close_is_performed_for_the_slack_user_and_answered_in_the_channel() -> None:
    world = World(open_case())
    assert world.actions.carry_out(slack()) == "moved"
    [(request, actor)] = world.operator.calls
    assert isinstance(request, CloseRequest)
    assert (request.case_id, request.closed_as, actor) == ("task-1", "completed", "slack:T1/U1")
    [(url, answer)] = world.answers.posted
    assert url == URL
    assert answer.payload() == {
        "response_type": "in_channel",
        "replace_original": False,
        "text": "<@U1> closed case task-1 as completed: answered &lt;by&gt; mail (now CLOSED)",
    }
    assert world.claims.items == {claim_key("slack", REQUEST_ID): "done"}
    assert world.metrics.counted == [("InboundActions", {"source": "slack", "outcome": "moved"})]


def test_an_allowed_extend_is_answered_with_the_jurisdiction() -> None:
    request = {"action": "extend", "caseId": "task-1", "jurisdiction": "ccpa", "reason": "*busy*"}
    world = World(open_case(), answer=OperatorAnswer("moved", "slack:T1/U1", "task-1", "WAITING"))
    world.actions.carry_out(slack(request))
    [(performed, _)] = world.operator.calls
    assert isinstance(performed, ExtendRequest)
    [(_, answer)] = world.answers.posted
    assert answer.response_type == "in_channel"
    assert (
        answer.text == "<@U1> extended case task-1's ccpa deadline: \u2217busy\u2217 (now WAITING)"
    )


def test_a_refused_action_is_answered_to_the_user_alone() -> None:
    refused = OperatorRefused(409, "case task-1 is CLOSED: no new task can be started for it")
    world = World(open_case(), answer=refused)
    assert world.actions.carry_out(slack({"action": "resubmit", "caseId": "task-1"})) == "refused"
    [(_, answer)] = world.answers.posted
    assert answer.payload() == {
        "response_type": "ephemeral",
        "replace_original": False,
        "text": "case task-1 is CLOSED: no new task can be started for it",
    }
    # Done all the same: a replay is not refused a second time.
    assert world.claims.items == {claim_key("slack", REQUEST_ID): "done"}


def test_a_close_of_an_ended_case_changes_nothing_and_says_so_to_the_user() -> None:
    world = World(
        open_case(), answer=OperatorAnswer("unchanged", "slack:T1/U1", "task-1", "CLOSED")
    )
    assert world.actions.carry_out(slack()) == "unchanged"
    [(_, answer)] = world.answers.posted
    assert (answer.response_type, answer.text) == (
        "ephemeral",
        "Nothing changed: case task-1 is CLOSED already.",
    )


def test_a_user_not_allowed_is_refused_recorded_and_answered_to_them_alone() -> None:
    world = World(open_case())
    assert world.actions.carry_out(slack(allowed=False)) == "not-allowed"
    assert world.operator.calls == []
    [entry] = world.audit.of("task-1")
    assert (entry.actor, entry.action, entry.outcome) == (
        "slack:T1/U1",
        "cases close",
        NOT_ALLOWED_OUTCOME,
    )
    assert entry.at == datetime(2026, 3, 20, 8, 59, 58, tzinfo=UTC)
    [(_, answer)] = world.answers.posted
    assert answer == SlackAnswer("ephemeral", NOT_ALLOWED)
    assert world.metrics.outcomes() == ["not-allowed"]


@pytest.mark.parametrize(
    ("request_body", "said"),
    [
        (
            {"action": "close", "caseId": "task-1", "reason": "x"},
            "invalid request: close.closedAs: Field required",
        ),
        ({"action": "redrive", "origin": "m", "input": {}}, "request: redrive cannot be asked"),
        (
            {"action": "close", "caseId": "task-2", "reason": "x", "closedAs": "completed"},
            "another case",
        ),
        (
            {"action": "resubmit", "caseId": "task-1", "email": "a@example.com"},
            "never taken from Slack",
        ),
        ({"action": "<!channel>"}, "request: unknown cannot be asked"),
    ],
    ids=["invalid", "not-a-button", "other-case", "email", "unnamed"],
)
def test_a_request_that_cannot_be_carried_out_is_refused_recorded_and_answered(
    request_body: dict[str, Any], said: str
) -> None:
    world = World(open_case())
    assert world.actions.carry_out(slack(request_body)) == "invalid-request"
    assert world.operator.calls == []
    [entry] = world.audit.of("task-1")
    assert entry.outcome.startswith("refused: ")
    assert said in entry.outcome
    assert "example.com" not in entry.outcome
    [(_, answer)] = world.answers.posted
    assert answer.response_type == "ephemeral"
    assert said.replace("<", "&lt;") in answer.text


def test_a_replayed_request_is_carried_out_once() -> None:
    world = World(open_case())
    assert world.actions.carry_out(slack()) == "moved"
    assert world.actions.carry_out(slack(receivedAt="2026-03-20T09:00:30Z")) == "duplicate"
    assert len(world.operator.calls) == 1
    assert len(world.answers.posted) == 1
    assert world.metrics.outcomes() == ["moved", "duplicate"]


def test_an_action_that_failed_midway_releases_its_claim_for_its_retry() -> None:
    world = World(open_case())

    class Busy(Exception):
        pass

    def failing(request: OperatorRequest, actor: str) -> OperatorAnswer:
        raise Busy

    world.operator.perform = failing  # type: ignore[method-assign]
    with pytest.raises(Busy):
        world.actions.carry_out(slack())
    assert world.claims.items == {claim_key("slack", REQUEST_ID): "released"}
    assert world.answers.posted == []
    world.operator = FakeOperator()
    world.actions._operator = lambda: cast(OperatorActions, world.operator)
    assert world.actions.carry_out(slack()) == "moved"
    assert len(world.operator.calls) == 1


# ---- PagerDuty --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_type", "fields", "said"),
    [
        ("incident.acknowledged", {}, "incident PINC1"),
        (
            "incident.annotated",
            {"note": "call\nme at a@example.com"},
            "incident PINC1 note: call me at",
        ),
        (
            "incident.reassigned",
            {"assignees": ["PU2", "PU3"]},
            "incident PINC1 reassigned to PU2, PU3",
        ),
    ],
)
def test_each_pagerduty_event_is_an_entry_of_its_case(
    event_type: str, fields: dict[str, Any], said: str
) -> None:
    world = World(open_case())
    assert world.actions.carry_out(pagerduty(event_type, **fields)) == "recorded"
    [entry] = world.audit.of("task-1")
    assert (entry.actor, entry.action, entry.outcome) == (
        "pagerduty:PUSER1",
        f"pagerduty {event_type}",
        "recorded",
    )
    assert entry.input.startswith(said)
    assert "example.com" not in entry.input
    assert "\n" not in entry.input
    assert entry.entry_id == "pagerduty-01EVT"
    assert entry.at == datetime(2026, 3, 20, 8, 59, 0, 123000, tzinfo=UTC)
    assert entry.detail == {"incidentId": "PINC1", "eventId": "01EVT", "receivedAt": RECEIVED}
    assert world.store.saves == 0


def test_a_pagerduty_event_delivered_twice_is_one_entry() -> None:
    world = World(open_case())
    world.actions.carry_out(pagerduty())
    # A redelivery past the claim (its claim expired, or it raced it): the entry's key is the
    # same, and the trail keeps it once.
    world.claims.items.clear()
    world.actions.carry_out(pagerduty(receivedAt="2026-03-20T10:00:00Z"))
    assert len(world.audit.of("task-1")) == 1
    assert world.actions.carry_out(pagerduty()) == "duplicate"


def test_a_pagerduty_time_in_the_future_is_taken_as_when_it_was_received() -> None:
    world = World(open_case())
    world.actions.carry_out(pagerduty(occurredAt="2027-01-01T00:00:00Z"))
    [entry] = world.audit.of("task-1")
    assert entry.at == datetime(2026, 3, 20, 8, 59, 58, tzinfo=UTC)


def test_a_resolve_keeps_the_case_open_and_marks_it_resolved_by_hand() -> None:
    world = World(open_case())
    world.store.conflicts = 1  # a concurrent write: read again, mark again
    world.actions.carry_out(pagerduty("incident.resolved"))
    stored = world.store.cases["task-1"]
    assert stored.state is CaseState.ESCALATED
    assert stored.ended_at is None
    assert stored.incident_resolved_by_hand_at == datetime(
        2026, 3, 20, 8, 59, 0, 123000, tzinfo=UTC
    )
    assert stored.to_json_dict()["incidentResolvedByHandAt"] == "2026-03-20T08:59:00.123000Z"
    [entry] = world.audit.of("task-1")
    assert (entry.action, entry.outcome) == ("pagerduty incident.resolved", RESOLVED_OUTCOME)


def test_a_resolve_of_an_ended_case_marks_nothing() -> None:
    world = World(make_case("task-1", state=CaseState.CLOSED))
    world.actions.carry_out(pagerduty("incident.resolved"))
    assert world.store.saves == 0
    assert world.store.cases["task-1"].incident_resolved_by_hand_at is None
    [entry] = world.audit.of("task-1")
    assert entry.outcome == "recorded; the case had ended already"


def test_the_mark_survives_the_case_model_round_trip() -> None:
    marked = open_case(incident_resolved_by_hand_at=NOW)
    again = Case.model_validate_json(marked.model_dump_json(by_alias=True))
    assert again.incident_resolved_by_hand_at == NOW
    # A case stored before the field existed reads as never resolved by hand.
    body = json.loads(open_case().model_dump_json(by_alias=True))
    body.pop("incidentResolvedByHandAt")
    assert Case.model_validate(body).incident_resolved_by_hand_at is None


def test_an_incident_that_is_no_case_of_ours_writes_nothing() -> None:
    world = World()
    assert world.actions.carry_out(pagerduty(caseId="someone-elses")) == "foreign-incident"
    assert world.audit.entries == {}
    assert world.claims.items == {}
    assert world.metrics.counted == [
        ("InboundActions", {"source": "pagerduty", "outcome": "foreign-incident"})
    ]


def test_the_incident_s_trigger_links_it_to_its_case_and_records_nothing() -> None:
    world = World(open_case())
    assert world.actions.carry_out(pagerduty("incident.triggered")) == "linked"
    assert world.incidents.links == {"PINC1": "task-1"}
    assert world.audit.entries == {}
    assert world.claims.items == {}


def test_a_note_finds_its_case_through_the_incident_an_earlier_event_linked() -> None:
    """PagerDuty's note names its incident alone (no incident_key)."""
    world = World(open_case())
    note = pagerduty("incident.annotated", caseId=None, eventId="02NOTE", note="on it")
    assert world.actions.carry_out(note) == "foreign-incident"
    assert world.audit.entries == {}
    assert world.actions.carry_out(pagerduty("incident.acknowledged")) == "recorded"
    assert world.actions.carry_out(note) == "recorded"
    [entry] = [e for e in world.audit.of("task-1") if e.action == "pagerduty incident.annotated"]
    assert entry.input.endswith("note: on it")


def test_only_a_note_may_come_without_its_case() -> None:
    with pytest.raises(ValidationError, match="caseId"):
        pagerduty("incident.acknowledged", caseId=None)


# ---- the batch and the dispatch -----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps({"schema": "bwp-privacy.inbound-action", "source": "email"}),
        pagerduty().model_dump_json(by_alias=True).replace("PINC1", "P/INC"),
        json.dumps({"schema": "bwp-privacy.task-failure", "taskId": "task-1"}),
    ],
    ids=["not-json", "unknown-source", "bad-id", "a-failure"],
)
def test_a_record_that_is_no_inbound_action_fails_alone(body: str) -> None:
    world = World(open_case())
    good = record(pagerduty().model_dump_json(by_alias=True), message_id="good")
    answer = handle_inbound([record(body, message_id="bad"), good], world.actions)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    assert len(world.audit.of("task-1")) == 1
    assert world.metrics.outcomes() == ["invalid", "recorded"]


class _Unreached:
    def task_failed(self, failure: object) -> None:
        raise AssertionError("an inbound action was taken for a failure")


def test_records_are_told_apart_by_the_queue_they_came_from() -> None:
    world = World(open_case())
    inbound = record(pagerduty().model_dump_json(by_alias=True), INBOUND_ARN, "inbound")
    # An inbound action's body on the failures' queue is not carried out: it fails there.
    stray = record(slack().model_dump_json(by_alias=True), REACTION_ARN, "stray")
    answer = handle(
        {"Records": [inbound, stray]},
        cast(ReactionService, _Unreached()),
        inbound=lambda: world.actions,
        inbound_queue_arn=INBOUND_ARN,
    )
    assert answer == {"batchItemFailures": [{"itemIdentifier": "stray"}]}
    assert world.operator.calls == []
    assert len(world.audit.of("task-1")) == 1


# ---- the answer's POST --------------------------------------------------------------------


class FakeSession:
    def __init__(self, status: int = 200, error: Exception | None = None) -> None:
        self.posted: list[tuple[str, Any, Any]] = []
        self._status = status
        self._error = error

    def post(self, url: str, json: Any, timeout: Any) -> Any:
        self.posted.append((url, json, timeout))
        if self._error is not None:
            raise self._error
        response = requests.Response()
        response.status_code = self._status
        return response


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com.evil.example/actions/1",
        "https://evil.example/https://hooks.slack.com/",
        "http://hooks.slack.com/actions/1",
        None,
    ],
)
def test_an_answer_goes_only_under_the_response_prefix(url: str | None) -> None:
    session = FakeSession()
    SlackResponder("https://hooks.slack.com/", cast(requests.Session, session)).post(
        url, SlackAnswer("ephemeral", "x")
    )
    assert session.posted == []


@pytest.mark.parametrize(
    "session",
    [FakeSession(status=500), FakeSession(error=requests.ConnectionError("down"))],
    ids=["refused", "unreachable"],
)
def test_an_answer_that_fails_is_posted_once_and_never_raises(session: FakeSession) -> None:
    SlackResponder("https://hooks.slack.com/", cast(requests.Session, session)).post(
        URL, SlackAnswer("in_channel", "x")
    )
    [(url, body, timeout)] = session.posted
    assert (url, body["response_type"], body["replace_original"]) == (URL, "in_channel", False)
    assert timeout is not None
