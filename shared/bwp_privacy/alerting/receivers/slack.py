"""Slack incoming webhook: one Block Kit message per group of alerts."""

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
    errors_text,
    group_title,
    http_spec,
    json_body,
    more_tasks,
    truncate,
)

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


class SlackSecret(BaseModel):
    """The secret's JSON: ``{"webhookUrl": "https://hooks.slack.com/services/…"}``."""

    model_config = ConfigDict(populate_by_name=True)
    webhook_url: str = Field(alias="webhookUrl", pattern=r"^https?://")


def build_request(
    alerts: Sequence[Alert], group: Group, secret: SlackSecret, context: ReceiverContext
) -> HttpRequest:
    return HttpRequest(secret.webhook_url, json_body(slack_message(alerts, group)))


#: Slack answers 200 "ok" on success.
SPEC = http_spec(
    name="slack",
    grouped=True,
    parameter="SlackSecretName",
    secret=SlackSecret,
    request=build_request,
    success=(200,),
    example_secret=lambda url: {"webhookUrl": url},
)


def slack_message(alerts: Sequence[Alert], group: Group) -> dict[str, Any]:
    """The webhook body: ``text`` fallback and ``blocks`` within Slack's limits."""
    if not alerts:
        raise ValueError("a Slack message needs at least one alert")
    severity = max((alert.severity for alert in alerts), key=lambda level: level.rank)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(truncate(group_title(alerts, severity), HEADER_LIMIT))},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": _context(group, severity, len(alerts))}],
        },
    ]
    if len(alerts) == 1:
        texts, _ = _pack(_detail_lines(alerts[0]), MAX_BLOCKS - len(blocks))
        blocks += [_section(text) for text in texts]
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
        f"*Tasks:* {count}",
        f"*Route:* `{_esc(group.route)}`",
    ]
    parts += [f"*{_esc(name)}:* `{_esc(value)}`" for name, value in group.labels.items()]
    return truncate(" · ".join(parts), SECTION_LIMIT)


def _detail_lines(alert: Alert) -> list[str]:
    lines = [
        f"*Task:* `{_esc(alert.task_id)}`",
        f"*Business product:* `{_esc(alert.business_product_id)}`",
        f"*Status:* `{_esc(alert.status or 'unknown')}` · *Lookup:* `{alert.lookup_status.value}`",
    ]
    if alert.lookup_error:
        lines.append(f"*Lookup error:* {_esc(truncate(alert.lookup_error, MESSAGE_LIMIT))}")
    lines.append(f"*Error codes:* {', '.join(f'`{_esc(code)}`' for code in alert.error_codes)}")
    if alert.errors:
        lines.append("*Errors:*")
        lines += [
            f"• `{_esc(error.code or 'UNSPECIFIED')}`: "
            + _esc(truncate(error.message, MESSAGE_LIMIT))
            for error in alert.errors[:MAX_ERRORS]
        ]
        if len(alert.errors) > MAX_ERRORS:
            lines.append(f"…and {len(alert.errors) - MAX_ERRORS} more errors")
    lines.append(f"*Deadlines:* {_esc(alert.deadlines)}")
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
    line = f"• `{_esc(alert.task_id)}` {codes} — {_esc(alert.deadlines_brief)}"
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


def _esc(text: str) -> str:
    """Slack's mrkdwn escaping: these three characters are control characters there."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
