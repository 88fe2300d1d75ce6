"""Slack: an incoming webhook (one Block Kit message per group of alerts; a resolve is a short
new message, as a webhook can neither edit nor thread), or a bot token (one message per case:
``chat.postMessage`` opens it, every later alert of the case edits it with ``chat.update`` and
adds a reply in its thread; the ledger keeps the channel and ``ts``).

A bot's message of an open case carries buttons when the stack lets Slack users act
(``SLACK_ACTIONS_ENABLED``, set by the template when ``SlackAllowedUsers`` is): only those that
fit where the case stands (`case_buttons`), so the reaction is never offered what it would
refuse; an ended case's message has none (its edit takes them away). Their ids and values are
the contract's (`bwp_privacy.contract.inbound`), which the inbound function reads back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import zip_longest
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bwp_privacy.alerting.alert import FAILED_TRANSITION, Alert, Runbook, Severity
from bwp_privacy.alerting.delivery import (
    DeliveryError,
    Group,
    HttpReceiver,
    HttpRequest,
    JsonPoster,
    Receiver,
    ReceiverContext,
    ReceiverSpec,
    ThreadRef,
    Threads,
    deadlines_text,
    errors_text,
    group_title,
    json_body,
    more_tasks,
    resolved_line,
    secret_setting,
    truncate,
)
from bwp_privacy.common import Budget, held_to
from bwp_privacy.common.markup import mrkdwn_escape
from bwp_privacy.contract import NO_ERROR_CODE
from bwp_privacy.contract.inbound import (
    SLACK_CLOSE,
    SLACK_EXTEND,
    SLACK_RESUBMIT,
    SLACK_SILENCE,
    slack_button_value,
)

#: The codes that name no failure of their own: no silence button.
NOT_SILENCEABLE = frozenset({NO_ERROR_CODE})

# Block Kit and chat.postMessage limits.
HEADER_LIMIT = 150
SECTION_LIMIT = 3000
MAX_BLOCKS = 50
TEXT_LIMIT = 40_000
# Per-item caps keep one alert's details readable and well inside the section budget.
MESSAGE_LIMIT = 500
MAX_ERRORS = 20
MAX_RUNBOOK_BLOCKS = 3
#: Longest line of one task in a group (a group of 100 fits in the blocks at this length).
MAX_TASK_LINE = 800

_SAFE_URL = re.compile(r"https?://[^\s<>|]+")
#: The grammars of what the Web API answers and the router keeps or shows: an error
#: (``channel_not_found``), a channel id (``C0123ABCD``) and a message's ``ts``.
_API_ERROR = re.compile(r"[a-z0-9_]{1,64}")
_CHANNEL_ID = re.compile(r"[A-Z0-9]{1,32}")
_TS = re.compile(r"[0-9]{1,12}\.[0-9]{1,9}")


#: The router's variable that lets Slack users act on a case from its message ("true": the
#: template sets it when the stack has an inbound function taking Slack's interactions).
ACTIONS_SETTING = "SLACK_ACTIONS_ENABLED"
#: How long the silence button mutes an error code.
SILENCE_HOURS = 4
#: Block Kit's limit on a button's text.
BUTTON_TEXT_LIMIT = 75
#: Buttons of one kind a message shows at most (a case bound by many laws, an alert with many
#: codes): each kind's n-th button shares a row with the others' (`action_blocks`).
MAX_EXTEND_BUTTONS = 10
MAX_SILENCE_BUTTONS = 5
#: What an actions block's ``block_id`` starts with (the row's number follows).
ACTIONS_BLOCK_PREFIX = "bwp.case-actions."

#: Slack's Web API; the router's variable for another (GovSlack: https://slack-gov.com/api).
API_URL = "https://slack.com/api"
API_URL_SETTING = "SLACK_API_URL"
#: Web API errors worth another try (Slack answers HTTP 200 with ``ok: false``).
RETRYABLE_API_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
#: ``chat.update`` errors that mean the case's message is gone (or its channel is): a new one
#: is posted in the configured channel.
GONE_API_ERRORS = frozenset(
    {
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "channel_not_found",
        "is_archived",
    }
)


class SlackSecret(BaseModel):
    """The secret's JSON: ``{"webhookUrl": "https://hooks.slack.com/services/…"}`` for an
    incoming webhook, or ``{"botToken": "xoxb-…", "channel": "C0123…"}`` for a bot that
    keeps one message per case (scope ``chat:write``, invited to the channel)."""

    model_config = ConfigDict(populate_by_name=True)
    webhook_url: str | None = Field(None, alias="webhookUrl", pattern=r"^https?://")
    bot_token: str | None = Field(None, alias="botToken", min_length=1)
    channel: str | None = Field(None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _one_mode(self) -> SlackSecret:
        bot = self.bot_token is not None or self.channel is not None
        if (self.webhook_url is None) == (not bot):
            raise ValueError("set either webhookUrl, or botToken and channel")
        if bot and (self.bot_token is None or self.channel is None):
            raise ValueError("a bot needs both botToken and channel")
        return self


class SlackBotReceiver:
    """One message per case through the Web API (not grouped: each case edits its own)."""

    name: str = "slack"
    grouped: bool = False
    send_resolved: bool = True

    def __init__(
        self,
        poster: JsonPoster,
        api_url: str,
        token: str,
        channel: str,
        *,
        actions: bool = False,
    ) -> None:
        self._poster = poster
        self._api_url = api_url.rstrip("/")
        self._token = token
        self._channel = channel
        #: Whether messages carry the case's buttons (the stack takes Slack's interactions).
        self._actions = actions

    def deliver(
        self,
        alerts: Sequence[Alert],
        group: Group,
        *,
        budget: Budget,
        threads: Threads | None = None,
    ) -> Threads | None:
        """Open the case's message, or edit it to the case's latest alert and reply in its
        thread. Returns the messages it opened, by case id."""
        started: dict[str, ThreadRef] = {}
        for alert in alerts:
            message = slack_message([alert], group, actions=self._actions)
            thread = (threads or {}).get(alert.case_id)
            if thread is not None:
                edit = {"channel": thread.channel, "ts": thread.ts, **message}
                if self._call("chat.update", edit, budget, gone_ok=True) is not None:
                    reply = {"channel": thread.channel, "thread_ts": thread.ts}
                    text = _esc(alert.summary)
                    self._call("chat.postMessage", {**reply, "text": text}, budget)
                    continue
            answer = self._call("chat.postMessage", {"channel": self._channel, **message}, budget)
            assert answer is not None
            channel = held_to(answer.get("channel"), _CHANNEL_ID, "")
            ts = held_to(answer.get("ts"), _TS, "")
            if channel and ts:
                # Kept in the ledger and sent back to Slack: only what its grammar allows. A
                # message whose place is not one is posted all the same; the case's next alert
                # posts anew instead of editing it.
                started[alert.case_id] = ThreadRef(channel, ts)
        return started

    def _call(
        self, method: str, body: dict[str, Any], budget: Budget, *, gone_ok: bool = False
    ) -> dict[str, Any] | None:
        """One Web API call; None when ``gone_ok`` and the message is gone."""
        response = self._poster.post(
            self.name,
            f"{self._api_url}/{method}",
            json_body(body),
            headers={"Authorization": f"Bearer {self._token}"},
            success=(200,),
            budget=budget,
        )
        try:
            answer = response.json()
        except (ValueError, RecursionError):
            # RecursionError: an answer nested too deeply for the parser ("[" * 5000), no
            # ValueError; unreadable all the same.
            answer = None
        if not isinstance(answer, dict):
            raise DeliveryError(self.name, f"{method}: answer is not JSON", retryable=True)
        if answer.get("ok") is True:
            return answer
        # Shown in the delivery's reason (logs, the test alert's answer): a code, or a marker.
        error = held_to(answer.get("error"), _API_ERROR, "unrecognised_error")
        if gone_ok and error in GONE_API_ERRORS:
            return None
        raise DeliveryError(
            self.name, f"{method}: {error}", retryable=error in RETRYABLE_API_ERRORS
        )


def build_request(alerts: Sequence[Alert], group: Group, webhook_url: str) -> HttpRequest:
    return HttpRequest(webhook_url, json_body(slack_message(alerts, group)))


def _build(secret_id: str, context: ReceiverContext) -> Receiver:
    secret = context.read_secret(secret_id, SlackSecret, secret_setting("slack"))
    if secret.bot_token is not None and secret.channel is not None:
        api_url = context.environ.get(API_URL_SETTING) or API_URL
        return SlackBotReceiver(
            context.poster,
            api_url,
            secret.bot_token,
            secret.channel,
            actions=context.environ.get(ACTIONS_SETTING) == "true",
        )
    url = secret.webhook_url or ""
    return HttpReceiver(
        "slack",
        grouped=True,
        poster=context.poster,
        request=lambda alerts, group: build_request(alerts, group, url),
        # Slack answers 200 "ok" on success.
        success=(200,),
    )


#: An incoming webhook (grouped) or a bot (one message per case), as the secret says.
SPEC = ReceiverSpec(
    name="slack",
    grouped=True,
    setting=secret_setting("slack"),
    parameter="SlackSecretName",
    resource="secret",
    build=_build,
    example_secret=lambda url: {"webhookUrl": url},
    success=(200,),
    endpoint_parameter="SlackApiUrl",
    endpoint_setting=API_URL_SETTING,
)


def slack_message(
    alerts: Sequence[Alert], group: Group, *, actions: bool = False
) -> dict[str, Any]:
    """The webhook body: ``text`` fallback and ``blocks`` within Slack's limits; with
    ``actions`` (a bot whose stack takes Slack's interactions), one alert's message ends with
    the buttons that fit its case."""
    if not alerts:
        raise ValueError("a Slack message needs at least one alert")
    severity = max((alert.severity for alert in alerts), key=lambda level: level.rank)
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": _plain(_cut(_esc(group_title(alerts, severity)), HEADER_LIMIT)),
        },
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": _context(group, severity, len(alerts))}],
        },
    ]
    if all(alert.resolved for alert in alerts):
        texts, shown = _pack([f"✅ {_esc(resolved_line(a))}" for a in alerts], MAX_BLOCKS - 3)
        blocks += [_section(text) for text in texts]
        if shown < len(alerts):
            blocks.append(_section(more_tasks(len(alerts) - shown)))
    elif len(alerts) == 1:
        buttons = action_blocks(alerts[0]) if actions else []
        texts, _ = _pack(_detail_lines(alerts[0]), MAX_BLOCKS - len(blocks) - len(buttons))
        blocks += [_section(text) for text in texts]
        blocks += buttons
    else:
        runbooks, _ = _pack(_runbook_lines(alerts), MAX_RUNBOOK_BLOCKS)
        blocks += [_section(text) for text in runbooks]
        # One block stays free for the "…and N more" note.
        free = MAX_BLOCKS - len(blocks) - 1
        # Each task keeps its codes and deadlines whole; its error messages share what is left.
        per_line = min(MAX_TASK_LINE, free * SECTION_LIMIT // len(alerts) - 1)
        texts, shown = _pack([_task_line(alert, per_line) for alert in alerts], free)
        blocks += [_section(text) for text in texts]
        if shown < len(alerts):
            blocks.append(_section(more_tasks(len(alerts) - shown)))
    return {"text": fallback_text(alerts, severity), "blocks": blocks}


def case_buttons(alert: Alert) -> list[dict[str, Any]]:
    """The buttons that fit where the alert's case stands, as the router read it: none for a
    resolved alert, an ended case or a case not read; for an open case, close (its modal asks
    how and why), extend each jurisdiction whose deadline still may be, resubmit now when a
    resubmission may start, and silence each error code the task failed with for a while: a
    failure's own codes, or on a case notice the codes of the case's latest failed task (never
    the notice's code: one case's button would mute every case's escalations)."""
    case = alert.case
    if alert.resolved or case is None or case.ended:
        return []
    buttons = [_button(SLACK_CLOSE, "Close…", alert.case_id)]
    buttons += [
        _button(SLACK_EXTEND, f"Extend {jurisdiction}", alert.case_id, jurisdiction)
        for jurisdiction in case.extendable[:MAX_EXTEND_BUTTONS]
    ]
    if case.may_resubmit:
        buttons.append(_button(SLACK_RESUBMIT, "Resubmit now", alert.case_id))
    failed = alert.transition.startswith(FAILED_TRANSITION)
    # A lookup that failed has no code of its own (NONE): silencing it would mute every
    # failure whose errors Buy with Prime could not tell, so it gets no button.
    codes = [
        code
        for code in dict.fromkeys(alert.error_codes if failed else case.error_codes)
        if code not in NOT_SILENCEABLE
    ][:MAX_SILENCE_BUTTONS]
    buttons += [
        _button(
            SLACK_SILENCE,
            f"Silence {code} {SILENCE_HOURS}h",
            alert.case_id,
            code,
            str(SILENCE_HOURS),
        )
        for code in codes
    ]
    return [button for button in buttons if button]


def action_blocks(alert: Alert) -> list[dict[str, Any]]:
    """`case_buttons` in actions blocks. Slack refuses two elements of one block with the same
    ``action_id``, and every extend (or silence) button has its kind's: so each row holds at
    most one button of each kind (the n-th extend beside the n-th silence)."""
    kinds: dict[str, list[dict[str, Any]]] = {}
    for button in case_buttons(alert):
        kinds.setdefault(button["action_id"], []).append(button)
    rows = zip_longest(*kinds.values())
    return [
        {
            "type": "actions",
            "block_id": f"{ACTIONS_BLOCK_PREFIX}{number}",
            "elements": [button for button in row if button is not None],
        }
        for number, row in enumerate(rows)
    ]


def _button(action_id: str, text: str, case_id: str, *parts: str) -> dict[str, Any]:
    """A button, or an empty dict when its value cannot be one (a part holding the value's
    separator: that button is left out, the message goes out)."""
    try:
        value = slack_button_value(case_id, *parts)
    except ValueError:
        return {}
    return {
        "type": "button",
        "action_id": action_id,
        "text": _plain(_cut(_esc(text), BUTTON_TEXT_LIMIT)),
        "value": value,
    }


def fallback_text(alerts: Sequence[Alert], severity: Severity) -> str:
    """Plain text for notifications and clients without blocks: the title and every task."""
    lines = [_esc(group_title(alerts, severity))]
    size = len(lines[0])
    for index, alert in enumerate(alerts):
        line = _esc(f"- {alert.task_id} ({', '.join(alert.error_codes)})")
        # Room for this line and, if others follow, the closing note.
        if size + 1 + len(line) + 1 + len(more_tasks(len(alerts))) > TEXT_LIMIT:
            lines.append(more_tasks(len(alerts) - index))
            break
        lines.append(line)
        size += 1 + len(line)
    return "\n".join(lines)


def _context(group: Group, severity: Severity, count: int) -> str:
    parts = [
        f"*Severity:* {severity.value}",
        f"*Alerts:* {count}",
        f"*Route:* `{_esc(group.route)}`",
    ]
    parts += [f"*{_esc(name)}:* `{_esc(value)}`" for name, value in group.labels.items()]
    return truncate(" · ".join(parts), SECTION_LIMIT)


def _detail_lines(alert: Alert) -> list[str]:
    lines = [
        f"*Case:* `{_esc(alert.case_id)}` · *Task:* `{_esc(alert.task_id)}`",
        f"*Business product:* `{_esc(alert.business_product_id)}`",
        f"*Status:* `{_esc(alert.task_status or 'unknown')}`"
        f" · *Lookup:* `{alert.lookup_status.value}`",
    ]
    if alert.lookup_error:
        lines.append(f"*Lookup error:* {_esc(truncate(alert.lookup_error, MESSAGE_LIMIT))}")
    if alert.case is not None and alert.case.last_action:
        lines.append(f"*Last action:* {_esc(alert.case.last_action)}")
    lines.append(f"*Error codes:* {', '.join(f'`{_esc(code)}`' for code in alert.error_codes)}")
    if alert.errors:
        lines.append("*Errors:*")
        lines += [
            f"• `{_esc(error.code or 'UNSPECIFIED')}`: "
            + _esc(truncate(error.message, MESSAGE_LIMIT))
            for error in alert.errors[:MAX_ERRORS]
        ]
        more = max(0, len(alert.errors) - MAX_ERRORS) + alert.errors_omitted
        if more:
            lines.append(f"…and {more} more errors")
    lines.append(f"*Deadlines:* {_esc(deadlines_text(alert))}")
    if alert.silence_note:
        lines.append(f"*Not silenced:* {_esc(alert.silence_note)}")
    lines += [_runbook_line(runbook) for runbook in alert.runbooks]
    lines.append("*Inspect:*")
    lines += [f"`{_esc(command)}`" for command in alert.inspect]
    lines.append(f"*Event:* `{_esc(alert.event_id)}` · *Received:* {_esc(alert.received_at)}")
    if alert.replay_name:
        lines.append(f"*Replay:* `{_esc(alert.replay_name)}`")
    return lines


def _runbook_lines(alerts: Sequence[Alert]) -> list[str]:
    runbooks = {runbook.code: runbook for alert in alerts for runbook in alert.runbooks}
    return [_runbook_line(runbook) for runbook in runbooks.values()]


def _runbook_line(runbook: Runbook) -> str:
    text = f"*Runbook `{_esc(runbook.code)}`:* {_esc(truncate(runbook.text, MESSAGE_LIMIT))}"
    if runbook.url and _SAFE_URL.fullmatch(runbook.url):
        text += f" <{runbook.url}|Open runbook>"
    return text


def _task_line(alert: Alert, limit: int) -> str:
    """``• `task` CODES — deadlines — errors``: the errors are cut to fit ``limit``."""
    codes = ", ".join(_esc(code) for code in alert.error_codes)
    deadlines = _esc(deadlines_text(alert, brief=True))
    line = f"• `{_esc(alert.task_id)}` {codes} — {deadlines}{alert.silence_brief}"
    errors = errors_text(alert, limit - len(line) - 3)
    return f"{line} — {_esc(errors)}" if errors else line


def _pack(lines: Sequence[str], max_blocks: int) -> tuple[list[str], int]:
    """Join lines into at most ``max_blocks`` texts of ≤ SECTION_LIMIT; how many lines fit."""
    texts: list[str] = []
    current = ""
    for count, raw in enumerate(lines):
        line = truncate(raw, SECTION_LIMIT)
        if current and len(current) + 1 + len(line) <= SECTION_LIMIT:
            current += "\n" + line
            continue
        if current:
            texts.append(current)
        if len(texts) >= max_blocks:
            return texts, count
        current = line
    if current:
        texts.append(current)
    return texts, len(lines)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _cut(escaped: str, limit: int) -> str:
    """Escaped text cut to ``limit`` characters, never inside an entity (``&lt;``)."""
    cut = truncate(escaped, limit)
    if cut == escaped:
        return cut
    head = cut[:-1]
    entity = head.rfind("&")
    if entity != -1 and ";" not in head[entity:]:
        head = head[:entity]
    return head + "…"


_esc = mrkdwn_escape
