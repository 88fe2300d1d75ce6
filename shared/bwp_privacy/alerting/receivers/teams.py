"""Microsoft Teams Workflows webhook: one Adaptive Card per group of alerts; a resolve is a
resolved card (a Workflows webhook can only post)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bwp_privacy.alerting.alert import Alert, Runbook, Severity
from bwp_privacy.alerting.delivery import (
    Group,
    HttpRequest,
    ReceiverContext,
    deadlines_text,
    errors_text,
    group_title,
    http_spec,
    json_body,
    more_tasks,
    one_line,
    resolved_line,
    truncate,
)

CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
# Teams rejects messages over about 28 KB: these caps keep a card of any group below that.
#: The task list of a group: at most this many characters, each task at most LINE_LIMIT.
TASKS_TEXT_BUDGET = 20_000
LINE_LIMIT = 400
TITLE_LIMIT = 200
MESSAGE_LIMIT = 400
MAX_ERRORS = 20
MAX_RUNBOOKS = 10
MAX_ACTIONS = 5

_COLOR = {Severity.CRITICAL: "Attention", Severity.WARNING: "Warning", Severity.INFO: "Default"}
_SAFE_URL = re.compile(r"https?://[^\s()\[\]]+")
#: Markdown that Teams renders in TextBlocks and facts; text from outside is escaped, so an
#: API error like "[x](https://…)" shows as written instead of as a live link.
_MARKDOWN = re.compile(r"([\\`*_\[\]()~#>!|{}<])")
#: A list item's marker at the start of a text: ``- x``, ``+ x``, ``1. x``.
_LIST_MARKER = re.compile(r"^(\s*(?:\d+)?)([-+.])(?=\s|$)")


class TeamsSecret(BaseModel):
    """The secret's JSON: ``{"webhookUrl": "https://…/workflows/…"}`` (a Workflows webhook)."""

    model_config = ConfigDict(populate_by_name=True)
    webhook_url: str = Field(alias="webhookUrl", pattern=r"^https?://")


def build_request(
    alerts: Sequence[Alert], group: Group, secret: TeamsSecret, context: ReceiverContext
) -> HttpRequest:
    return HttpRequest(secret.webhook_url, json_body(teams_message(alerts, group)))


#: Workflows answers 202 (older connectors 200).
SPEC = http_spec(
    name="teams",
    grouped=True,
    parameter="TeamsSecretName",
    secret=TeamsSecret,
    request=build_request,
    success=(202, 200),
    example_secret=lambda url: {"webhookUrl": url},
)


def teams_message(alerts: Sequence[Alert], group: Group) -> dict[str, Any]:
    """The webhook body: a message with one Adaptive Card 1.4 attachment."""
    if not alerts:
        raise ValueError("a Teams message needs at least one alert")
    severity = max((alert.severity for alert in alerts), key=lambda level: level.rank)
    if all(alert.resolved for alert in alerts):
        return _card(_resolved_body(alerts, group), [])
    body: list[dict[str, Any]] = [
        _text(
            _md(truncate(group_title(alerts, severity), TITLE_LIMIT)),
            size="Large",
            weight="Bolder",
            color=_COLOR[severity],
        ),
        _facts(
            [
                ("Severity", severity.value),
                ("Tasks", str(len(alerts))),
                ("Route", group.route),
                *group.labels.items(),
            ]
        ),
    ]
    runbooks = list({rb.code: rb for alert in alerts for rb in alert.runbooks}.values())
    if len(alerts) == 1:
        body += _details(alerts[0])
    else:
        body.append(_text("Tasks", weight="Bolder", separator=True))
        lines = _task_lines(alerts)
        body.append(_text("\r".join(lines)))
        if len(alerts) > len(lines):
            body.append(_text(_md(more_tasks(len(alerts) - len(lines))), isSubtle=True))
    if runbooks:
        body.append(_text("Runbooks", weight="Bolder", separator=True))
        body += [_text(_runbook_line(runbook)) for runbook in runbooks[:MAX_RUNBOOKS]]
    actions = [
        {"type": "Action.OpenUrl", "title": f"Runbook {runbook.code}"[:50], "url": runbook.url}
        for runbook in runbooks
        if runbook.url and _SAFE_URL.fullmatch(runbook.url)
    ][:MAX_ACTIONS]
    return _card(body, actions)


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    card: dict[str, Any] = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "msteams": {"width": "Full"},
    }
    if actions:
        card["actions"] = actions
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card}],
    }


