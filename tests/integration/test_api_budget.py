"""The API budget's shared schedule in DynamoDB (moto in server mode), with the recorder's
role: slots spaced one interval apart whoever takes them, a slot too far off refused with
the wait, an idle budget sending at once."""

from __future__ import annotations

import itertools
import math
import threading
from collections import Counter

import pytest

from bwp_privacy.api_budget import API_KEY, TOKEN_KEY, BudgetSpent, DynamoPacer
from bwp_privacy_cli.local import LocalFunction, LocalLambdaContext
from bwp_sandbox.admin import admin_client
from bwp_sandbox.sandbox import RECORDER, Sandbox
from tests.conftest import load_event


def _pacer(sandbox: Sandbox, rate: float, clock: list[float], slept: list[float]) -> DynamoPacer:
    return DynamoPacer(
        sandbox.recorder.client("dynamodb"),
        sandbox.stack.resources["ApiBudgetTable"].ref,
        f"{API_KEY}-test-{rate}-{len(slept)}-{clock[0]}",
        rate,
        clock=lambda: clock[0],
        sleep=slept.append,
    )


def test_slots_queue_one_interval_apart_and_a_caller_waits_for_its_own(sandbox: Sandbox) -> None:
    clock, slept = [1000.0], list[float]()
    pacer = _pacer(sandbox, 4, clock, slept)
    starts = [pacer.take(within=None) for _ in range(6)]
    assert starts == pytest.approx([1000.0, 1000.25, 1000.5, 1000.75, 1001.0, 1001.25])
    # The first went at once; each other slept until its slot (the clock stood still).
    assert slept == pytest.approx([0.25, 0.5, 0.75, 1.0, 1.25])


def test_a_slot_further_off_than_the_caller_can_wait_is_refused_with_the_wait(
    sandbox: Sandbox,
) -> None:
    clock, slept = [2000.0], list[float]()
    pacer = _pacer(sandbox, 2, clock, slept)
    for _ in range(4):
        pacer.take(within=1.5)  # slots at 0, 0.5, 1.0, 1.5
    with pytest.raises(BudgetSpent) as spent:
        pacer.take(within=1.5)  # the next is 2.0 s away
    assert spent.value.wait_seconds == pytest.approx(2.0)
    # Nothing was taken by the refusal: a caller that can wait takes that very slot.
    assert pacer.take(within=2.0) == pytest.approx(2002.0)
    # Once the queue has gone by, the budget is idle: the next request goes at once.
    clock[0] = 2010.0
    assert pacer.take(within=0.0) == pytest.approx(2010.0)


def test_while_the_schedule_is_busy_a_take_or_a_refusal_is_one_write(sandbox: Sandbox) -> None:
    """In a storm every environment writes the one item: a take costs one conditional write
    once the environment has seen the schedule busy, a refusal too; and once the queue has
    gone by, the idle write comes back."""
    clock, slept = [3000.0], list[float]()
    pacer = _pacer(sandbox, 2, clock, slept)

    def writes() -> int:
        return sum(
            1
            for r in sandbox.aws.iam.records()
            if r.function == RECORDER and r.operation == "dynamodb:UpdateItem"
        )

    sandbox.aws.iam.reset_records()
    pacer.take(within=10.0)  # idle: one write
    pacer.take(within=10.0)  # busy, seen for the first time: the idle write refused, then one
    assert writes() == 3
    pacer.take(within=10.0)
    with pytest.raises(BudgetSpent):
        pacer.take(within=0.5)  # the next slot is 1.5 s away
    assert writes() == 5  # one each
    clock[0] = 3100.0  # the queue has gone by
    assert pacer.take(within=0.0) == pytest.approx(3100.0)
    assert pacer.take(within=10.0) == pytest.approx(3100.5)


def _oversleeping(sandbox: Sandbox, key: str, start: float, late: float) -> DynamoPacer:
    """A pacer at 4 a second whose every sleep ends ``late`` seconds after it should."""
    clock = [start]

    def oversleep(seconds: float) -> None:
        clock[0] += seconds + late

    return DynamoPacer(
        sandbox.recorder.client("dynamodb"),
        sandbox.stack.resources["ApiBudgetTable"].ref,
        f"{API_KEY}-{key}",
        4,
        clock=lambda: clock[0],
        sleep=oversleep,
    )


