"""The inbound action ``bwp-privacy.inbound-action`` 1.0: what the inbound function puts on the
inbound queue for the reaction, once a request from Slack or PagerDuty was verified on
its raw bytes and parsed. The reaction carries it out with the operators' own code path (a
Slack action is an operator request, the same body the CLI sends) and records it.

Nothing here is trusted for more than it says: the ids are those the verified request named,
held to their grammars; free text is cleaned by whoever reads it again (the operator request's
model, the audit entry's). Never anything about the shopper; never a secret.

Also here, because the alert router draws them and the inbound function reads them back: the
ids and values of the buttons on a case's Slack message (`slack_button_value`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

INBOUND_ACTION_SCHEMA = "bwp-privacy.inbound-action"
INBOUND_ACTION_SCHEMA_VERSION = "1.0"

#: A Slack team's or user's id (``T0123ABCD``, ``U0123ABCD``, ``W…`` for Enterprise Grid).
SLACK_ID = re.compile(r"[A-Z0-9]{1,32}")
#: A PagerDuty object's id (``PABC123``, ``Q1W2E3…``).
PAGERDUTY_ID = re.compile(r"[A-Za-z0-9]{1,64}")
#: A PagerDuty webhook v3 event's id: a UUID (``5ac64822-4adc-4fda-ade0-410becf0de4f``) or a
#: ULID (``01BRB6ZP4M6T8ZG4X6BP63ZB9O``), as PagerDuty's v3 documentation shows them.
PAGERDUTY_EVENT_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
#: A case's id: the identifier grammar of the project (`bwp_privacy.common.IDENTIFIER`),
#: repeated here because the contract depends on nothing.
CASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,255}")

#: The buttons' ``action_id`` on a case's Slack message (and the close modal's callback id).
SLACK_CLOSE = "bwp.close"
SLACK_EXTEND = "bwp.extend"
SLACK_RESUBMIT = "bwp.resubmit"
SLACK_SILENCE = "bwp.silence"
SlackActionId = Literal["bwp.close", "bwp.extend", "bwp.resubmit", "bwp.silence"]
SLACK_ACTION_IDS: frozenset[str] = frozenset(
    {SLACK_CLOSE, SLACK_EXTEND, SLACK_RESUBMIT, SLACK_SILENCE}
)
#: The close modal's ``callback_id`` (its submission, ``view_submission``).
SLACK_CLOSE_MODAL = "bwp.close-modal"
#: The close modal's inputs: each an input block (``block_id``) holding one element
#: (``action_id``); the submission's ``view.state.values[block_id][action_id]`` carries the
#: answer. The inbound function builds the modal with these, the sandbox's on-call player
#: fills it in with them.
#: How the request was answered: a ``static_select`` whose ``selected_option.value`` is the
#: close request's ``closedAs`` (completed, denied, cancelled).
CLOSE_MODAL_ANSWER_BLOCK = "bwp.close.answer"
CLOSE_MODAL_ANSWER_ACTION = "bwp.close.answer.select"
#: A denial's ground: an optional ``static_select`` whose ``selected_option.value`` is the
#: close request's ``deniedBecause`` (unverifiable, not-a-consumer, exempt, other); left
#: empty (``selected_option`` null) unless the answer is a denial.
CLOSE_MODAL_GROUND_BLOCK = "bwp.close.ground"
CLOSE_MODAL_GROUND_ACTION = "bwp.close.ground.select"
#: Why, in the operator's words: a multiline ``plain_text_input`` (``value``), the close
#: request's ``reason``.
CLOSE_MODAL_REASON_BLOCK = "bwp.close.reason"
CLOSE_MODAL_REASON_ACTION = "bwp.close.reason.input"
#: What separates the parts of a button's value (no part may hold it).
VALUE_SEPARATOR = "|"

SlackId = Annotated[str, Field(pattern=f"^{SLACK_ID.pattern}$")]
PagerDutyId = Annotated[str, Field(pattern=f"^{PAGERDUTY_ID.pattern}$")]
PagerDutyEventId = Annotated[str, Field(pattern=f"^{PAGERDUTY_EVENT_ID.pattern}$")]
CaseId = Annotated[str, Field(pattern=f"^{CASE_ID.pattern}$")]


def slack_button_value(case_id: str, *parts: str) -> str:
    """A button's value: the case and what the button says of it (a jurisdiction to extend,
    an error code and hours to silence), joined by ``|``."""
    for part in (case_id, *parts):
        if not part or VALUE_SEPARATOR in part:
            raise ValueError(f"a button value's part may not be empty or hold {VALUE_SEPARATOR!r}")
    return VALUE_SEPARATOR.join((case_id, *parts))


def slack_button_parts(value: str) -> list[str]:
    """A button value's parts (the case first); the reader holds each to its grammar."""
    return value.split(VALUE_SEPARATOR)


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_name: Literal["bwp-privacy.inbound-action"] = Field(
        "bwp-privacy.inbound-action", alias="schema"
    )
    schema_version: str = Field(INBOUND_ACTION_SCHEMA_VERSION, alias="schemaVersion")
    #: When the inbound function verified the request (ISO 8601, UTC, ``Z``).
    received_at: str = Field(alias="receivedAt", max_length=40)


