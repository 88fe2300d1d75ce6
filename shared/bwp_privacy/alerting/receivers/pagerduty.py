"""PagerDuty Events API v2: one trigger per alert, deduplicated on the task id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bwp_privacy.alerting.alert import Alert, Severity
from bwp_privacy.alerting.delivery import (
    Group,
    HttpRequest,
    ReceiverContext,
    http_spec,
    json_body,
    truncate,
)

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
#: The router's variable for another Events API endpoint (the EU service region's).
EVENTS_URL_SETTING = "PAGERDUTY_EVENTS_URL"
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


class PagerDutySecret(BaseModel):
    """The secret's JSON: ``{"routingKey": "…"}`` (an Events API v2 integration key)."""

    model_config = ConfigDict(populate_by_name=True)
    routing_key: str = Field(alias="routingKey", min_length=1)


def build_request(
    alerts: Sequence[Alert], group: Group, secret: PagerDutySecret, context: ReceiverContext
) -> HttpRequest:
    # Not grouped: one alert per request, deduplicated on its task id.
    (alert,) = alerts
    url = context.environ.get(EVENTS_URL_SETTING) or EVENTS_URL
    return HttpRequest(url, json_body(pagerduty_event(alert, secret.routing_key)))


#: One trigger per failed task; the Events API answers 202 on success.
SPEC = http_spec(
    name="pagerduty",
    grouped=False,
    parameter="PagerDutySecretName",
    secret=PagerDutySecret,
    request=build_request,
    success=(202,),
    example_secret=lambda url: {"routingKey": "0123456789abcdef0123456789abcdef"},
    endpoint_parameter="PagerDutyEventsUrl",
    endpoint_setting=EVENTS_URL_SETTING,
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
