"""Slack's interactivity payloads, as this stack's buttons and close modal send them: the
form body's one ``payload`` field (JSON), held to a model before anything acts on it.

Only what the function reads is modelled (Slack sends much more: ignored); every id is held to
Slack's grammar, every text bounded. Anything else (another payload type, a body that is not
the form Slack sends, JSON nested past reason) is a `Refused` ``malformed`` (400), or
``unknown-action`` for a payload type no button of the stack sends.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from bwp_privacy.contract.inbound import SlackId
from bwp_privacy.inbound.refusals import Refused

#: The most form fields read (Slack sends one).
MAX_FORM_FIELDS = 4


class _Slack(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class SlackTeam(_Slack):
    id: SlackId


class SlackUser(_Slack):
    id: SlackId


class BlockAction(_Slack):
    """One button press: its ``action_id`` and ``value`` (the router's
    `bwp_privacy.contract.inbound.slack_button_value`)."""

    action_id: str = Field(max_length=255)
    value: str | None = Field(None, max_length=2000)


class BlockActions(_Slack):
    """``block_actions``: a button on a case's message was pressed."""

    type: Literal["block_actions"]
    team: SlackTeam
    user: SlackUser
    actions: list[BlockAction] = Field(min_length=1, max_length=5)
    response_url: str | None = Field(None, max_length=2000)
    trigger_id: str | None = Field(None, max_length=255)


class SelectedOption(_Slack):
    value: str = Field(max_length=150)


class InputValue(_Slack):
    """One input element's state: a select's choice or a text input's value."""

    type: str = Field(max_length=64)
    selected_option: SelectedOption | None = None
    value: str | None = Field(None, max_length=3000)


class ViewState(_Slack):
    values: dict[
        Annotated[str, Field(max_length=255)],
        dict[Annotated[str, Field(max_length=255)], InputValue],
    ] = Field(max_length=20)


class View(_Slack):
    callback_id: str = Field(max_length=255)
    private_metadata: str = Field("", max_length=3000)
    state: ViewState


class ViewSubmission(_Slack):
    """``view_submission``: the close modal was submitted."""

    type: Literal["view_submission"]
    team: SlackTeam
    user: SlackUser
    view: View


SlackPayload = Annotated[BlockActions | ViewSubmission, Field(discriminator="type")]
_PAYLOAD: TypeAdapter[BlockActions | ViewSubmission] = TypeAdapter(SlackPayload)
_KNOWN_TYPES = frozenset({"block_actions", "view_submission"})


def parse_slack_body(body: bytes) -> BlockActions | ViewSubmission:
    """The payload of a Slack interactivity request's form body."""
    try:
        text = body.decode()
        form = parse_qs(
            text, keep_blank_values=True, strict_parsing=True, max_num_fields=MAX_FORM_FIELDS
        )
    except (UnicodeError, ValueError):
        raise Refused("malformed", 400, "the body is not Slack's form") from None
    payloads = form.get("payload")
    if payloads is None or len(payloads) != 1 or len(form) != 1:
        raise Refused("malformed", 400, "the form holds no single payload field")
    document = _json(payloads[0])
    if not isinstance(document, dict):
        raise Refused("malformed", 400, "the payload is not a JSON object")
    kind = document.get("type")
    if not isinstance(kind, str) or kind not in _KNOWN_TYPES:
        raise Refused("unknown-action", 400, "no action of this stack sends this payload type")
    try:
        return _PAYLOAD.validate_python(document)
    except ValidationError:
        raise Refused("malformed", 400, "the payload is not one of this stack's actions") from None


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise Refused("malformed", 400, "the payload is nested too deeply") from None
    except ValueError:
        raise Refused("malformed", 400, "the payload is not JSON") from None
