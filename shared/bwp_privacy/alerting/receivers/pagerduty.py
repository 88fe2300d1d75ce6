"""PagerDuty Events API v2: one incident per case. Every firing alert of a case is a trigger
with the case's ``dedup_key`` (PagerDuty adds it to the open alert), and the case's end is a
``resolve`` with the same key and routing key.

No ``acknowledge`` is sent: PagerDuty reads it as "a responder is on it" and stops the
escalation policy, and the routes page only for cases that need a person."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bwp_privacy.alerting.alert import Alert, Severity
from bwp_privacy.alerting.delivery import (
    Group,
    HttpRequest,
    ReceiverContext,
    deadlines_text,
    http_spec,
    json_body,
    one_line,
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
    # Not grouped: one alert per request, deduplicated on its case.
    (alert,) = alerts
    url = context.environ.get(EVENTS_URL_SETTING) or EVENTS_URL
    event = (
        pagerduty_resolve(alert, secret.routing_key)
        if alert.resolved
        else pagerduty_event(alert, secret.routing_key)
    )
    return HttpRequest(url, json_body(event))


#: One event per alert, deduplicated on its case; the Events API answers 202 on success.
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
    keeps_incidents=True,
)


def pagerduty_resolve(alert: Alert, routing_key: str) -> dict[str, Any]:
    """The Events API v2 resolve body for ``alert``'s case (no payload: PagerDuty takes
    none on a resolve)."""
    return {
        "routing_key": routing_key,
        "event_action": "resolve",
        "dedup_key": alert.case_id[:DEDUP_KEY_LIMIT],
        "client": SOURCE,
    }


def pagerduty_event(alert: Alert, routing_key: str) -> dict[str, Any]:
    """The Events API v2 trigger body for ``alert``."""
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": alert.case_id[:DEDUP_KEY_LIMIT],
        "client": SOURCE,
        # What PagerDuty shows (its UI, a push, an SMS, a call) is plain text: nothing to
        # escape, but one line without control characters. custom_details is data (JSON).
        "payload": {
            "summary": truncate(one_line(alert.summary), SUMMARY_LIMIT),
            "source": SOURCE,
            "severity": _SEVERITY[alert.severity],
            "component": COMPONENT,
            "group": one_line(alert.business_product_id),
            "class": one_line(alert.error_codes[0]),
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
        "case_id": alert.case_id,
        "task_id": alert.task_id,
        "business_product_id": alert.business_product_id,
        "error_codes": alert.error_codes,
        "errors": errors[:MAX_ERRORS],
        "errors_omitted": max(0, len(errors) - MAX_ERRORS) + alert.errors_omitted,
        "task_status": alert.task_status,
        "lookup_status": alert.lookup_status.value,
        "lookup_error": alert.lookup_error,
        "submission_date": alert.submission_date,
        "submitted_days_ago": alert.submitted_days_ago,
        "deadlines": deadlines_text(alert),
        **({"not_silenced": alert.silence_note} if alert.silence_note else {}),
        "runbooks": [f"{runbook.code}: {runbook.text}" for runbook in alert.runbooks],
        "inspect": alert.inspect,
        "event_id": alert.event_id,
        "received_at": alert.received_at,
        "replay_name": alert.replay_name,
    }
