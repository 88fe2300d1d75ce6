"""What each of the stack's Slack buttons asks for, and the close modal: a verified, parsed
payload in, the operator request (the body the CLI sends the reaction's function URL) out.

A button's value is `bwp_privacy.contract.inbound.slack_button_value`: the case, then what the
button says of it; each part is held to its grammar here, so what is queued is only ids,
numbers and fixed text. The close button asks nothing yet: it opens a modal (how was the
request answered, on what ground a denial, why), whose submission is the ``close`` request.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, get_args

from bwp_privacy.cases.case import ClosedAs, DeniedBecause
from bwp_privacy.common import clean_text
from bwp_privacy.contract.inbound import (
    CASE_ID,
    CLOSE_MODAL_ANSWER_ACTION,
    CLOSE_MODAL_ANSWER_BLOCK,
    CLOSE_MODAL_GROUND_ACTION,
    CLOSE_MODAL_GROUND_BLOCK,
    CLOSE_MODAL_REASON_ACTION,
    CLOSE_MODAL_REASON_BLOCK,
    SLACK_CLOSE,
    SLACK_CLOSE_MODAL,
    SLACK_EXTEND,
    SLACK_RESUBMIT,
    SLACK_SILENCE,
    slack_button_parts,
)
from bwp_privacy.inbound.refusals import Refused
from bwp_privacy.inbound.slack_payloads import BlockAction, ViewSubmission

#: A jurisdiction as `ExtendRequest` takes one.
JURISDICTION = re.compile(r"[a-z0-9_-]{1,32}")
#: An error code as the catalogue and the router's alert labels write one.
ERROR_CODE = re.compile(r"[A-Z0-9_]{1,64}")
#: Whole hours a silence button may hold (a week at most: a longer one is for the CLI).
SILENCE_HOURS = re.compile(r"[1-9][0-9]{0,2}")
MAX_SILENCE_HOURS = 168
#: The close modal's reason, as `operator_requests.Reason` keeps one.
MAX_REASON = 1000

#: The close modal's blocks and their inputs' action ids (read back at submission), the
#: contract's: the sandbox's Slack fills in the same modal.
CLOSED_AS_BLOCK = CLOSE_MODAL_ANSWER_BLOCK
DENIED_BECAUSE_BLOCK = CLOSE_MODAL_GROUND_BLOCK
REASON_BLOCK = CLOSE_MODAL_REASON_BLOCK
_INPUT_ACTION = {
    CLOSE_MODAL_ANSWER_BLOCK: CLOSE_MODAL_ANSWER_ACTION,
    CLOSE_MODAL_GROUND_BLOCK: CLOSE_MODAL_GROUND_ACTION,
    CLOSE_MODAL_REASON_BLOCK: CLOSE_MODAL_REASON_ACTION,
}

_CLOSED_AS_LABELS = {
    "completed": "Completed: the request was answered",
    "denied": "Denied",
    "cancelled": "Cancelled: withdrawn, or a duplicate",
}
_DENIED_BECAUSE_LABELS = {
    "unverifiable": "The request could not be verified",
    "not-a-consumer": "Not made by the consumer or their agent",
    "exempt": "Exempt from disclosure or deletion",
    "other": "Other (the reason says which)",
}


@dataclass(frozen=True)
class ButtonPress:
    """What a button asks for: the case, and the operator request (None for the close
    button, which opens the modal first)."""

    case_id: str
    request: dict[str, Any] | None


def button_request(action: BlockAction) -> ButtonPress:
    """The request of one of the stack's buttons; `Refused` ``unknown-action`` for any other
    action id, ``malformed`` for a value that does not fit its button."""
    parts = slack_button_parts(action.value or "")
    case_id = parts[0]
    if not CASE_ID.fullmatch(case_id):
        raise Refused("malformed", 400, "the button's value names no case")
    if action.action_id == SLACK_CLOSE and len(parts) == 1:
        return ButtonPress(case_id, None)
    if action.action_id == SLACK_RESUBMIT and len(parts) == 1:
        return ButtonPress(case_id, {"action": "resubmit", "caseId": case_id})
    if action.action_id == SLACK_EXTEND and len(parts) == 2 and JURISDICTION.fullmatch(parts[1]):
        request: dict[str, Any] = {
            "action": "extend",
            "caseId": case_id,
            "jurisdiction": parts[1],
            "reason": "extended from Slack",
        }
        return ButtonPress(case_id, request)
    if action.action_id == SLACK_SILENCE and len(parts) == 3:
        code, hours = parts[1], parts[2]
        if (
            ERROR_CODE.fullmatch(code)
            and SILENCE_HOURS.fullmatch(hours)
            and int(hours) <= MAX_SILENCE_HOURS
        ):
            silence: dict[str, Any] = {
                "action": "silence-add",
                "match": {"errorCode": code},
                "forSeconds": int(hours) * 3600,
                "reason": f"silenced from Slack on case {case_id}",
            }
            return ButtonPress(case_id, silence)
    if action.action_id in (SLACK_CLOSE, SLACK_RESUBMIT, SLACK_EXTEND, SLACK_SILENCE):
        raise Refused("malformed", 400, "the button's value does not fit its action")
    raise Refused("unknown-action", 400, "no button of this stack has this action id")


def close_modal(case_id: str, response_url: str | None) -> dict[str, Any]:
    """The close modal (`views.open`'s ``view``) for ``case_id``; ``response_url`` rides in its
    private metadata, for the submission's answer."""

    def options(labels: dict[str, str]) -> list[dict[str, Any]]:
        return [
            {"text": {"type": "plain_text", "text": label}, "value": value}
            for value, label in labels.items()
        ]

    def select(block: str, label: str, labels: dict[str, str], **extra: Any) -> dict[str, Any]:
        return {
            "type": "input",
            "block_id": block,
            "label": {"type": "plain_text", "text": label},
            "element": {
                "type": "static_select",
                "action_id": _INPUT_ACTION[block],
                "options": options(labels),
            },
            **extra,
        }

    return {
        "type": "modal",
        "callback_id": SLACK_CLOSE_MODAL,
        "private_metadata": json.dumps({"caseId": case_id, "responseUrl": response_url}),
        "title": {"type": "plain_text", "text": "Close the case"},
        "submit": {"type": "plain_text", "text": "Close"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "section",
                # plain_text: nothing in an id is read as markup.
                "text": {"type": "plain_text", "text": f"Case {case_id}"},
            },
            select(CLOSED_AS_BLOCK, "How was the request answered?", _CLOSED_AS_LABELS),
            select(
                DENIED_BECAUSE_BLOCK,
                "On what ground was it denied?",
                _DENIED_BECAUSE_LABELS,
                optional=True,
                hint={"type": "plain_text", "text": "Only for a denial."},
            ),
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "label": {"type": "plain_text", "text": "Why"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": CLOSE_MODAL_REASON_ACTION,
                    "multiline": True,
                    "max_length": MAX_REASON,
                },
            },
        ],
    }


