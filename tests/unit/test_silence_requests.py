"""Silence requests (`silence-add`, `silence-expire`): the body held to its model (the CLI's
and Slack's button send the same), and what the reaction does with them: the end scheduled
before the silence is kept, an expire deleting the schedule and releasing at once, a scheduled
end releasing (each open case the silence may have muted gets a ``silence-ended`` notice), and
every request an audit entry on ``silence:<id>``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from pydantic import TypeAdapter, ValidationError

from bwp_privacy.audit import AuditEntry
from bwp_privacy.cases import Case
from bwp_privacy.contract import CaseNotice
from bwp_privacy.reaction import (
    OperatorActions,
    OperatorRefused,
    OperatorRequest,
    SilenceAddRequest,
    SilenceExpireRequest,
    SilenceKeeper,
)
from bwp_privacy.silences import Silence, SilenceConflict
from tests.unit.test_silences import open_case

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
REQUEST: TypeAdapter[OperatorRequest] = TypeAdapter(OperatorRequest)
#: What Slack's "silence" button sends, as the CLI does.
SLACK_BODY = {
    "action": "silence-add",
    "match": {"errorCode": "ORDERS_NOT_CLOSED"},
    "forSeconds": 14400,
    "reason": "orders close tonight",
}


def test_the_slack_buttons_body_is_a_silence_add() -> None:
    request = REQUEST.validate_python(SLACK_BODY)
    assert isinstance(request, SilenceAddRequest)
    assert request.match == {"errorCode": "ORDERS_NOT_CLOSED"}
    assert request.for_seconds == 4 * 3600


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"forSeconds": 899}, "forSeconds"),
        ({"forSeconds": 7 * 86400 + 1}, "forSeconds"),
        ({"match": {}}, "match"),
        ({"match": {"owner": "me"}}, "not a label"),
        ({"match": {"errorCode": "x y"}}, "errorCode"),
        ({"reason": "   "}, "reason"),
        ({"actor": "someone-else"}, "actor"),
        ({"startsAt": "2026-01-01T00:00:00Z"}, "startsAt"),
    ],
)
def test_a_silence_add_outside_its_model_is_refused(change: dict[str, Any], why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        REQUEST.validate_python(SLACK_BODY | change)


def test_a_silence_expire_names_a_silence_id() -> None:
    request = REQUEST.validate_python(
        {"action": "silence-expire", "silenceId": "s0123456789abcdef"}
    )
    assert isinstance(request, SilenceExpireRequest)
    assert request.reason is None
    with pytest.raises(ValidationError, match="silenceId"):
        REQUEST.validate_python({"action": "silence-expire", "silenceId": "../etc"})


# ---- carried out ---------------------------------------------------------------------------


@dataclass
class Store:
    kept: dict[str, Silence] = field(default_factory=dict)

    def create(self, silence: Silence) -> None:
        if silence.silence_id in self.kept:
            raise SilenceConflict(silence.silence_id)
        self.kept[silence.silence_id] = silence

    def replace(self, old: Silence, new: Silence) -> None:
        assert self.kept[old.silence_id] == old
        self.kept[old.silence_id] = new

    def load(self, silence_id: str) -> Silence | None:
        return self.kept.get(silence_id)


@dataclass
class Scheduler:
    schedules: dict[str, tuple[dict[str, object], datetime]] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def schedule_input(self, name: str, payload: dict[str, object], at: datetime) -> bool:
        self.log.append(f"schedule {name}")
        self.schedules[name] = (payload, at)
        return True

    def cancel(self, name: str) -> bool:
        self.log.append(f"cancel {name}")
        return self.schedules.pop(name, None) is not None


@dataclass
class OpenCases:
    cases: list[Case]

    def open_cases(self) -> list[Case]:
        return self.cases


@dataclass
class Notices:
    published: list[CaseNotice] = field(default_factory=list)

    def publish(self, notice: CaseNotice) -> str:
        self.published.append(notice)
        return "m"


@dataclass
class Audit:
    entries: list[AuditEntry] = field(default_factory=list)

    def append(self, entries: Sequence[AuditEntry]) -> None:
        self.entries.extend(entries)


@dataclass
class World:
    store: Store = field(default_factory=Store)
    scheduler: Scheduler = field(default_factory=Scheduler)
    notices: Notices = field(default_factory=Notices)
    audit: Audit = field(default_factory=Audit)
    now: datetime = NOW
    cases: list[Case] = field(
        default_factory=lambda: [
            open_case("c-muted", due_in_days=30),
            open_case("c-other", due_in_days=30, codes=("SOMETHING_ELSE",)),
        ]
    )

    def keeper(self) -> SilenceKeeper:
        return SilenceKeeper(
            cast(Any, self.store),
            self.scheduler,
            OpenCases(self.cases),
            self.notices,
            self.audit,
            retention_days=730,
            actor="bwp-privacy-reaction",
            clock=lambda: self.now,
        )

    def actions(self) -> OperatorActions:
        return OperatorActions(
            cast(Any, None),
            cast(Any, None),
            self.audit,
            cast(Any, None),
            730,
            clock=lambda: self.now,
            silences=self.keeper(),
        )


ALICE = "arn:aws:iam::123456789012:user/alice"


def add(world: World) -> str:
    answer = world.actions().perform(REQUEST.validate_python(SLACK_BODY), "slack:T1/U1")
    assert answer.outcome == "added"
    assert answer.silence_id is not None
    return answer.silence_id


def test_a_silence_is_added_with_its_end_scheduled_first_and_recorded() -> None:
    world = World()
    silence_id = add(world)
    kept = world.store.kept[silence_id]
    assert kept.created_by == "slack:T1/U1"
    assert kept.ends_at == NOW + timedelta(hours=4)
    assert world.scheduler.schedules == {
        f"{silence_id}-end": (
            {"kind": "bwp-privacy.silence-ended", "silenceId": silence_id},
            NOW + timedelta(hours=4),
        )
    }
    [entry] = world.audit.entries
    assert (entry.subject, entry.actor, entry.action) == (
        f"silence:{silence_id}",
        "slack:T1/U1",
        "silence add",
    )
    assert entry.outcome == "added: until 2026-11-29T16:00:00Z"
    assert (
        entry.input
        == "--match errorCode=ORDERS_NOT_CLOSED --for 14400s --reason orders close tonight"
    )
    assert world.notices.published == []


def test_an_expire_deletes_the_schedule_and_releases_the_matching_open_cases_at_once() -> None:
    world = World()
    silence_id = add(world)
    world.now = NOW + timedelta(hours=1)
    answer = world.actions().perform(
        REQUEST.validate_python(
            {"action": "silence-expire", "silenceId": silence_id, "reason": "fixed"}
        ),
        ALICE,
    )
    assert (answer.outcome, answer.released) == ("expired", ("c-muted",))
    assert world.scheduler.schedules == {}
    expired = world.store.kept[silence_id]
    assert (expired.expired_at, expired.expired_by, expired.expire_reason) == (
        world.now,
        ALICE,
        "fixed",
    )
    [notice] = world.notices.published
    assert (notice.kind, notice.case_id, notice.silence_id) == (
        "silence-ended",
        "c-muted",
        silence_id,
    )
    assert notice.notice_id == f"c-muted/silence-ended/{silence_id}"
    assert notice.schema_version == "1.3"
    assert [e.outcome for e in world.audit.entries][-1] == "expired: 1 open case(s) released"


def test_expiring_an_unknown_or_ended_silence_is_refused_and_recorded() -> None:
    world = World()
    with pytest.raises(OperatorRefused) as refused:
        world.actions().perform(
            REQUEST.validate_python({"action": "silence-expire", "silenceId": "s0000000000000000"}),
            ALICE,
        )
    assert refused.value.status == 404
    silence_id = add(world)
    world.now = NOW + timedelta(hours=5)
    with pytest.raises(OperatorRefused) as ended:
        world.actions().perform(
            REQUEST.validate_python({"action": "silence-expire", "silenceId": silence_id}), ALICE
        )
    assert ended.value.status == 409
    outcomes = [(e.subject, e.outcome.split(":")[0]) for e in world.audit.entries]
    assert outcomes == [
        ("silence:s0000000000000000", "refused"),
        (f"silence:{silence_id}", "added"),
        (f"silence:{silence_id}", "refused"),
    ]


def test_the_scheduled_end_releases_once_and_is_recorded_once() -> None:
    world = World()
    silence_id = add(world)
    keeper = world.keeper()
    assert keeper.ended(silence_id) is None  # not yet: still muting
    world.now = NOW + timedelta(hours=4)
    released = keeper.ended(silence_id)
    assert released is not None
    assert released.case_ids == ("c-muted",)
    keeper.ended(silence_id)  # a retried input: the same notice id, the same entry
    ids = {notice.notice_id for notice in world.notices.published}
    assert ids == {f"c-muted/silence-ended/{silence_id}"}
    ends = [e for e in world.audit.entries if e.action == "silence end"]
    assert {(e.entry_id, e.at, e.actor) for e in ends} == {
        ("ended", NOW + timedelta(hours=4), "bwp-privacy-reaction")
    }


def test_without_a_silences_table_a_request_is_refused() -> None:
    actions = OperatorActions(cast(Any, None), cast(Any, None), Audit(), cast(Any, None), 730)
    with pytest.raises(OperatorRefused, match="SilencesTable"):
        actions.perform(REQUEST.validate_python(SLACK_BODY), ALICE)


def test_a_parked_silence_end_redriven_releases_and_is_the_operators() -> None:
    world = World()
    silence_id = add(world)
    world.now = NOW + timedelta(hours=5)
    redrive = REQUEST.validate_python(
        {
            "action": "redrive",
            "origin": "m-1",
            "input": {"kind": "bwp-privacy.silence-ended", "silenceId": silence_id},
        }
    )
    answer = world.actions().perform(redrive, ALICE)
    assert (answer.outcome, answer.released) == ("released", ("c-muted",))
    entry = next(e for e in world.audit.entries if e.action == "dlq redrive")
    assert (entry.subject, entry.actor, entry.outcome) == (
        f"silence:{silence_id}",
        ALICE,
        "released: 1 open case(s)",
    )
    with pytest.raises(OperatorRefused, match="silenceId"):
        world.actions().perform(
            REQUEST.validate_python(
                {
                    "action": "redrive",
                    "origin": "m-2",
                    "input": {"kind": "bwp-privacy.silence-ended", "silenceId": "x"},
                }
            ),
            ALICE,
        )
