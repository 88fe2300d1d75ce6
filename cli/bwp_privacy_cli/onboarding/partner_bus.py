"""The partner event source and its bus, in the merchant's account.

Buy with Prime's first subscription creates the partner event source
``aws.partner/buywithprime/NAME`` (PENDING); events to it are dropped until an event bus of
the same name is created with ``EventSourceName`` (then it is ACTIVE). That association is
setup's, not the stack's: the bus must exist before the stack puts its rules on it, and it
outlives the stack, so that deleting or recreating the stack never sends the source back to
PENDING (and drops what Buy with Prime sends meanwhile). Order: source, bus, rules.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

from bwp_privacy.common import BwpPrivacyError

#: What associating did.
Associated = Literal["associated", "unchanged"]
#: How long a new source may take to appear after the first subscription (polled).
SOURCE_WAIT_SECONDS = 60.0
POLL_SECONDS = 2.0


class PartnerBusError(BwpPrivacyError):
    """The source cannot be associated; the message says what to do."""


def source_state(events: Any, source: str) -> str | None:
    """The partner event source's state (PENDING, ACTIVE, DELETED), or None when the account
    has no such source."""
    try:
        state = events.describe_event_source(Name=source).get("State")
    except events.exceptions.ResourceNotFoundException:
        return None
    return str(state) if state else None


def bus_exists(events: Any, name: str) -> bool:
    try:
        events.describe_event_bus(Name=name)
    except events.exceptions.ResourceNotFoundException:
        return False
    return True


def associate(
    events: Any,
    source: str,
    *,
    wait_seconds: float = SOURCE_WAIT_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Associated:
    """Give ``source`` its bus (same name), waiting up to ``wait_seconds`` for the source to
    appear; "unchanged" when it already has it."""
    deadline = clock() + wait_seconds
    state = source_state(events, source)
    while state is None and clock() < deadline:
        sleep(POLL_SECONDS)
        state = source_state(events, source)
    if state is None:
        raise PartnerBusError(
            f"no partner event source {source} in this account and region: Buy with Prime"
            " creates it with the first subscription (the account and region it was made for"
            " must be these)"
        )
    if state == "DELETED":
        raise PartnerBusError(
            f"partner event source {source} was deleted (a source left PENDING expires):"
            " subscribe again with a new --source-name"
        )
    if state == "ACTIVE" and bus_exists(events, source):
        return "unchanged"
    events.create_event_bus(Name=source, EventSourceName=source)
    return "associated"