def _resolved_body(alerts: Sequence[Alert], group: Group) -> list[dict[str, Any]]:
    """The resolved card: which cases ended and how, each on one line."""
    lines: list[str] = []
    used = 0
    for alert in alerts:
        line = "- " + _md(truncate(resolved_line(alert), LINE_LIMIT))
        if used + len(line) + 1 > TASKS_TEXT_BUDGET:
            lines.append(_md(more_tasks(len(alerts) - len(lines))))
            break
        lines.append(line)
        used += len(line) + 1
    return [
        _text(
            _md(truncate(group_title(alerts, Severity.INFO), TITLE_LIMIT)),
            size="Large",
            weight="Bolder",
            color="Good",
        ),
        _facts([("Status", "resolved"), ("Cases", str(len(alerts))), ("Route", group.route)]),
        _text("\r".join(lines)),
    ]


def _details(alert: Alert) -> list[dict[str, Any]]:
    facts = [
        ("Case", alert.case_id),
        ("Task", alert.task_id),
        ("Business product", alert.business_product_id),
        ("Status", alert.task_status or "unknown"),
        ("Lookup", alert.lookup_status.value),
        ("Error codes", ", ".join(alert.error_codes)),
        ("Submitted", alert.submission_date or "unknown"),
        ("Event", alert.event_id),
        ("Received", alert.received_at),
    ]
    if alert.lookup_error:
        facts.insert(4, ("Lookup error", alert.lookup_error))
    if alert.replay_name:
        facts.append(("Replay", alert.replay_name))
    blocks = [_facts(facts)]
    if alert.errors:
        lines = [
            f"- **{_md(error.code or 'UNSPECIFIED')}**: "
            + _md(truncate(error.message, MESSAGE_LIMIT))
            for error in alert.errors[:MAX_ERRORS]
        ]
        more = max(0, len(alert.errors) - MAX_ERRORS) + alert.errors_omitted
        if more:
            lines.append(f"- …and {more} more errors")
        blocks += [_text("Errors", weight="Bolder", separator=True), _text("\r".join(lines))]
    blocks += [
        _text("Deadlines", weight="Bolder", separator=True),
        _text(_md(deadlines_text(alert))),
        *([_text(_md(alert.silence_note))] if alert.silence_note else []),
        _text("Inspect", weight="Bolder", separator=True),
        _text("\n\n".join(_md(command) for command in alert.inspect), fontType="Monospace"),
    ]
    return blocks


def _task_lines(alerts: Sequence[Alert]) -> list[str]:
    """One line per task, as many as the budget holds: each keeps its codes and deadlines
    whole and shortens its error messages to share the budget among all the tasks."""
    per_line = min(LINE_LIMIT, TASKS_TEXT_BUDGET // len(alerts) - 10)  # 10: escapes
    lines: list[str] = []
    used = 0
    for alert in alerts:
        line = _task_line(alert, per_line)
        if used + len(line) + 1 > TASKS_TEXT_BUDGET:
            break
        lines.append(line)
        used += len(line) + 1
    return lines


def _task_line(alert: Alert, limit: int) -> str:
    codes = ", ".join(alert.error_codes)
    line = (
        f"- **{_md(alert.task_id)}** {_md(codes)} — {_md(deadlines_text(alert, brief=True))}"
        f"{alert.silence_brief}"
    )
    errors = errors_text(alert, limit - len(line) - 3)
    return f"{line} — {_md(errors)}" if errors else line


def _runbook_line(runbook: Runbook) -> str:
    text = f"**{_md(runbook.code)}**: {_md(truncate(runbook.text, MESSAGE_LIMIT))}"
    if runbook.url and _SAFE_URL.fullmatch(runbook.url):
        text += f" [Open runbook]({runbook.url})"
    return text


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _facts(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {
        "type": "FactSet",
        "facts": [{"title": _md(t), "value": _md(truncate(v, MESSAGE_LIMIT))} for t, v in pairs],
    }


def markdown_escape(text: str) -> str:
    """Text from outside (API errors, ids, codes, labels, an operator's reason) shown as
    written in a TextBlock or a fact, never as Markdown: one line without control characters,
    each character Teams reads as Markdown (emphasis, ``[x](url)`` links, ``<at>``…) escaped
    with a backslash, and a list marker (``- ``, ``+ ``, ``1. ``) at its start too."""
    escaped = _MARKDOWN.sub(r"\\\1", one_line(text))
    return _LIST_MARKER.sub(r"\1\\\2", escaped)


_md = markdown_escape
