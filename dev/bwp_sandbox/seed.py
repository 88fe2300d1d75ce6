"""Tasks the emulator holds for the sample events in events/ (one per failure kind)."""

from __future__ import annotations

import json
from typing import Any

SAMPLE_BUSINESS_PRODUCT_ID = "bp-30b55436-0c3e-4a5c-9e2f-5d1b8f4c7a11"
#: Seeded as the data subject of every sample task: it must never leave the emulator.
SAMPLE_SHOPPER_EMAIL = "jane.shopper@example.com"

SAMPLE_TASKS: list[dict[str, Any]] = [
    {
        "taskId": "4a1d2f3e-5b6c-4d7e-8f90-a1b2c3d4e5f6",
        "status": "FAILED",
        "holdingPeriod": 10,
        "submissionDate": "2026-10-02T09:12:44.638498Z",
        "lastUpdatedDate": "2026-11-20T12:34:50.120001Z",
        "errors": [
            {
                "code": "ORDERS_NOT_CLOSED",
                "message": "The data subject has orders that are not closed.",
            }
        ],
    },
    {
        "taskId": "7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f",
        "status": "FAILED",
        "holdingPeriod": 0,
        "submissionDate": "2026-11-17T15:00:00Z",
        "lastUpdatedDate": "2026-11-18T08:14:58Z",
        "errors": [
            {
                "code": "DATA_SUBJECT_NOT_FOUND",
                "message": f"No personal data found for {SAMPLE_SHOPPER_EMAIL}.",
            }
        ],
    },
    # The rich-detail sample's task (d4e5f6a7-…) is deliberately unknown to the emulator:
    # the demo shows a lookup that fails for good (ResourceNotFoundError) being recorded.
]

#: The tasks of events/other-kinds/, by kind: a failed access request (its lookup reads why),
#: and a deletion and an access request that completed.
OTHER_KIND_TASKS: list[tuple[str, dict[str, Any]]] = [
    (
        "retrieval",
        {
            "taskId": "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
            "status": "FAILED",
            "submissionDate": "2026-11-20T10:00:00Z",
            "lastUpdatedDate": "2026-11-22T09:15:00Z",
            "errors": [{"code": "EXPORT_FAILED", "message": "The data export failed."}],
        },
    ),
    (
        "deletion",
        {
            "taskId": "7a8b9c0d-1e2f-4a3b-8c4d-e5f6a7b8c9d0",
            "status": "COMPLETED",
            "holdingPeriod": 0,
            "submissionDate": "2026-11-10T10:00:00Z",
            "lastUpdatedDate": "2026-11-21T08:00:00Z",
            "errors": [],
        },
    ),
    (
        "retrieval",
        {
            "taskId": "6f7a8b9c-0d1e-4f2a-b3c4-d5e6f7a8b9c0",
            "status": "COMPLETED",
            "submissionDate": "2026-11-19T10:00:00Z",
            "lastUpdatedDate": "2026-11-21T09:00:00Z",
            "errors": [],
        },
    ),
]


def seed_sample_tasks(add_task: Any) -> None:
    """Give every sample task to ``add_task(business_product_id, task, kind)``: the deletion
    failures of events/*.json, and the tasks of events/other-kinds/."""
    subject = {"type": "SHOPPER", "email": SAMPLE_SHOPPER_EMAIL}
    for task in SAMPLE_TASKS:
        add_task(SAMPLE_BUSINESS_PRODUCT_ID, {**task, "dataSubject": subject}, "deletion")
    for kind, task in OTHER_KIND_TASKS:
        add_task(SAMPLE_BUSINESS_PRODUCT_ID, {**task, "dataSubject": subject}, kind)


#: The partner event source the sandbox's archived events name.
SAMPLE_SOURCE = "aws.partner/buywithprime/bwp-privacy-sample"


def archive_sample_events(events_client: Any, bus_arn: str) -> int:
    """Put a PERSONAL_DATA_DELETION_TASK_FAILED event for each sample task on the partner bus,
    so the archive holds history that `bwp-privacy archive replay` can replay. Returns the
    count; the caller drops the rule's first delivery of them (the past, in the sandbox)."""
    entries = [
        {
            "Source": SAMPLE_SOURCE,
            "DetailType": "PERSONAL_DATA_DELETION_TASK_FAILED",
            "Detail": "{}",
            "Resources": [
                f"businessProduct/{SAMPLE_BUSINESS_PRODUCT_ID}/personalDataDeletionTask/"
                f"{task['taskId']}"
            ],
            "EventBusName": bus_arn,
        }
        for task in SAMPLE_TASKS
    ]
    events_client.put_events(Entries=entries)
    return len(entries)


#: Slack actions and PagerDuty webhooks are on in the sandbox (HasInbound): the workspace and
#: the one user who may act from Slack, and the PagerDuty webhook subscription's secret.
SLACK_TEAM_ID = "T0SANDBOX"
SLACK_ALLOWED_USER = "U0ONCALL"
PAGERDUTY_WEBHOOK_SECRET_NAME = "bwp-privacy/pagerduty-webhook"
PAGERDUTY_WEBHOOK_SIGNING_SECRET = "local-pagerduty-webhook-secret"


def seed_inbound(secrets_client: Any) -> dict[str, str]:
    """The PagerDuty webhook's secret, created; the stack parameters that turn Slack actions
    (with the sandbox's Slack bot secret) and PagerDuty webhooks on."""
    secrets_client.create_secret(
        Name=PAGERDUTY_WEBHOOK_SECRET_NAME,
        SecretString=json.dumps({"signingSecrets": [PAGERDUTY_WEBHOOK_SIGNING_SECRET]}),
    )
    return {
        "SlackAllowedUsers": SLACK_ALLOWED_USER,
        "SlackTeamId": SLACK_TEAM_ID,
        "PagerDutyWebhookSecretName": PAGERDUTY_WEBHOOK_SECRET_NAME,
    }
