"""Slack actions and PagerDuty webhooks turned on in the sandbox: the stack parameters and the
secrets that verify their requests (sandbox-only values, never a real workspace's).

The Slack signing secret goes into the Slack secret the receivers already use
(`configure_receivers`, ``signingSecret``); the PagerDuty webhook secret holds two signing
secrets, as while one rotates, so that either verifies a request.
"""

from __future__ import annotations

import json

from bwp_sandbox.admin import admin_client

#: The sandbox's Slack workspace and the one user allowed to act from it.
SLACK_TEAM_ID = "T0SANDBOX"
SLACK_ALLOWED_USER = "U0ONCALL"
#: The Slack app's signing secret (in the Slack secret, ``signingSecret``).
SLACK_SIGNING_SECRET = "sandbox-slack-signing-secret-0123456789"
#: The PagerDuty webhook subscription's signing secrets: the one retiring, the new one.
PAGERDUTY_SIGNING_SECRETS = (
    "sandbox-pagerduty-old-secret-0123456789",
    "sandbox-pagerduty-new-secret-0123456789",
)


def configure_inbound(
    prefix: str = "bwp-privacy",
    *,
    pagerduty_signing_secrets: tuple[str, ...] = PAGERDUTY_SIGNING_SECRETS,
) -> dict[str, str]:
    """Create the PagerDuty webhook secret; the stack parameters that turn both senders on
    (Slack's also needs ``signingSecret`` in the Slack secret: `configure_receivers`)."""
    name = f"{prefix}/pagerduty-webhook"
    admin_client("secretsmanager").create_secret(
        Name=name, SecretString=json.dumps({"signingSecrets": list(pagerduty_signing_secrets)})
    )
    return {
        "SlackAllowedUsers": SLACK_ALLOWED_USER,
        "SlackTeamId": SLACK_TEAM_ID,
        "PagerDutyWebhookSecretName": name,
    }