class SlackAction(_Message):
    """A verified Slack interaction on a case: a button, or the close modal's submission."""

    source: Literal["slack"] = "slack"
    #: The request's identity (hex SHA-256 of its signature): a replay has the same one.
    request_id: str = Field(alias="requestId", pattern=r"^[0-9a-f]{64}$")
    team_id: SlackId = Field(alias="teamId")
    user_id: SlackId = Field(alias="userId")
    #: Whether the user is one the stack lets act (`SlackAllowedUsers`); a refused one is
    #: recorded and answered "not allowed", nothing else.
    allowed: bool
    case_id: CaseId = Field(alias="caseId")
    #: The operator request it asks for, exactly as the CLI would send it to the reaction's
    #: function URL (``{"action": "close", "caseId": …, …}``): the reaction holds it to the
    #: same model and carries it out with the same code.
    request: dict[str, Any]
    #: Where Slack takes the answer (a message in the channel, or one only the user sees), for
    #: 30 minutes; only a URL under the stack's Slack response prefix is kept.
    response_url: str | None = Field(None, alias="responseUrl", max_length=2000)

    @property
    def actor(self) -> str:
        """Who acted, as the audit trail names them."""
        return f"slack:{self.team_id}/{self.user_id}"


PagerDutyEventType = Literal[
    "incident.triggered",
    "incident.acknowledged",
    "incident.resolved",
    "incident.annotated",
    "incident.reassigned",
]


class PagerDutyAction(_Message):
    """A verified PagerDuty webhook (v3) event about one of the stack's incidents."""

    source: Literal["pagerduty"] = "pagerduty"
    #: PagerDuty's event id: a redelivery has the same one.
    event_id: PagerDutyEventId = Field(alias="eventId")
    event_type: PagerDutyEventType = Field(alias="eventType")
    incident_id: PagerDutyId = Field(alias="incidentId")
    #: The case: the incident's key, which the router set to the case's id. An annotation
    #: names its incident by id alone (PagerDuty's ``incident_note``): None there, and the
    #: reaction finds the case from an earlier event of the incident (``incident.triggered``
    #: at the latest), which linked the two.
    case_id: CaseId | None = Field(None, alias="caseId")
    #: The PagerDuty user who acted (the event's agent), when a user did.
    agent_id: PagerDutyId | None = Field(None, alias="agentId")
    #: When PagerDuty says it happened (ISO 8601).
    occurred_at: str = Field(alias="occurredAt", max_length=40)
    #: An annotation's text (``incident.annotated``), cleaned and bounded by the inbound
    #: function; the reaction cleans it again where it records it.
    note: str | None = Field(None, max_length=1000)
    #: The users an incident was reassigned to (``incident.reassigned``).
    assignees: list[PagerDutyId] = Field(default_factory=list, max_length=20)

    @property
    def actor(self) -> str:
        """Who acted, as the audit trail names them."""
        return f"pagerduty:{self.agent_id or 'unknown'}"

    @model_validator(mode="after")
    def _a_case_unless_a_note(self) -> PagerDutyAction:
        if self.case_id is None and self.event_type != "incident.annotated":
            raise ValueError(f"caseId: an {self.event_type} event carries its incident's key")
        return self


InboundAction = Annotated[SlackAction | PagerDutyAction, Field(discriminator="source")]
"""One verified request from outside, to be carried out and recorded by the reaction."""
