"""What the checks read of a stack: the target's functions' settings, queues, rules and
parameters, and clients for its AWS made with the operator's own credentials."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bwp_privacy.common import AWS_CLIENT_CONFIG
from bwp_privacy_cli.targets import SandboxTarget, Target

#: The queues where what could not be handled waits for a person, by the name `dlq` uses.
DEAD_LETTER_QUEUES = (
    "rule-dlq",
    "on-failure",
    "router-dlq",
    "reaction-dlq",
    "schedule-dlq",
    "inbound-dlq",  # only on a stack that takes Slack's actions or PagerDuty's webhooks
)


@dataclass
class StackView:
    target: Target
    #: How far back the last recorded failure is looked for (one index query a day).
    recent_days: int = 30

    @property
    def sandbox(self) -> bool:
        return isinstance(self.target, SandboxTarget)

    @property
    def stack_name(self) -> str | None:
        """The CloudFormation stack (None: the sandbox, which has none)."""
        return None if self.sandbox else self.target.stack

    @property
    def alarm_prefix(self) -> str:
        """Every alarm of the stack is named after it (the sandbox's stack is bwp-privacy)."""
        return f"{self.target.stack or 'bwp-privacy'}-"

    @property
    def partner_bus(self) -> str | None:
        arn = self.target.partner_bus_arn
        return arn.split(":event-bus/", 1)[1] if arn and ":event-bus/" in arn else None

    @property
    def account(self) -> str | None:
        arn = self.target.partner_bus_arn
        return arn.split(":")[4] if arn else None

    @property
    def region(self) -> str:
        return self.target.region or "us-east-1"

    def client(self, service: str) -> Any:
        """A client for the target's AWS (its endpoint and region are in the environment
        while the doctor runs), with the operator's credentials."""
        import boto3

        return boto3.client(service, config=AWS_CLIENT_CONFIG)

    @functools.cached_property
    def latest_failure(self) -> dict[str, Any] | None:
        """The last failure recorded in the last ``recent_days`` days, if any."""
        since = datetime.now(UTC) - timedelta(days=self.recent_days)
        items = self.target.failure_store().list_received(since)
        return items[0] if items else None
