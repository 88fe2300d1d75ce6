"""PagerDuty Events API v2: one trigger per alert, deduplicated on the task id."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bwp_privacy.alerting.alert import Alert, Severity
from bwp_privacy.alerting.receivers.base import Group
from bwp_privacy.alerting.receivers.http import JsonPoster
from bwp_privacy.alerting.receivers.text import truncate
from bwp_privacy.budget import Budget

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
SOURCE = "bwp-privacy"
COMPONENT = "personal-data-deletion"
SUMMARY_LIMIT = 1024
DEDUP_KEY_LIMIT = 255
# Keeps custom_details well under the Events API's 512 KB event limit (messages are ≤ 4096).
MAX_ERRORS = 50

_SEVERITY = {
    Severity.CRITICAL: "critical",
    Severity.WARNING: "warning",
    Severity.INFO: "info",
}


class PagerDutyReceiver:
    """Triggers one PagerDuty incident per failed task."""

    name: str = "pagerduty"
    grouped: bool = False

    def __init__(self, poster: JsonPoster, routing_key: str, events_url: str = EVENTS_URL) -> None:
        self._poster = poster
        self._routing_key = routing_key
        self._events_url = events_url

    def deliver(self, alerts: Sequence[Alert], group: Group, *, budget: Budget) -> None:
        """POST one event per alert; only 202 is success."""
        for alert in alerts:
            body = json.dumps(pagerduty_event(alert, self._routing_key), separators=(",", ":"))
            self._poster.post(
                self.name, self._events_url, body.encode(), success=(202,), budget=budget
            )


def pagerduty_event(alert: Alert, routing_key: str) -> dict[str, Any]:
    """The Events API v2 trigger body for ``alert``."""
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": alert.task_id[:DEDUP_KEY_LIMIT],
        "client": SOURCE,
        "payload": {
            "summary": truncate(alert.summary, SUMMARY_LIMIT),
            "source": SOURCE,
            "severity": _SEVERITY[alert.severity],
            "component": COMPONENT,
            "group": alert.business_product_id,
            "class": alert.error_codes[0],
            "custom_details": _details(alert),
        },
        "links": [
            {"href": runbook.url, "text": f"Runbook: {runbook.code}"}
            for runbook in alert.runbooks
            if runbook.url
        ],
    }


def _details(alert: Alert) -> dict[str, Any]:
    errors = [{"code": error.code, "message": error.message} for error in alert.errors]
    return {
        "task_id": alert.task_id,
        "business_product_id": alert.business_product_id,
        "error_codes": alert.error_codes,
        "errors": errors[:MAX_ERRORS],
        "errors_omitted": max(0, len(errors) - MAX_ERRORS),
        "status": alert.status,
        "lookup_status": alert.lookup_status.value,
        "lookup_error": alert.lookup_error,
        "submission_date": alert.submission_date,
        "submitted_days_ago": alert.submitted_days_ago,
        "deadlines": alert.deadlines,
        "runbooks": [f"{runbook.code}: {runbook.text}" for runbook in alert.runbooks],
        "inspect": alert.inspect,
        "event_id": alert.event_id,
        "received_at": alert.received_at,
        "replay_name": alert.replay_name,
    }
