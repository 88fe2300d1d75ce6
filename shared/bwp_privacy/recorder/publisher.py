"""Publish failure messages on the SNS topic the alert routing consumes."""

from __future__ import annotations

import json
from typing import Any

from bwp_privacy.contract import TaskFailure, message_attributes


class FailurePublisher:
    """One JSON message per failure, with attributes for subscription filter policies."""

    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def publish(self, failure: TaskFailure) -> str:
        """Publish ``failure``; return the SNS message id."""
        answer = self._client.publish(
            TopicArn=self._topic_arn,
            Message=json.dumps(failure.to_json_dict(), separators=(",", ":")),
            MessageAttributes=message_attributes(failure),
        )
        return str(answer["MessageId"])
