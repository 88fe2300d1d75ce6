"""Text helpers the chat and paging payloads share: cut to a service's limits, titles, and
text from outside (API error messages, ids, an operator's reasons) made inert: one line without
control characters, and no emphasis a chat's markup would apply. Each receiver escapes its own
markup on top of these (Slack's ``mrkdwn_escape``, Teams' ``markdown_escape``, Amazon Q's
``client_markdown_escape``)."""

from __future__ import annotations

from collections.abc import Sequence

from bwp_privacy.alerting.alert import Alert, Severity
from bwp_privacy.common import parse_iso, plain_day

MORE_HINT = "bwp-privacy failures list --since 1d"


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the cut marked with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def group_title(alerts: Sequence[Alert], severity: Severity) -> str:
    """The alert's summary, or the count and severity of a group (a group of resolves: how
    many cases ended)."""
    if len(alerts) == 1:
        return alerts[0].summary
    kinds = {alert.task_kind for alert in alerts}
    kind = kinds.pop() if len(kinds) == 1 else "privacy"
    if all(alert.resolved for alert in alerts):
        return f"[RESOLVED] {len(alerts)} personal-data {kind} cases ended"
    return f"[{severity.value.upper()}] {len(alerts)} personal-data {kind} tasks failed"


def resolved_line(alert: Alert) -> str:
    """One resolved case in a few words: the case, how it ended, why (its notice's reason)."""
    reason = alert.runbooks[0].text if alert.runbooks else ""
    ended = (alert.end_state or "ENDED").replace("_", " ").lower()
    return f"{alert.task_kind} case {alert.case_id}: {ended}" + (f" ({reason})" if reason else "")


def errors_text(alert: Alert, limit: int) -> str:
    """A task's errors on one line (``CODE: message; …``, or its lookup error), cut to
    ``limit`` characters: what a grouped message shortens first, before anything else."""
    parts = [f"{error.code or 'UNSPECIFIED'}: {error.message}" for error in alert.errors]
    if not parts and alert.lookup_error:
        parts = [alert.lookup_error]
    text = " ".join("; ".join(parts).split())
    return truncate(text, limit) if limit > 1 and text else ""


def more_tasks(count: int) -> str:
    """The note that ends a cut list of tasks."""
    return f"…and {count} more tasks: {MORE_HINT}"


def resolved_by_hand_line(alert: Alert) -> str | None:
    """What on-call must not miss when PagerDuty's incident of a still open case was resolved
    by hand: resolving the page answered nothing, the legal clock still runs. None otherwise
    (a resolved alert, an ended case, a case not read)."""
    case = alert.case
    if alert.resolved or case is None or case.ended or not case.incident_resolved_by_hand:
        return None
    due = parse_iso(case.due_at)
    when = f" (due {plain_day(due)})" if due is not None else ""
    return f"The PagerDuty incident was resolved by hand; the request is still open{when}."


def deadlines_text(alert: Alert, *, brief: bool = False) -> str:
    """The alert's deadlines as every receiver shows them (``brief``: a grouped message's one
    line), led by `resolved_by_hand_line` when it applies."""
    text = alert.deadlines_brief if brief else alert.deadlines
    line = resolved_by_hand_line(alert)
    return f"{line} {text}" if line else text
