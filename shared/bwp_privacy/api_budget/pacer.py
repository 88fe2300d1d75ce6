"""Pacers: what a caller asks for a slot before each request to Buy with Prime.

`DynamoPacer` keeps the shared schedule (`gcra`) in one item of ApiBudgetTable, moved by
conditional updates, so every environment of every function shares it:

1. idle (``tat`` unset or past): ``SET tat = now + interval`` on condition ``tat <= now``;
   the slot is now;
2. busy: ``SET tat = tat + interval`` on condition ``tat > now AND tat <= latest``; the slot is
   the new ``tat`` less one interval, and the caller sleeps until then;
3. neither: the queue is longer than the caller can wait (`BudgetSpent`), or it went idle
   between the two writes (step 1 again).

While the schedule is busy an environment starts at step 2, so that a take costs one write.
A caller that comes to its slot in a later second does not send: it takes another slot, so
that every request goes in the second of its slot.

Each update is atomic on the item, so no two callers get one slot. A slot the SDK's retry
takes twice (an answer lost on the way) is only a slot wasted: the rate stays under.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, Protocol

from bwp_privacy.api_budget.gcra import next_allowed, take_slot
from bwp_privacy.common import BwpPrivacyError

#: The item of every GraphQL and token request, and the item of token requests alone.
API_KEY = "bwp-api"
TOKEN_KEY = "bwp-api-token"  # noqa: S105 (an item key, not a secret)
#: Rounds of step 1 and 2 before giving up (each lost to a queue that just emptied, or to a
#: slot come to too late).
_ROUNDS = 5


class BudgetSpent(BwpPrivacyError):
    """No slot of the budget within the time the caller can wait; ``wait_seconds`` is how
    long the queue was when asked (a retry sooner finds it no shorter)."""

    def __init__(self, wait_seconds: float) -> None:
        self.wait_seconds = max(wait_seconds, 0.0)
        super().__init__(f"API budget spent: the next free slot is {self.wait_seconds:.1f} s away")


class Pacer(Protocol):
    def take(self, within: float | None) -> float | None:
        """Return at the caller's slot (having slept until it), the slot's time (None when
        nothing is paced); `BudgetSpent` if the slot is more than ``within`` seconds away
        (None: any wait)."""


class Unpaced:
    """No shared budget (a local script, a test of something else): every request goes."""

    def take(self, within: float | None) -> float | None:
        return None


class DynamoPacer:
    """The shared schedule of ``key`` in ``table``, at ``rate`` requests per second."""

    def __init__(
        self,
        client: Any,
        table: str,
        key: str,
        rate: float,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._table = table
        self._key = {"pk": {"S": key}}
        # Rounded up to the microsecond the item stores: never closer than 1 / rate.
        self._interval = math.ceil(1_000_000 / rate) / 1_000_000
        # Epoch time, not monotonic: every environment's clock is NTP-synchronised, and the
        # schedule is shared between them.
        self._clock = clock
        self._sleep = sleep
        #: Whether the schedule was busy at this environment's last take (a hint only).
        self._busy = False
        self._late = 0

    def take(self, within: float | None) -> float | None:
        wait = 0.0
        # Fixed at the ask: a round after a late wake has that much less time to wait.
        latest = None if within is None else self._clock() + within
        for _ in range(_ROUNDS):
            now = self._clock()
            if latest is not None and now > latest:
                raise BudgetSpent(wait)  # a late wake used the time the caller had
            # Step 1 is skipped while the schedule was busy at the last take: in a storm a
            # take (or a refusal) is then one write, not two, on an item every environment
            # writes (the partition's 1,000 writes a second are its ceiling).
            if not self._busy:
                if self._take_idle(now):
                    if self._on_time(now):
                        return now
                    self._late += 1
                    continue
                self._busy = True
            start, tat = self._take_queued(now, latest)
            if start is not None:
                delay = start - self._clock()
                if delay > 0:
                    self._sleep(delay)
                if self._on_time(start):
                    return start
                # Woken (or answered) too late: sent now, it would land beside the slots
                # after it. The slot is left unused; the next round takes another.
                self._late += 1
                continue
            if tat is not None and tat > now and take_slot(tat, now, latest) is None:
                raise BudgetSpent(tat - now)
            # The queue emptied since (``tat`` past, or never set): the idle step again.
            self._busy = False
            wait = 0.0
        raise BudgetSpent(wait)

    @property
    def slots_let_go(self) -> int:
        """Slots this pacer let go because it came to them too late."""
        return self._late

    def _on_time(self, start: float) -> bool:
        """Whether a request sent now is sent in its slot's second: no second then holds more
        requests than the rate, however late a sender wakes or its update is answered (a busy
        processor, a slow write). Within the second, a token bucket of the rate takes them."""
        return math.floor(self._clock()) <= math.floor(start)

    def _take_idle(self, now: float) -> bool:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key,
                UpdateExpression="SET tat = :next",
                ConditionExpression="attribute_not_exists(tat) OR tat <= :now",
                ExpressionAttributeValues={
                    ":now": _number(now),
                    ":next": _number(next_allowed(now, self._interval)),
                },
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def _take_queued(self, now: float, latest: float | None) -> tuple[float | None, float | None]:
        """(the slot taken, None) or (None, the ``tat`` that refused it: None if unset)."""
        condition = "tat > :now" if latest is None else "tat > :now AND tat <= :latest"
        values = {":now": _number(now), ":interval": _number(self._interval)}
        if latest is not None:
            values[":latest"] = _number(latest)
        try:
            answer = self._client.update_item(
                TableName=self._table,
                Key=self._key,
                UpdateExpression="SET tat = tat + :interval",
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
                ReturnValues="UPDATED_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._client.exceptions.ConditionalCheckFailedException as error:
            old = (error.response.get("Item") or {}).get("tat")
            return None, (float(old["N"]) if old else None)
        return float(answer["Attributes"]["tat"]["N"]) - self._interval, None


def _number(value: float) -> dict[str, str]:
    # Microseconds: DynamoDB's numbers are decimal, so tat + interval adds up exactly.
    return {"N": f"{value:.6f}"}
