"""Per-receiver delivery ledger: each case's incident, told to each receiver once per step.

SNS, SQS and Lambda all deliver at least once, and a case's inputs arrive in any order. The
ledger keeps one item per (receiver, case), ``deliveryKey`` = ``{receiver}#case#{caseId}``:

- ``sent``: the transitions already delivered (``failed/<task>``, ``notice/<id>``,
  ``resolved``), each until the end of its route's repeat window;
- ``parked``: the transitions the receiver refused for good (they wait in the dead-letter
  queue; a redrive takes them back);
- ``openedAt`` and ``sendResolved``: a firing alert of the case reached the receiver (or may
  have: a send whose answer was lost counts), and whether a route that sent it there wants
  the resolve too;
- ``endedAt``: the case's resolve was handled here (sent, or not needed because no firing
  alert ever reached the receiver). A firing alert that arrives after it is not sent: the
  case already ended;
- ``thread``: where the case's message lives in a receiver that edits it (Slack's bot mode);
- ``silencedBy`` (a string set) and ``silencedUntil``: the silences that muted an alert of the
  case here, and the end of the latest. A silence's end is told here only if it is in the
  set; a firing alert that goes out takes off the silences its claim saw (the receiver is up
  to date).

One delivery at a time holds an item (``claimToken`` with a lease): a resolve never overtakes
the trigger it resolves, and a claim whose holder crashed expires with its lease, so nothing
is lost. Every write after the claim is conditional on still holding it, so a holder that
outlived its lease (a thread frozen with its invocation and thawed later) changes nothing.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bwp_privacy.alerting.alert import RESOLVED_TRANSITION as RESOLVED
from bwp_privacy.alerting.delivery import ThreadRef

#: How long an incident's item is kept after its last write: longer than any case stays open
#: (a deadline of 45 days plus an extension of 45), so a late trigger of an ended case is
#: still recognised as late.
INCIDENT_KEEP_SECONDS = 400 * 86_400


class ClaimState(StrEnum):
    CLAIMED = "CLAIMED"
    ALREADY_DELIVERED = "ALREADY_DELIVERED"
    IN_PROGRESS = "IN_PROGRESS"
    PARKED = "PARKED"
    #: The case's resolve was handled at this receiver: nothing more is sent for the case.
    ENDED = "ENDED"


@dataclass(frozen=True)
class Claim:
    """A claimed (or refused) delivery of one transition of one case to one receiver, with
    what the receiver was told of the case before."""

    state: ClaimState
    key: str
    token: str
    transition: str
    opened: bool = False
    send_resolved: bool = False
    thread: ThreadRef | None = None
    #: The silences that muted an alert of the case at this receiver.
    silenced_by: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Delivered:
    """A claim whose transition went out: the route's wish for the resolve, and the message
    the receiver started for the case (Slack's bot mode)."""

    claim: Claim
    send_resolved: bool = False
    thread: ThreadRef | None = None


class DeliveryLedger:
    """DynamoDB table keyed by ``deliveryKey``; TTL ``expiresAt``."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        lease_seconds: int = 300,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._table = table_name
        self._lease = lease_seconds
        self._clock = clock

    def claim(
        self, receiver: str, case_id: str, transition: str, *, retry_parked: bool = False
    ) -> Claim:
        """Take the (receiver, case) item to deliver ``transition``, unless that transition
        is delivered or parked (within its window), the case ended here, or another delivery
        holds the item; ``retry_parked`` (a redrive) takes a parked transition back."""
        token = uuid.uuid4().hex
        now = int(self._clock())
        key = delivery_key(receiver, case_id)
        condition = [
            "(attribute_not_exists(leaseUntil) OR leaseUntil < :now)",
            "attribute_not_exists(endedAt)",
            "(attribute_not_exists(#sent.#t) OR #sent.#t < :now)",
        ]
        if not retry_parked:
            condition.append("(attribute_not_exists(#parked.#t) OR #parked.#t < :now)")
        try:
            answer = self._client.update_item(
                TableName=self._table,
                Key={"deliveryKey": {"S": key}},
                # The maps are made here, so every later write can set a path inside them.
                UpdateExpression=(
                    "SET receiver = :receiver, caseId = :case, claimToken = :token,"
                    " leaseUntil = :lease, expiresAt = :expires,"
                    " #sent = if_not_exists(#sent, :empty),"
                    " #parked = if_not_exists(#parked, :empty)"
                ),
                ConditionExpression=" AND ".join(condition),
                ExpressionAttributeNames={"#sent": "sent", "#parked": "parked", "#t": transition},
                ExpressionAttributeValues={
                    ":receiver": {"S": receiver},
                    ":case": {"S": case_id},
                    ":token": {"S": token},
                    ":now": {"N": str(now)},
                    ":lease": {"N": str(now + self._lease)},
                    ":expires": {"N": str(now + INCIDENT_KEEP_SECONDS)},
                    ":empty": {"M": {}},
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._client.exceptions.ConditionalCheckFailedException as error:
            old = error.response.get("Item", {})
            return Claim(state=_refusal(old, transition, now), key=key, token="", transition="")
        item = answer["Attributes"]
        thread = item.get("thread", {}).get("M")
        return Claim(
            state=ClaimState.CLAIMED,
            key=key,
            token=token,
            transition=transition,
            opened="openedAt" in item,
            send_resolved=item.get("sendResolved", {}).get("BOOL", False),
            thread=ThreadRef(thread["channel"]["S"], thread["ts"]["S"]) if thread else None,
            silenced_by=frozenset(item.get("silencedBy", {}).get("SS", [])),
        )

    def mark_silenced(self, receiver: str, case_id: str, silence_id: str, until: int) -> bool:
        """A firing alert of the case was not sent here: ``silence_id`` muted it (until
        ``until``, epoch seconds). Its end is then told here. False when the case already
        ended here (nothing to tell later). No claim is taken: nothing is sent, and the set
        only grows, so it may be written beside a delivery in progress."""
        now = int(self._clock())
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"deliveryKey": {"S": delivery_key(receiver, case_id)}},
                UpdateExpression=(
                    "SET receiver = :receiver, caseId = :case, silencedUntil = :until,"
                    " expiresAt = :expires ADD silencedBy :silence"
                ),
                ConditionExpression="attribute_not_exists(endedAt)",
                ExpressionAttributeValues={
                    ":receiver": {"S": receiver},
                    ":case": {"S": case_id},
                    ":until": {"N": str(until)},
                    ":expires": {"N": str(now + INCIDENT_KEEP_SECONDS)},
                    ":silence": {"SS": [silence_id]},
                },
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def unmute(self, claim: Claim, silence_id: str) -> list[str]:
        """A silence's end with nothing to tell here (another silence still mutes the case):
        the silence is taken off the item, which is given back."""
        now = int(self._clock())
        values = {":silence": {"SS": [silence_id]}}
        return self._write(
            [self._held(claim, "", values, now, {}, extra=" DELETE silencedBy :silence")]
        )

    def mark_delivered(
        self, delivered: Sequence[Delivered], repeat_window_seconds: int
    ) -> list[str]:
        """Record each transition as delivered (a firing one for the repeat window, opening
        the case here; a resolve ending it) and give the items back. Returns the keys whose
        lease was lost meanwhile (nothing was written there)."""
        now = int(self._clock())
        updates = []
        for done in delivered:
            claim = done.claim
            values: dict[str, Any] = {":until": {"N": str(now + repeat_window_seconds)}}
            clear = ""
            if claim.transition == RESOLVED:
                sets = "#sent.#t = :until, endedAt = :now, resolvedAt = :now"
            else:
                sets = (
                    "#sent.#t = :until, openedAt = if_not_exists(openedAt, :now),"
                    " sendResolved = :resolve"
                )
                values[":resolve"] = {"BOOL": claim.send_resolved or done.send_resolved}
            if done.thread is not None:
                sets += ", thread = :thread"
                values[":thread"] = {
                    "M": {"channel": {"S": done.thread.channel}, "ts": {"S": done.thread.ts}}
                }
            if claim.transition != RESOLVED and claim.silenced_by:
                # The receiver now has the case's latest: the ends of the silences the claim
                # saw are owed to it no more (one that muted the case meanwhile still is).
                clear = " DELETE silencedBy :seen"
                values[":seen"] = {"SS": sorted(claim.silenced_by)}
            updates.append(self._held(claim, sets, values, now, {"#sent": "sent"}, extra=clear))
        return self._write(updates)

    def mark_ended(self, claim: Claim) -> list[str]:
        """The case ended with no resolve to send here (no firing alert of it reached this
        receiver, or its routes do not send resolves): a late trigger is not sent either."""
        now = int(self._clock())
        return self._write([self._held(claim, "endedAt = :now", {}, now, {})])

    def mark_parked(self, claim: Claim, repeat_window_seconds: int) -> list[str]:
        """The receiver refused the transition for good and it waits in the dead-letter queue:
        redeliveries skip it for the repeat window, a redrive takes it back."""
        now = int(self._clock())
        values = {":until": {"N": str(now + repeat_window_seconds)}}
        return self._write(
            [self._held(claim, "#parked.#t = :until", values, now, {"#parked": "parked"})]
        )

    def release(
        self, claim: Claim, *, maybe_sent: bool = False, send_resolved: bool = False
    ) -> None:
        """Give the item back after a failed delivery, so the retry can take it at once. A
        firing alert whose send may have reached the receiver (its answer was lost) opens the
        case here anyway: its resolve must follow whatever the retry finds."""
        now = int(self._clock())
        sets, values = "", {}
        if maybe_sent and claim.transition != RESOLVED:
            sets = "openedAt = if_not_exists(openedAt, :now), sendResolved = :resolve"
            values = {":resolve": {"BOOL": claim.send_resolved or send_resolved}}
        update = self._held(claim, sets, values, now, {})
        # A failed condition means someone else holds the item now: theirs to finish.
        with contextlib.suppress(self._client.exceptions.ConditionalCheckFailedException):
            self._client.update_item(**update)

    def _held(
        self,
        claim: Claim,
        sets: str,
        values: dict[str, Any],
        now: int,
        names: dict[str, str],
        *,
        extra: str = "",
    ) -> dict[str, Any]:
        """An update of an item this claim holds, that gives it back; conditional on still
        holding it."""
        if claim.state is not ClaimState.CLAIMED:
            raise ValueError(f"ledger: {claim.key} was not claimed")
        if "#t" in sets:
            names = {**names, "#t": claim.transition}
        expression = (f"SET {sets} " if sets else "") + "REMOVE claimToken, leaseUntil" + extra
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": {"deliveryKey": {"S": claim.key}},
            "UpdateExpression": expression,
            "ConditionExpression": "claimToken = :token",
            "ExpressionAttributeValues": {
                ":token": {"S": claim.token},
                **values,
                **({":now": {"N": str(now)}} if ":now" in sets else {}),
            },
        }
        if names:
            update["ExpressionAttributeNames"] = names
        return update

    def _write(self, updates: list[dict[str, Any]]) -> list[str]:
        """Apply held-item updates, one conditional update each (a transaction would tie a
        group's items together: one lost lease would refuse every write-back). An item whose
        lease was lost is left as its new holder has it, and returned."""
        lost: list[str] = []
        for update in updates:
            try:
                self._client.update_item(**update)
            except self._client.exceptions.ConditionalCheckFailedException:
                lost.append(update["Key"]["deliveryKey"]["S"])
        return lost


def delivery_key(receiver: str, case_id: str) -> str:
    return f"{receiver}#case#{case_id}"


def _refusal(old: dict[str, Any], transition: str, now: int) -> ClaimState:
    """Why a claim was refused, the transition's own record first (a redelivered trigger of
    an ended case was delivered, not suppressed)."""
    if _until(old, "sent", transition) >= now:
        return ClaimState.ALREADY_DELIVERED
    if _until(old, "parked", transition) >= now:
        return ClaimState.PARKED
    if "endedAt" in old:
        return ClaimState.ENDED
    return ClaimState.IN_PROGRESS


def _until(item: dict[str, Any], field: str, transition: str) -> int:
    value = item.get(field, {}).get("M", {}).get(transition, {}).get("N")
    return int(value) if value is not None else -1