def test_a_sender_late_within_its_slots_second_sends(sandbox: Sandbox) -> None:
    """Woken late but still in its slot's second, a sender sends: that second holds no more
    slots than the rate, whoever sends them when."""
    pacer = _oversleeping(sandbox, "late", 4000.0, late=0.3)
    assert pacer.take(within=None) == 4000.0  # idle: at once
    assert pacer.take(within=None) == pytest.approx(4000.25)  # woken at 4000.55
    assert pacer.slots_let_go == 0


def test_a_sender_woken_in_the_next_second_lets_its_slot_go(sandbox: Sandbox) -> None:
    """In the next second, the request would count in a second that holds its own slots
    already (a busy processor, a slow answer): the sender takes another slot."""
    pacer = _oversleeping(sandbox, "next-second", 5000.65, late=0.15)
    assert pacer.take(within=None) == pytest.approx(5000.65)
    # Its slot 5000.9, woken at 5001.05: let go; the next, 5001.15, woken at 5001.3: sent.
    assert pacer.take(within=None) == pytest.approx(5001.15)
    assert pacer.slots_let_go == 1


def test_environments_taking_slots_at_once_never_share_one(sandbox: Sandbox) -> None:
    """Eight environments, ten requests each, all at once on the real clock (sleeping is
    left out: only the slots handed out are judged, so a slow machine changes nothing)."""
    rate = 10
    table = sandbox.stack.resources["ApiBudgetTable"].ref
    starts: list[float] = []
    lock = threading.Lock()

    def environment() -> None:
        pacer = DynamoPacer(
            sandbox.recorder.client("dynamodb"),
            table,
            f"{API_KEY}-threads",
            rate,
            sleep=lambda seconds: None,
        )
        for _ in range(10):
            start = pacer.take(within=None)
            assert start is not None
            with lock:
                starts.append(start)

    threads = [threading.Thread(target=environment) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    starts.sort()
    assert len(starts) == 80
    assert all(b - a >= 1 / rate - 1e-6 for a, b in itertools.pairwise(starts))
    assert max(Counter(math.floor(s) for s in starts).values()) <= rate


def test_the_recorder_takes_its_token_and_its_lookup_from_the_budget(
    app: LocalFunction, sandbox: Sandbox
) -> None:
    """A cold environment's token request takes a slot of the token requests' own pace and
    one of the budget; its lookup one more: three updates of the budget's items, the
    recorder's own role allowing them (the sandbox refuses a call without a grant)."""
    table = sandbox.stack.resources["ApiBudgetTable"].ref
    sandbox.aws.iam.reset_records()
    result = app.handler(load_event(), LocalLambdaContext())
    assert result["published"] is True
    updates = [
        r.operation
        for r in sandbox.aws.iam.records()
        if r.function == RECORDER and r.operation == "dynamodb:UpdateItem"
    ]
    # The token's two slots, the lookup's, and the mark; the lookup's slot takes two updates
    # when it comes within one interval of the token's (a fast token answer: the sandbox's).
    assert len(updates) in (4, 5)
    items = admin_client("dynamodb").scan(TableName=table, ConsistentRead=True)["Items"]
    assert {item["pk"]["S"] for item in items} >= {API_KEY, TOKEN_KEY}
    assert all(set(item) == {"pk", "tat"} for item in items)  # a time, nothing else


def test_a_slot_let_go_is_replaced_only_within_the_time_first_asked_for(sandbox: Sandbox) -> None:
    """The caller could wait 0.3 s when it asked: woken in the next second, past that, it has
    no time left for another slot, and says so instead of overrunning its invocation."""
    pacer = _oversleeping(sandbox, "late-within", 6000.7, late=0.3)
    assert pacer.take(within=0.3) == pytest.approx(6000.7)
    with pytest.raises(BudgetSpent):
        pacer.take(within=0.3)  # slot 6000.95, woken at 6001.25: let go, and no time left
    assert pacer.slots_let_go == 1
