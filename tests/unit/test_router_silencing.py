"""The router's silences stage: a firing alert an active silence matches is not sent but
recorded as muted at each of its receivers; never a resolve, a silence's end, a redrive, or a
case past due or due soon (that alert goes out with a line saying so); and a silence's end is
told only where the silence muted an alert of the case."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bwp_privacy.alerting import (
    BatchSilences,
    Classifier,
    Deliverer,
    Routed,
    apply_silences,
    group_alerts,
)
from bwp_privacy.cases import Case
from bwp_privacy.common import Budget, iso_z
from bwp_privacy.contract import CaseNotice, LookupOutcome, LookupStatus, TaskError, TaskFailure
from bwp_privacy.silences import Silence
from tests.alert_fakes import (
    NOW,
    ROUTES,
    CountingMetrics,
    FakeLedger,
    FakeReceiver,
    ended,
    record,
)

SILENCE = "s0123456789abcdef"
OTHER = "sfedcba9876543210"


def silence(silence_id: str = SILENCE, **match: str) -> Silence:
    return Silence.model_validate(
        {
            "silenceId": silence_id,
            "match": match or {"errorCode": "ORDERS_NOT_CLOSED"},
            "startsAt": NOW - timedelta(hours=1),
            "endsAt": NOW + timedelta(hours=3),
            "createdBy": "arn:aws:iam::123456789012:user/ops",
            "reason": "known: the orders close tonight",
        }
    )


def failure(task_id: str, code: str = "ORDERS_NOT_CLOSED", *, submitted_days_ago: int = 3) -> str:
    return TaskFailure(
        event_id=f"event-{task_id}",
        event_time="2026-11-29T11:00:00Z",
        detail_type="PERSONAL_DATA_DELETION_TASK_FAILED",
        business_product_id="bp-1",
        task_id=task_id,
        status="FAILED",
        submission_date=(NOW - timedelta(days=submitted_days_ago)).isoformat(),
        errors=[TaskError(code=code, message="the orders are open")],
        lookup=LookupOutcome(status=LookupStatus.OK),
        received_at="2026-11-29T11:00:01Z",
    ).model_dump_json(by_alias=True)


def silence_ended(case_id: str, silence_id: str = SILENCE) -> str:
    return CaseNotice.model_validate(
        {
            "noticeId": f"{case_id}/silence-ended/{silence_id}",
            "kind": "silence-ended",
            "silenceId": silence_id,
            "caseId": case_id,
            "businessProductId": "bp-1",
            "taskId": case_id,
            "taskIds": [case_id],
            "attempts": 0,
            "reason": f"silence {silence_id} (errorCode=ORDERS_NOT_CLOSED) ended",
            "advice": "see the case",
            "receivedAt": "2026-11-26T08:00:00Z",
            "planDeadlineAt": "2026-12-20T08:00:00Z",
            "legalDueAt": "2026-12-26T08:00:00Z",
            "daysLeft": 27.0,
            "deadlines": [],
            "noticedAt": NOW.isoformat(),
        }
    ).model_dump_json(by_alias=True)


def routed(*bodies: str, receivers: Sequence[str] = ("slack", "pagerduty")) -> list[Routed]:
    classifier = Classifier(ROUTES, list(receivers), CountingMetrics(), NOW)
    return [classifier.classify(record(body, message_id=f"m{n}")) for n, body in enumerate(bodies)]


@dataclass
class Source:
    silences: list[Silence] = field(default_factory=list)
    reads: int = 0

    def active(self, now: datetime) -> list[Silence]:
        self.reads += 1
        return [s for s in self.silences if s.active(now)]


class Broken:
    def active(self, now: datetime) -> list[Silence]:
        raise ConnectionError("unreachable")

    def cases(self, case_ids: Sequence[str]) -> dict[str, Case]:
        raise ConnectionError("unreachable")


@dataclass
class Cases:
    found: dict[str, Case] = field(default_factory=dict)
    asked: list[list[str]] = field(default_factory=list)

    def cases(self, case_ids: Sequence[str]) -> dict[str, Case]:
        self.asked.append(list(case_ids))
        return {case: self.found[case] for case in case_ids if case in self.found}


def run(
    items: list[Routed],
    *silences: Silence,
    cases: Cases | Broken | None = None,
    ledger: FakeLedger | None = None,
    metrics: CountingMetrics | None = None,
) -> tuple[list[Routed], FakeLedger, CountingMetrics]:
    ledger = ledger or FakeLedger()
    metrics = metrics or CountingMetrics()
    kept, failures = apply_silences(
        items,
        BatchSilences(Source(list(silences)), NOW, metrics),
        cases if cases is not None else Cases(),
        ledger,
        metrics,
        now=NOW,
        due_soon_days=5,
    )
    assert failures == []
    return kept, ledger, metrics


def test_a_matching_firing_alert_is_muted_at_each_receiver_and_counted() -> None:
    kept, ledger, metrics = run(routed(failure("t-1"), failure("t-2", "OTHER_CODE")), silence())
    assert [r.alert.task_id for r in kept] == ["t-2"]
    assert {key: item.silenced for key, item in ledger.incidents.items()} == {
        "slack#t-1": {SILENCE},
        "pagerduty#t-1": {SILENCE},
    }
    assert metrics.counts["AlertsSilenced"] == 2  # one per receiver


def test_every_matcher_must_match() -> None:
    narrow = silence(errorCode="ORDERS_NOT_CLOSED", businessProductId="bp-2")
    kept, ledger, _ = run(routed(failure("t-1")), narrow)
    assert [r.alert.task_id for r in kept] == ["t-1"]
    assert ledger.incidents == {}


def test_an_expired_or_future_silence_mutes_nothing() -> None:
    gone = silence().model_copy(update={"expired_at": NOW - timedelta(minutes=1)})
    kept, _, _ = run(routed(failure("t-1")), gone)
    assert len(kept) == 1


def test_a_resolve_a_silence_end_and_a_redrive_are_never_muted() -> None:
    classifier = Classifier(ROUTES, ["slack"], CountingMetrics(), NOW)
    redrive = classifier.classify(record(failure("t-9"), message_id="m9", redrive_for="slack"))
    items = [*routed(ended("case-1"), silence_ended("case-2")), redrive]
    # A silence on everything of the business product would match each of them.
    kept, ledger, _ = run(items, silence(businessProductId="bp-1"))
    assert len(kept) == 3
    assert ledger.incidents == {}


def test_a_case_past_due_is_sent_with_a_line_saying_the_law_does_not_pause() -> None:
    kept, ledger, metrics = run(routed(failure("t-old", submitted_days_ago=40)), silence())
    [alert] = [r.alert for r in kept]
    assert alert.silence_note is not None
    assert SILENCE in alert.silence_note
    assert "past due" in alert.silence_note
    assert "the law does not pause" in alert.silence_note
    assert ledger.incidents == {}
    assert metrics.counts["SilencesOverruled"] == 1


def test_a_case_due_soon_by_its_own_deadline_is_not_muted() -> None:
    # The case's deadline in force, not the failure's guess: an extension-less case 2 days
    # from its deadline although its failure was submitted 3 days ago.
    from tests.unit.test_silences import open_case

    case = open_case("t-1", due_in_days=2)
    kept, ledger, _ = run(routed(failure("t-1")), silence(), cases=Cases({"t-1": case}))
    [alert] = [r.alert for r in kept]
    assert alert.silence_note is not None
    assert "due soon" in alert.silence_note
    assert ledger.incidents == {}


def test_a_case_on_time_by_its_own_deadline_is_muted() -> None:
    from tests.unit.test_silences import open_case

    cases = Cases({"t-1": open_case("t-1", due_in_days=30)})
    kept, _, _ = run(routed(failure("t-1", submitted_days_ago=40)), silence(), cases=cases)
    assert kept == []
    assert cases.asked == [["t-1"]]


def test_a_case_the_lookup_read_is_judged_by_its_standing_and_not_read_again() -> None:
    from bwp_privacy.alerting.alert import CaseStanding

    def standing(due_in_days: float) -> CaseStanding:
        due = iso_z(NOW + timedelta(days=due_in_days), "seconds")
        return CaseStanding(state="WAITING", ended=False, due_at=due)

    soon, later = routed(failure("t-1")), routed(failure("t-2", submitted_days_ago=40))
    soon = [replace(r, alert=r.alert.model_copy(update={"case": standing(2)})) for r in soon]
    later = [replace(r, alert=r.alert.model_copy(update={"case": standing(30)})) for r in later]
    cases = Cases()
    kept, ledger, _ = run([*soon, *later], silence(), cases=cases)
    assert cases.asked == []
    [alert] = [r.alert for r in kept]
    assert alert.case_id == "t-1"
    assert alert.silence_note is not None
    assert "due soon" in alert.silence_note
    assert set(ledger.incidents) == {"slack#t-2", "pagerduty#t-2"}


def test_cases_are_read_only_when_a_silence_matches() -> None:
    cases = Cases()
    run(routed(failure("t-1", "OTHER_CODE")), silence(), cases=cases)
    assert cases.asked == []


def test_unreadable_silences_mute_nothing_and_are_counted() -> None:
    metrics = CountingMetrics()
    kept, failures = apply_silences(
        routed(failure("t-1")),
        BatchSilences(Broken(), NOW, metrics),
        Cases(),
        FakeLedger(),
        metrics,
        now=NOW,
        due_soon_days=5,
    )
    assert len(kept) == 1
    assert failures == []
    assert metrics.counts["SilencesUnreadable"] == 1


def test_unreadable_cases_mute_nothing() -> None:
    kept, ledger, _ = run(routed(failure("t-1")), silence(), cases=Broken())
    [alert] = [r.alert for r in kept]
    assert alert.silence_note is not None
    assert "could not be read" in alert.silence_note
    assert ledger.incidents == {}


class DownLedger(FakeLedger):
    def mark_silenced(self, receiver: str, case_id: str, silence_id: str, until: int) -> bool:
        raise ConnectionError("ledger down")


def test_a_muted_delivery_the_ledger_cannot_record_is_retried() -> None:
    metrics = CountingMetrics()
    kept, failures = apply_silences(
        routed(failure("t-1")),
        BatchSilences(Source([silence()]), NOW, metrics),
        Cases(),
        DownLedger(),
        metrics,
        now=NOW,
        due_soon_days=5,
    )
    assert kept == []
    assert [(r.message_id, type(e).__name__) for r, e in failures] == [("m0", "ConnectionError")]


def test_the_silences_are_read_once_per_batch() -> None:
    source = Source([silence()])
    batch = BatchSilences(source, NOW, CountingMetrics())
    apply_silences(
        routed(failure("t-1"), failure("t-2")),
        batch,
        Cases(),
        FakeLedger(),
        CountingMetrics(),
        now=NOW,
        due_soon_days=5,
    )
    assert batch.ids() == frozenset({SILENCE})
    assert source.reads == 1


# ---- a silence's end, at the deliverer -------------------------------------------------------


def deliver_end(
    ledger: FakeLedger, *, still_active: frozenset[str] = frozenset()
) -> tuple[FakeReceiver, CountingMetrics]:
    slack, metrics = FakeReceiver("slack", grouped=True), CountingMetrics()
    groups = group_alerts(routed(silence_ended("t-1"), receivers=["slack"]))["slack"]
    Deliverer(
        "slack",
        slack,
        ledger,
        metrics,
        budget=Budget(None, 0.0),
        active_silences=lambda: still_active,
    ).deliver(groups)
    return slack, metrics


def test_a_silence_end_is_told_where_it_muted_an_alert_then_cleared() -> None:
    _, ledger, _ = run(routed(failure("t-1"), receivers=["slack"]), silence())
    slack, _ = deliver_end(ledger)
    assert slack.seen == [("firing", "t-1")]
    assert ledger.incidents["slack#t-1"].silenced == set()
    again, _ = deliver_end(ledger)  # the same notice again: already told
    assert again.seen == []


def test_a_silence_end_that_muted_nothing_here_is_not_sent() -> None:
    slack, metrics = deliver_end(FakeLedger())
    assert slack.seen == []
    assert metrics.counts["SilenceEndsNotNeeded"] == 1


def test_a_silence_end_waits_while_another_silence_still_mutes_the_case() -> None:
    ledger = FakeLedger()
    ledger.mark_silenced("slack", "t-1", SILENCE, 0)
    ledger.mark_silenced("slack", "t-1", OTHER, 0)
    slack, _ = deliver_end(ledger, still_active=frozenset({OTHER}))
    assert slack.seen == []
    assert ledger.incidents["slack#t-1"].silenced == {OTHER}


def test_an_alert_sent_clears_what_the_silences_owed() -> None:
    ledger = FakeLedger()
    ledger.mark_silenced("slack", "t-1", SILENCE, 0)
    slack = FakeReceiver("slack", grouped=True)
    groups = group_alerts(routed(failure("t-1"), receivers=["slack"]))["slack"]
    Deliverer("slack", slack, ledger, CountingMetrics(), budget=Budget(None, 0.0)).deliver(groups)
    assert ledger.incidents["slack#t-1"].silenced == set()
    told, _ = deliver_end(ledger)
    assert told.seen == []
