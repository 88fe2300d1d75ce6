"""The buttons on a case's Slack message (bot mode): only those that fit where the case stands,
read from the cases table by the router; and the line every receiver adds when PagerDuty's
incident of a still open case was resolved by hand."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bwp_privacy.alerting import Alert, Runbook, Severity, build_alert
from bwp_privacy.alerting.alert import AlertStatus, CaseStanding
from bwp_privacy.alerting.case_links import CasesTableLinks
from bwp_privacy.alerting.delivery import Group, ReceiverContext, resolved_by_hand_line
from bwp_privacy.alerting.receivers.amazon_q import amazon_q_notification
from bwp_privacy.alerting.receivers.pagerduty import pagerduty_event
from bwp_privacy.alerting.receivers.slack import (
    ACTIONS_SETTING,
    SPEC,
    SlackBotReceiver,
    action_blocks,
    case_buttons,
    slack_message,
)
from bwp_privacy.alerting.receivers.teams import teams_message
from bwp_privacy.cases import (
    Case,
    CaseState,
    CaseTask,
    Cause,
    CauseKind,
    Jurisdiction,
    Period,
    Transition,
)
from bwp_privacy.cases.case import extendable_jurisdictions
from bwp_privacy.common import Budget
from bwp_privacy.contract import LookupOutcome, LookupStatus, TaskError, TaskFailure
from bwp_privacy.contract.inbound import (
    SLACK_CLOSE,
    SLACK_EXTEND,
    SLACK_RESUBMIT,
    SLACK_SILENCE,
    slack_button_parts,
)
from bwp_privacy.reaction import CannotExtend, PlaybooksConfig, extend, load_playbooks
from tests.unit.case_factory import CCPA, GDPR, RECEIVED, case

NOW = RECEIVED + timedelta(days=10)
GROUP = Group(route="privacy-oncall", labels={"businessProductId": "bp-1"})
SHIPPED = Path(__file__).resolve().parents[2] / "functions" / "reaction" / "playbooks.json"
#: A law that allows no extension (Brazil's LGPD-like).
NO_EXTENSION = Jurisdiction(title="No extension", answer_within=Period(days=15))


def failure_alert(
    codes: tuple[str, ...] = ("ORDERS_NOT_CLOSED", "OPEN_RETURNS"),
    standing: CaseStanding | None = None,
) -> Alert:
    failure = TaskFailure(
        event_id="event-1",
        event_time="2026-03-11T12:00:00Z",
        detail_type="PERSONAL_DATA_DELETION_TASK_FAILED",
        business_product_id="bp-1",
        task_id="task-1",
        status="FAILED",
        submission_date="2026-03-01T12:00:00Z",
        errors=[TaskError(code=code, message="still open") for code in codes],
        lookup=LookupOutcome(status=LookupStatus.OK),
        received_at="2026-03-11T12:00:05Z",
    )
    runbooks = [Runbook(code=code, text="Do the thing.") for code in codes]
    alert = build_alert(failure, Severity.CRITICAL, runbooks, NOW)
    return alert.model_copy(update={"case": standing})


def standing(
    state: CaseState = CaseState.ESCALATED,
    *,
    extendable: tuple[str, ...] = ("ccpa", "gdpr"),
    may_resubmit: bool = True,
    by_hand: str | None = None,
) -> CaseStanding:
    return CaseStanding(
        state=state.value,
        ended=state.ended,
        due_at="2026-04-01T12:00:00Z",
        extendable=() if state.ended else extendable,
        may_resubmit=may_resubmit and not state.ended,
        incident_resolved_by_hand=by_hand,
    )


def shown(alert: Alert) -> list[tuple[str, str, str]]:
    return [(b["action_id"], b["text"]["text"], b["value"]) for b in case_buttons(alert)]


# The buttons, by where the case stands


def test_an_escalated_case_offers_close_each_extension_resubmit_and_a_silence_per_code() -> None:
    assert shown(failure_alert(standing=standing())) == [
        (SLACK_CLOSE, "Close…", "task-1"),
        (SLACK_EXTEND, "Extend ccpa", "task-1|ccpa"),
        (SLACK_EXTEND, "Extend gdpr", "task-1|gdpr"),
        (SLACK_RESUBMIT, "Resubmit now", "task-1"),
        (SLACK_SILENCE, "Silence ORDERS_NOT_CLOSED 4h", "task-1|ORDERS_NOT_CLOSED|4"),
        (SLACK_SILENCE, "Silence OPEN_RETURNS 4h", "task-1|OPEN_RETURNS|4"),
    ]


def test_a_case_notice_offers_to_silence_the_codes_its_task_failed_with_never_its_own() -> None:
    notice = failure_alert(("CASE_ESCALATED",), standing()).model_copy(
        update={
            "transition": "notice/n-1",
            "case": standing().model_copy(update={"error_codes": ("BRAND_NEW_CODE",)}),
        }
    )
    assert [value for action, _, value in shown(notice) if action == SLACK_SILENCE] == [
        "task-1|BRAND_NEW_CODE|4"
    ]


def test_a_case_whose_deadlines_cannot_be_extended_and_that_cannot_start_offers_neither() -> None:
    alert = failure_alert(
        ("ORDERS_NOT_CLOSED",),
        standing(CaseState.RESUBMITTED, extendable=(), may_resubmit=False),
    )
    assert [action for action, _, _ in shown(alert)] == [SLACK_CLOSE, SLACK_SILENCE]


@pytest.mark.parametrize(
    "state",
    [
        CaseState.COMPLETED,
        CaseState.NOTHING_TO_DELETE,
        CaseState.NOTHING_TO_RETRIEVE,
        CaseState.CLOSED,
    ],
)
def test_an_ended_case_offers_nothing(state: CaseState) -> None:
    assert case_buttons(failure_alert(standing=standing(state))) == []


def test_a_resolved_alert_or_a_case_not_read_offers_nothing() -> None:
    resolved = failure_alert(standing=standing()).model_copy(
        update={"status": AlertStatus.RESOLVED}
    )
    assert case_buttons(resolved) == []
    assert case_buttons(failure_alert(standing=None)) == []


def test_a_button_whose_value_cannot_be_one_is_left_out_and_the_message_goes_out() -> None:
    alert = failure_alert(("BAD|CODE", "ORDERS_NOT_CLOSED"), standing())
    assert [value for _, _, value in shown(alert) if value.count("|") == 2] == [
        "task-1|ORDERS_NOT_CLOSED|4"
    ]


def test_no_block_holds_two_buttons_of_one_action_id_and_every_value_names_the_case() -> None:
    alert = failure_alert(
        tuple(f"CODE_{n}" for n in range(8)),
        standing(extendable=tuple(f"law{n}" for n in range(14))),
    )
    blocks = action_blocks(alert)
    assert len({block["block_id"] for block in blocks}) == len(blocks)
    for block in blocks:
        assert block["type"] == "actions"
        assert 0 < len(block["elements"]) <= 25
        ids = Counter(button["action_id"] for button in block["elements"])
        assert max(ids.values()) == 1, ids
    buttons = [button for block in blocks for button in block["elements"]]
    assert all(slack_button_parts(b["value"])[0] == "task-1" for b in buttons)
    assert all(len(b["text"]["text"]) <= 75 for b in buttons)
    # At most ten extensions and five silences: the message stays readable.
    kinds = Counter(button["action_id"] for button in buttons)
    assert (kinds[SLACK_EXTEND], kinds[SLACK_SILENCE]) == (10, 5)


def test_the_buttons_end_the_message_within_slacks_limits_only_when_asked() -> None:
    huge = failure_alert(tuple(f"CODE_{n}" for n in range(40)), standing())
    huge = huge.model_copy(update={"errors": huge.errors * 20})
    message = slack_message([huge], GROUP, actions=True)
    assert len(message["blocks"]) <= 50
    assert message["blocks"][-len(action_blocks(huge)) :] == action_blocks(huge)
    # An incoming webhook (grouped, no interactions) never carries buttons.
    plain = slack_message([huge], GROUP)
    assert [b for b in plain["blocks"] if b["type"] == "actions"] == []


# The bot: buttons when the stack takes Slack's interactions


@dataclass
class Answer:
    body: dict[str, Any]

    def json(self) -> dict[str, Any]:
        return self.body


@dataclass
class RecordingPoster:
    posted: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def post(self, name: str, url: str, body: bytes, **_: Any) -> Answer:
        self.posted.append((url.rsplit("/", 1)[-1], json.loads(body)))
        return Answer({"ok": True, "channel": "C0123ABCD", "ts": "1700000000.000100"})


@dataclass
class Secrets:
    def read(self, secret_id: str, model: Any, setting: str) -> Any:
        return model.model_validate({"botToken": "xoxb-test", "channel": "C0123ABCD"})


def bot(environ: Mapping[str, str]) -> tuple[Any, RecordingPoster]:
    poster = RecordingPoster()
    context = ReceiverContext(
        poster=poster,  # type: ignore[arg-type]
        secrets=Secrets(),
        clients=lambda service: None,
        environ=environ,
    )
    receiver = SPEC.build("slack-secret", context)
    assert isinstance(receiver, SlackBotReceiver)
    return receiver, poster


@pytest.mark.parametrize(("setting", "buttons"), [("true", True), ("false", False), (None, False)])
def test_the_bot_draws_buttons_only_when_the_stack_lets_slack_users_act(
    setting: str | None, buttons: bool
) -> None:
    receiver, poster = bot({ACTIONS_SETTING: setting} if setting else {})
    receiver.deliver([failure_alert(standing=standing())], GROUP, budget=Budget(None, 0))
    [(method, body)] = poster.posted
    assert method == "chat.postMessage"
    drawn = [b for b in body["blocks"] if b["type"] == "actions"]
    assert bool(drawn) is buttons


def test_the_edit_of_an_ended_case_takes_its_buttons_away() -> None:
    from bwp_privacy.alerting.delivery import ThreadRef

    receiver, poster = bot({ACTIONS_SETTING: "true"})
    ended = failure_alert(standing=standing(CaseState.CLOSED))
    threads = {"task-1": ThreadRef("C0123ABCD", "1700000000.000100")}
    receiver.deliver([ended], GROUP, budget=Budget(None, 0), threads=threads)
    method, body = poster.posted[0]
    assert method == "chat.update"
    assert [b for b in body["blocks"] if b["type"] == "actions"] == []


# The extension rule: the same as the reaction's


def playbooks() -> PlaybooksConfig:
    raw: dict[str, Any] = json.loads(SHIPPED.read_text())
    raw["applies"] = ["ccpa"]
    return load_playbooks(json.dumps(raw), "playbooks.json")


LAWS = {"ccpa": CCPA, "gdpr": GDPR, "lgpd": NO_EXTENSION}


@pytest.mark.parametrize(
    ("name", "subject", "now"),
    [
        ("open", case(laws=LAWS, state=CaseState.ESCALATED), NOW),
        ("extended", case(laws=LAWS, extended_at=NOW - timedelta(days=1)), NOW),
        ("gdpr passed", case(laws=LAWS), RECEIVED + timedelta(days=32)),
        ("all passed", case(laws=LAWS), RECEIVED + timedelta(days=60)),
        ("ended", case(laws=LAWS, state=CaseState.CLOSED), NOW),
    ],
)
def test_the_extensions_offered_are_exactly_those_the_reaction_carries_out(
    name: str, subject: Case, now: datetime
) -> None:
    config = playbooks()
    allowed = []
    for deadline in subject.deadlines:
        try:
            extend(subject, deadline.jurisdiction, "more time", config, now, "ops")
        except CannotExtend:
            continue
        allowed.append(deadline.jurisdiction)
    assert list(extendable_jurisdictions(subject, now)) == allowed, name


def test_an_open_case_under_extendable_laws_offers_them_in_its_order() -> None:
    assert extendable_jurisdictions(case(laws=LAWS), NOW) == ("gdpr", "ccpa")


# The router's read of the cases' items


@dataclass
class FakeDynamo:
    items: list[dict[str, Any]]
    requests: list[dict[str, Any]] = field(default_factory=list)

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(RequestItems)
        return {"Responses": {"cases": self.items}}


def item(subject: Case, **raw: str) -> dict[str, Any]:
    found = {
        "pk": {"S": f"CASE#{subject.case_id}"},
        "body": {"S": subject.model_dump_json(by_alias=True)},
    }
    return found | {name: {"S": value} for name, value in raw.items()}


def test_the_router_reads_each_case_once_with_the_attributes_it_needs() -> None:
    escalated = case("case-1", laws=LAWS, state=CaseState.ESCALATED)
    announced = case("case-2", laws={"lgpd": NO_EXTENSION}, state=CaseState.RESUBMISSION_DUE)
    escalated = escalated.model_copy(
        update={"incident_resolved_by_hand_at": datetime(2026, 3, 10, 8, tzinfo=UTC)}
    )
    dynamo = FakeDynamo([item(escalated), item(announced)])
    found = CasesTableLinks(dynamo, "cases").standings(["case-1", "case-2", "case-1", "gone"], NOW)
    [request] = dynamo.requests
    assert request["cases"]["Keys"] == [
        {"pk": {"S": "CASE#case-1"}},
        {"pk": {"S": "CASE#case-2"}},
        {"pk": {"S": "CASE#gone"}},
    ]
    assert request["cases"]["ProjectionExpression"] == "pk, body"
    assert request["cases"]["ConsistentRead"] is True
    assert found == {
        "case-1": CaseStanding(
            state="ESCALATED",
            ended=False,
            due_at="2026-03-16T12:00:00Z",  # the earliest: the law without an extension
            extendable=("gdpr", "ccpa"),
            may_resubmit=True,
            incident_resolved_by_hand="2026-03-10T08:00:00Z",
        ),
        # Announce mode: the merchant's own system starts the task; none is offered here.
        "case-2": CaseStanding(
            state="RESUBMISSION_DUE", ended=False, due_at="2026-03-16T12:00:00Z"
        ),
    }


def test_the_codes_to_silence_are_those_of_the_cases_latest_failed_task() -> None:
    tasks = (
        CaseTask(task_id="t-0", attempt=0, outcome="FAILED", error_codes=("ORDERS_NOT_CLOSED",)),
        CaseTask(task_id="t-1", attempt=1, outcome="FAILED", error_codes=("OPEN_RETURNS",)),
        CaseTask(task_id="t-2", attempt=2),
    )
    subject = case("t-0", laws=LAWS, state=CaseState.RESUBMITTED, tasks=tasks)
    [found] = CasesTableLinks(FakeDynamo([item(subject)]), "cases").standings(["t-0"], NOW).values()
    assert found.error_codes == ("OPEN_RETURNS",)
    assert found.may_resubmit is False


def test_the_time_resolved_by_hand_is_the_case_s_own_and_an_unreadable_case_is_left_out() -> None:
    marked = case("case-1", laws=LAWS).model_copy(
        update={"incident_resolved_by_hand_at": datetime(2026, 3, 10, 8, 0, 0, 123456, UTC)}
    )
    unreadable = {"pk": {"S": "CASE#case-3"}, "body": {"S": "{not json"}}
    found = CasesTableLinks(
        FakeDynamo([item(marked), item(case("case-2", laws=LAWS)), unreadable]), "cases"
    ).standings(["case-1", "case-2", "case-3"], NOW)
    assert found["case-1"].incident_resolved_by_hand == "2026-03-10T08:00:00Z"
    assert found["case-2"].incident_resolved_by_hand is None
    assert "case-3" not in found


# Resolved by hand: every receiver says it while the case is open


BY_HAND = "The PagerDuty incident was resolved by hand; the request is still open (due 1 Apr 2026)."


def test_every_receiver_says_the_incident_was_resolved_by_hand_while_the_case_is_open() -> None:
    alert = failure_alert(standing=standing(by_hand="2026-03-10T08:00:00Z"))
    assert resolved_by_hand_line(alert) == BY_HAND
    slack = json.dumps(slack_message([alert], GROUP, actions=True))
    assert BY_HAND in slack
    assert BY_HAND in json.dumps(slack_message([alert, alert], GROUP))  # a grouped line
    # Teams' markdown escapes the brackets.
    assert "resolved by hand; the request is still open \\\\(due 1 Apr 2026\\\\)" in json.dumps(
        teams_message([alert], GROUP)
    )
    assert BY_HAND in json.dumps(amazon_q_notification(alert))
    details = pagerduty_event(alert, "routing-key")["payload"]["custom_details"]
    assert details["deadlines"].startswith(BY_HAND)


@pytest.mark.parametrize(
    "alert",
    [
        failure_alert(standing=standing(CaseState.CLOSED, by_hand="2026-03-10T08:00:00Z")),
        failure_alert(standing=standing(by_hand="2026-03-10T08:00:00Z")).model_copy(
            update={"status": AlertStatus.RESOLVED}
        ),
        failure_alert(standing=standing()),
        failure_alert(standing=None),
    ],
    ids=["ended", "resolved alert", "not resolved by hand", "case not read"],
)
def test_nothing_is_said_of_an_incident_resolved_by_hand_otherwise(alert: Alert) -> None:
    assert resolved_by_hand_line(alert) is None
    assert "resolved by hand" not in json.dumps(slack_message([alert], GROUP, actions=True))


def test_the_due_day_said_is_the_cases_legal_deadline_in_force() -> None:
    subject = case(
        "case-1",
        laws={"ccpa": CCPA, "gdpr": GDPR},
        state=CaseState.ESCALATED,
        incident_resolved_by_hand_at=datetime(2026, 3, 10, 8, tzinfo=UTC),
    )
    [found] = (
        CasesTableLinks(FakeDynamo([item(subject)]), "cases").standings(["case-1"], NOW).values()
    )
    alert = failure_alert(standing=found)
    assert subject.legal_due_at == datetime(2026, 4, 1, 12, tzinfo=UTC)
    assert resolved_by_hand_line(alert) == BY_HAND


def test_the_case_s_message_says_who_last_moved_the_case_and_only_a_person_s_move() -> None:
    opened = Transition(
        at=RECEIVED,
        from_state=None,
        to_state=CaseState.ESCALATED,
        cause=Cause(kind=CauseKind.EVENT, ref="event-1"),
        actor="bwp-privacy-reaction",
        reason="escalated",
    )
    closed = Transition(
        at=NOW,
        from_state=CaseState.ESCALATED,
        to_state=CaseState.CLOSED,
        cause=Cause(kind=CauseKind.OPERATOR, ref="close"),
        actor="slack:T0SANDBOX/U0ONCALL",
        reason="answered by support",
    )
    by_machine = case("c-1", laws=LAWS, state=CaseState.ESCALATED, transitions=(opened,))
    by_person = case("c-2", laws=LAWS, state=CaseState.CLOSED, transitions=(opened, closed))
    found = CasesTableLinks(FakeDynamo([item(by_machine), item(by_person)]), "cases").standings(
        ["c-1", "c-2"], NOW
    )
    assert found["c-1"].last_action is None
    assert found["c-2"].last_action == f"CLOSED by slack:T0SANDBOX/U0ONCALL, {NOW:%Y-%m-%dT%H:%M}Z"
    lines = slack_message([failure_alert(standing=found["c-2"])], GROUP)["blocks"]
    assert "*Last action:* CLOSED by slack:T0SANDBOX/U0ONCALL" in json.dumps(lines)
