"""PagerDuty's webhook (v3) events, held to a model before anything acts on them.

A delivery is ``{"event": {"id", "event_type", "resource_type", "occurred_at", "agent",
"client", "data"}}`` (PagerDuty developer docs, "Webhooks v3 Overview"). For the incident event
types (``incident.triggered``, ``.acknowledged``, ``.resolved``, ``.reassigned``) ``data`` is the
incident:
``id``, ``incident_key`` (the ``dedup_key`` of the Events API v2 trigger that opened it, which
the router sets to the case's id) and ``assignees``. For ``incident.annotated`` ``data`` is an
``incident_note``: ``content`` and ``incident``, a reference to the incident whose documented
fields (``id``, ``html_url``, ``self``, ``summary``, ``type``) do not include the key: it is
read when PagerDuty sends it, and otherwise the note is queued with its incident's id alone (the
reaction knows the incident's case from its earlier events, or drops it as a foreign one).

Only the event types the stack records are read past their type; an incident whose key is not a
case id is not this stack's (`Refused` ``foreign-incident``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bwp_privacy.common import clean_text, parse_iso
from bwp_privacy.contract.inbound import CASE_ID, PAGERDUTY_ID, PagerDutyEventType
from bwp_privacy.inbound.refusals import Refused

#: The event types recorded in the cases' audit trail; any other is answered 200 and ignored.
RECORDED_EVENT_TYPES: frozenset[str] = frozenset(get_args(PagerDutyEventType))
#: An event's id as PagerDuty writes one: a UUID (``5ac64822-4adc-…``) or a ULID.
EVENT_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
#: An annotation's text as it is queued (the contract's bound).
MAX_NOTE = 1000


class _PagerDuty(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class _Reference(_PagerDuty):
    id: str = Field(max_length=64)


class _Incident(_PagerDuty):
    id: str = Field(max_length=64)
    incident_key: str | None = Field(None, max_length=1000)
    assignees: list[_Reference] = Field(default_factory=list, max_length=20)


class _Note(_PagerDuty):
    incident: _Incident
    content: str | None = Field(None, max_length=100_000)


class _Envelope(_PagerDuty):
    id: str = Field(max_length=64)
    event_type: str = Field(max_length=100)
    resource_type: str = Field(max_length=100)
    occurred_at: str = Field(max_length=40)
    agent: _Reference | None = None
    data: dict[str, Any]


class _Delivery(_PagerDuty):
    event: _Envelope


@dataclass(frozen=True)
class PagerDutyEvent:
    """A recorded event type of one of the stack's incidents, its fields held to grammars."""

    event_id: str
    event_type: PagerDutyEventType
    incident_id: str
    case_id: str | None
    agent_id: str | None
    occurred_at: str
    note: str | None
    assignees: list[str]


class IgnoredEvent(Exception):
    """A verified event of a type the stack does not record."""


def parse_pagerduty_body(body: bytes) -> PagerDutyEvent:
    """The event of a webhook's JSON body; `IgnoredEvent` for an event type the stack does not
    record, `Refused` for a body that is not a v3 delivery or an incident not the stack's."""
    try:
        document = json.loads(body)
    except RecursionError:
        raise Refused("malformed", 400, "the body is nested too deeply") from None
    except ValueError:
        raise Refused("malformed", 400, "the body is not JSON") from None
    try:
        event = _Delivery.model_validate(document).event
    except ValidationError:
        raise Refused("malformed", 400, "the body is not a PagerDuty v3 webhook") from None
    event_type = _recorded(event.event_type)
    event_id = event.id
    if (
        not EVENT_ID.fullmatch(event.id)
        or event.resource_type != "incident"
        or parse_iso(event.occurred_at) is None
    ):
        raise Refused("malformed", 400, "the event's id, resource or time is not PagerDuty's")
    try:
        if event_type == "incident.annotated":
            note = _Note.model_validate(event.data)
            incident, text = note.incident, clean_text(note.content or "", MAX_NOTE)
        else:
            incident, text = _Incident.model_validate(event.data), None
    except ValidationError:
        raise Refused("malformed", 400, "the event's incident is not PagerDuty's") from None
    if not PAGERDUTY_ID.fullmatch(incident.id):
        raise Refused("malformed", 400, "the event's incident id is not PagerDuty's")
    key = incident.incident_key
    if key is None and event_type == "incident.annotated":
        pass  # the reaction finds the case by the incident's id
    elif key is None or not CASE_ID.fullmatch(key):
        raise Refused("foreign-incident", 200, "the incident is not one this stack opened")
    agent = event.agent.id if event.agent is not None else None
    return PagerDutyEvent(
        event_id=event_id,
        event_type=event_type,
        incident_id=incident.id,
        case_id=key,
        agent_id=agent if agent is not None and PAGERDUTY_ID.fullmatch(agent) else None,
        occurred_at=event.occurred_at,
        note=text or None,
        assignees=[a.id for a in incident.assignees if PAGERDUTY_ID.fullmatch(a.id)],
    )


def _recorded(event_type: str) -> PagerDutyEventType:
    for recorded in get_args(PagerDutyEventType):
        if event_type == recorded:
            return recorded  # type: ignore[no-any-return]  # one of the literal's values
    raise IgnoredEvent(event_type)
