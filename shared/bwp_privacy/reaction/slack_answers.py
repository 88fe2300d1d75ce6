"""What the reaction tells Slack after carrying out (or refusing) a Slack action: a message in
the case's channel that says who did what, or one only the user sees, posted on the action's
``response_url``.

The answer is a courtesy, never part of the action: it is posted once, with a short timeout,
only to a URL under the configured prefix (Slack's own host: no verified request can make the
reaction POST elsewhere), and a failure is logged by its type and left at that (retrying the
record would carry the action out again). Every text from outside is escaped for mrkdwn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

import requests
from aws_lambda_powertools import Logger

from bwp_privacy.common import mrkdwn_escape
from bwp_privacy.reaction.operator_actions import OperatorAnswer
from bwp_privacy.reaction.operator_requests import (
    CloseRequest,
    ExtendRequest,
    OperatorRequest,
    ResubmitRequest,
    SilenceAddRequest,
)

logger = Logger(child=True)

#: Slack's answer URLs (``https://hooks.slack.com/actions/…``): where answers may go by default.
DEFAULT_RESPONSE_URL_PREFIX = "https://hooks.slack.com/"
#: Seconds to connect and to read Slack's answer: the action is done, the answer is extra.
TIMEOUT = (3.05, 5.0)
#: What the user is told when SlackAllowedUsers does not name them.
NOT_ALLOWED = (
    "You are not allowed to act on bwp-privacy cases; ask whoever runs the stack to add your"
    " Slack user id to SlackAllowedUsers, or use `bwp-privacy cases …` with your AWS"
    " credentials."
)

ResponseType = Literal["in_channel", "ephemeral"]


@dataclass(frozen=True)
class SlackAnswer:
    """A message for ``response_url``: everyone in the channel sees it, or only the user."""

    response_type: ResponseType
    text: str

    def payload(self) -> dict[str, Any]:
        # A new message under the case's: the case's own message is the router's to edit.
        return {"response_type": self.response_type, "replace_original": False, "text": self.text}


class Answers(Protocol):
    """Where answers go (Slack, or a list in a test)."""

    def post(self, url: str | None, answer: SlackAnswer) -> None: ...


def done_answer(user_id: str, request: OperatorRequest, answer: OperatorAnswer) -> SlackAnswer:
    """What the channel is told once the action was carried out."""
    user = f"<@{user_id}>"  # a Slack id's grammar: nothing to escape
    case = mrkdwn_escape(answer.case_id or getattr(request, "case_id", "") or "?")
    if answer.outcome == "unchanged":
        # A close of a case that ended already: nothing to tell the channel.
        where = f" is {answer.state} already" if answer.state else " stays as it was"
        return SlackAnswer("ephemeral", f"Nothing changed: case {case}{where}.")
    match request:
        case CloseRequest():
            how: str = request.closed_as
            if request.denied_because is not None:
                how += f" ({request.denied_because})"
            text = f"{user} closed case {case} as {how}: {mrkdwn_escape(request.reason)}"
        case ExtendRequest():
            text = (
                f"{user} extended case {case}'s {mrkdwn_escape(request.jurisdiction)} deadline:"
                f" {mrkdwn_escape(request.reason)}"
            )
        case ResubmitRequest():
            task = f": task {mrkdwn_escape(answer.task_id)} started" if answer.task_id else ""
            text = f"{user} resubmitted case {case}{task}"
        case SilenceAddRequest():
            matched = ", ".join(f"{label}={value}" for label, value in request.match.items())
            until = f" until {answer.ends_at}" if answer.ends_at else ""
            text = (
                f"{user} silenced {mrkdwn_escape(matched)}{until}"
                f" (silence {mrkdwn_escape(answer.silence_id or '?')}; a case past due or due"
                " soon is never muted)"
            )
        case _:
            text = f"{user} did {mrkdwn_escape(request.action)} on case {case}: {answer.outcome}"
    if answer.state:
        text += f" (now {answer.state})"
    return SlackAnswer("in_channel", text)


def refused_answer(reason: str) -> SlackAnswer:
    """What only the user is told when the action was refused."""
    return SlackAnswer("ephemeral", mrkdwn_escape(reason))


class SlackResponder:
    """Posts answers to Slack's ``response_url`` (only one under ``prefix``)."""

    def __init__(self, prefix: str, session: requests.Session | None = None) -> None:
        self._prefix = prefix
        self._session = session or requests.Session()

    def post(self, url: str | None, answer: SlackAnswer) -> None:
        """Post ``answer``; never raises (logged by the failure's type, never its text)."""
        if not url:
            return
        if not url.startswith(self._prefix):
            # The URL is never logged: it is a bearer of the right to post in the channel.
            logger.warning("Slack answer not posted: its URL is not under the response prefix")
            return
        try:
            response = self._session.post(url, json=answer.payload(), timeout=TIMEOUT)
        except requests.RequestException as error:
            logger.warning("Slack answer not posted", extra={"error": type(error).__name__})
            return
        if not 200 <= response.status_code < 300:
            logger.warning("Slack refused the answer", extra={"status": response.status_code})
