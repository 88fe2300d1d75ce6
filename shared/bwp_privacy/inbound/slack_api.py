"""The one Slack Web API call the inbound function makes: ``views.open``, the close modal,
with the bot token, within Slack's three seconds (a ``trigger_id`` opens a modal only within
them)."""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

import requests

from bwp_privacy.common import BwpPrivacyError, held_to

#: Connect and read timeouts: the modal must open well inside Slack's three seconds.
TIMEOUTS = (1.0, 1.5)
_API_ERROR = re.compile(r"[a-z_]{1,64}")


class SlackApiError(BwpPrivacyError):
    """Slack did not open the modal: its error code (held to Slack's grammar), never its text."""


class ViewOpener(Protocol):
    """Opens a modal for a button press (a test passes a fake)."""

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> None: ...


class SlackWebApi:
    """``views.open`` over one keep-alive session (the function's warm invocations share it)."""

    def __init__(self, api_url: str, token: str, session: requests.Session | None = None) -> None:
        self._url = api_url.rstrip("/") + "/views.open"
        self._token = token
        self._session = session or requests.Session()

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        """Open ``view``; `SlackApiError` when Slack says no or cannot be reached in time."""
        try:
            answer = self._session.post(
                self._url,
                data=json.dumps({"trigger_id": trigger_id, "view": view}),
                headers={
                    "Authorization": f"Bearer {self._token}",
                    "Content-Type": "application/json; charset=utf-8",
                },
                timeout=TIMEOUTS,
            )
        except requests.RequestException as error:
            raise SlackApiError(f"views.open: {type(error).__name__}") from None
        try:
            document = answer.json()
        except ValueError:
            document = None
        if not isinstance(document, dict) or document.get("ok") is not True:
            said = document.get("error") if isinstance(document, dict) else None
            code = held_to(said, _API_ERROR, "unrecognised_error")
            raise SlackApiError(f"views.open: HTTP {answer.status_code}, {code}")
