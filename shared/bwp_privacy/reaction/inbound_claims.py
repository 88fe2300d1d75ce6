"""Each inbound action carried out once: a claim on its id in the cases table, taken before
anything is done and marked done after.

A verified request may come twice (Slack retries, a replay within the signature's window,
PagerDuty redelivers by event id; SQS itself delivers at least once). The claim is an item
``INBOUND#slack#<requestId>`` / ``INBOUND#pagerduty#<eventId>``, written with a condition:

- absent: taken (``claim = claimed`` with a lease), the action is carried out, then the item
  says ``done``: every later copy finds it done and does nothing.
- ``claimed`` with a live lease: another invocation is carrying it out right now. This copy
  fails (`InboundBusy`) and comes back after the queue's visibility timeout, when it finds the
  action done, or the lease run out.
- ``claimed`` with a lease run out: the invocation that held it died midway (a timeout, a
  crash). This copy takes it over and carries the action out, so that a request is never
  lost to a half-done attempt. What it may find half done is safe to do again: a case
  closed already is unchanged, a resubmission's task start carries its attempt's client
  token, an audit entry of an event has a stable key.

A claim that failed for a reason the queue's retry may cure is released at once (its lease
set to 0), so the retry does not wait for the lease. Claims expire (TTL ``expiresAt``) after
`KEEP`: far longer than Slack's 5-minute window, PagerDuty's redeliveries and the queue's
retention. The items carry no ``state`` (the ``ByState`` index of cases): no reader of cases
ever sees one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from bwp_privacy.common import RetryableError, utc_now

#: What a claim's key starts with (a case's is ``CASE#``, a task's ``TASK#``).
INBOUND_PREFIX = "INBOUND#"
#: How long a claim is kept: replays are refused for as long.
KEEP = timedelta(days=7)
#: How long a claim is held by the invocation that took it: twice ReactionFunction's timeout
#: (60 s), so a live invocation is never overtaken; well under InboundQueue's visibility
#: timeout (360 s), so the retry of one that died finds the lease run out.
LEASE = timedelta(seconds=120)

CLAIMED = "claimed"
DONE = "done"


class InboundBusy(RetryableError):
    """Another invocation holds the claim of this action now: the record is retried later."""


class Claims(Protocol):
    """Where inbound actions are claimed (the cases table; a dict in tests of the rest)."""

    def claim(self, key: str) -> bool: ...

    def done(self, key: str, outcome: str) -> None: ...

    def release(self, key: str) -> None: ...


def claim_key(source: str, ref: str) -> str:
    """The claim's key of an action (``INBOUND#slack#<requestId>``)."""
    return f"{INBOUND_PREFIX}{source}#{ref}"


class InboundClaims:
    """Claims of inbound actions in the cases table (PutItem and GetItem, both granted)."""

    def __init__(
        self, client: Any, table_name: str, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._client = client
        self._table = table_name
        self._clock = clock

    def claim(self, key: str) -> bool:
        """True when this invocation now holds the claim and must carry the action out; False
        when the action was carried out already. `InboundBusy` while another holds it."""
        now = self._clock()
        try:
            self._client.put_item(
                TableName=self._table,
                Item=self._item(key, CLAIMED, now, lease_until=now + LEASE),
                ConditionExpression=(
                    "attribute_not_exists(pk) OR (#claim = :claimed AND leaseUntil < :now)"
                ),
                ExpressionAttributeNames={"#claim": "claim"},
                ExpressionAttributeValues={
                    ":claimed": {"S": CLAIMED},
                    ":now": {"N": str(int(now.timestamp()))},
                },
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            found = self._client.get_item(
                TableName=self._table, Key={"pk": {"S": key}}, ConsistentRead=True
            ).get("Item", {})
            if found.get("claim", {}).get("S") == DONE:
                return False
            raise InboundBusy(
                "another invocation is carrying out this inbound action now"
            ) from None
        return True

    def done(self, key: str, outcome: str) -> None:
        """The action was carried out: every later copy of it does nothing."""
        item = self._item(key, DONE, self._clock())
        item["outcome"] = {"S": outcome}
        self._client.put_item(TableName=self._table, Item=item)

    def release(self, key: str) -> None:
        """The action failed midway: its retry may take the claim at once."""
        now = self._clock()
        self._client.put_item(
            TableName=self._table,
            Item=self._item(key, CLAIMED, now, lease_until=None),
            ConditionExpression="#claim = :claimed",
            ExpressionAttributeNames={"#claim": "claim"},
            ExpressionAttributeValues={":claimed": {"S": CLAIMED}},
        )

    def _item(
        self,
        key: str,
        claim: str,
        now: datetime,
        lease_until: datetime | None = None,
    ) -> dict[str, Any]:
        return {
            "pk": {"S": key},
            "claim": {"S": claim},
            "leaseUntil": {"N": str(int(lease_until.timestamp()) if lease_until else 0)},
            "expiresAt": {"N": str(int((now + KEEP).timestamp()))},
        }