@dataclass(frozen=True)
class CloseSubmission:
    """The close modal's submission: the case, the ``close`` request, and where to answer."""

    case_id: str
    request: dict[str, Any]
    response_url: str | None


class ModalErrors(Exception):
    """The modal's inputs do not make a close request: Slack shows each message beside its
    input (``response_action: errors``), and nothing is queued."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("the close modal's inputs do not make a request")
        self.errors = errors


def close_submission(payload: ViewSubmission) -> CloseSubmission:
    """The ``close`` request a submitted close modal asks for."""
    view = payload.view
    if view.callback_id != SLACK_CLOSE_MODAL:
        raise Refused("unknown-action", 400, "no modal of this stack has this callback id")
    metadata = _metadata(view.private_metadata)
    case_id, response_url = metadata.get("caseId"), metadata.get("responseUrl")
    if not isinstance(case_id, str) or not CASE_ID.fullmatch(case_id):
        raise Refused("malformed", 400, "the modal names no case")
    if response_url is not None and not isinstance(response_url, str):
        raise Refused("malformed", 400, "the modal's answer URL is not text")
    values = view.state.values
    closed_as = _choice(values, CLOSED_AS_BLOCK)
    denied_because = _choice(values, DENIED_BECAUSE_BLOCK)
    reason_input = values.get(REASON_BLOCK, {}).get(CLOSE_MODAL_REASON_ACTION)
    reason = clean_text(reason_input.value or "", MAX_REASON) if reason_input else ""
    errors: dict[str, str] = {}
    if closed_as not in get_args(ClosedAs):
        errors[CLOSED_AS_BLOCK] = "Choose how the request was answered."
    if closed_as == "denied" and denied_because not in get_args(DeniedBecause):
        errors[DENIED_BECAUSE_BLOCK] = "A denial says on what ground."
    if closed_as != "denied" and denied_because is not None:
        errors[DENIED_BECAUSE_BLOCK] = "Only a denial has a ground: clear it."
    if not reason:
        errors[REASON_BLOCK] = "Say why."
    if errors:
        raise ModalErrors(errors)
    request: dict[str, Any] = {
        "action": "close",
        "caseId": case_id,
        "closedAs": closed_as,
        "reason": reason,
    }
    if denied_because is not None:
        request["deniedBecause"] = denied_because
    return CloseSubmission(case_id, request, response_url)


def _metadata(text: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except (RecursionError, ValueError):
        raise Refused("malformed", 400, "the modal's metadata is not this stack's") from None
    if not isinstance(document, dict):
        raise Refused("malformed", 400, "the modal's metadata is not this stack's")
    return document


def _choice(values: dict[str, dict[str, Any]], block: str) -> str | None:
    state = values.get(block, {}).get(_INPUT_ACTION[block])
    option = getattr(state, "selected_option", None)
    return option.value if option is not None else None
