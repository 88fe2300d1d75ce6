"""Amazon Q Developer in chat applications (ex AWS Chatbot): custom notifications over SNS."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Protocol

from bwp_privacy.alerting.alert import Alert
from bwp_privacy.alerting.delivery import (
    Group,
    Receiver,
    ReceiverContext,
    ReceiverSpec,
    Threads,
    deadlines_text,
    delivery_errors,
    no_emphasis,
    one_line,
    truncate,
)
from bwp_privacy.common import Budget

EVENT_TYPE = "PERSONAL_DATA_DELETION_TASK_FAILED"
# The published schema names no field limits; these keep every field short enough to render
# whole in Slack (3000-character sections) and Teams, far below SNS's 256 KiB message limit.
TITLE_LIMIT = 250
DESCRIPTION_LIMIT = 3000
SUMMARY_LIMIT = 250
MAX_NEXT_STEPS = 10
NEXT_STEP_LIMIT = 500
MAX_KEYWORDS = 10
KEYWORD_LIMIT = 75
THREAD_ID_LIMIT = 128
CONTEXT_VALUE_LIMIT = 256
MESSAGE_LIMIT = 300

#: ``client-markdown`` is the markup of the channel's client, Slack's mrkdwn or Teams'
#: Markdown, rendered by Amazon Q: a character that is markup in either is replaced by a
#: look-alike that is markup in neither (a backslash would show in Slack, an entity in Teams).
_MARKUP = str.maketrans({"<": "\u2039", ">": "\u203a", "@": "\uff20", "|": "\u2223"})
#: The ``](`` of a Markdown link or image (``[label](url)``).
_LINK = re.compile(r"\](?=\s*\()")


class SnsPublisher(Protocol):
    """The one call this receiver makes on a boto3 SNS client."""

    def publish(self, **kwargs: Any) -> Any:
        """SNS Publish."""
        ...


class AmazonQReceiver:
    """Publishes one custom notification per alert to the SNS topic Amazon Q watches; every
    notification of a case has the case's ``threadId``, so its updates and its resolve land in
    one thread where the channel threads."""

    name: str = "amazon-q"
    grouped: bool = False
    send_resolved: bool = True

    def __init__(self, sns_client: SnsPublisher, topic_arn: str) -> None:
        self._sns = sns_client
        self._topic_arn = topic_arn

    def deliver(
        self,
        alerts: Sequence[Alert],
        group: Group,
        *,
        budget: Budget,
        threads: Threads | None = None,
    ) -> Threads | None:
        """Publish each alert; the client's own timeouts and retries bound the call."""
        for alert in alerts:
            message = json.dumps(amazon_q_notification(alert), separators=(",", ":"))
            with delivery_errors(self.name, "SNS Publish", budget):
                self._sns.publish(TopicArn=self._topic_arn, Message=message)
        return None


def _build(topic_arn: str, context: ReceiverContext) -> Receiver:
    return AmazonQReceiver(context.clients("sns"), topic_arn)


#: Deployed with AmazonQTopicArn: the SNS topic an Amazon Q channel configuration watches.
SPEC = ReceiverSpec(
    name="amazon-q",
    grouped=False,
    setting="AMAZON_Q_TOPIC_ARN",
    parameter="AmazonQTopicArn",
    resource="sns-topic",
    build=_build,
)


def amazon_q_notification(alert: Alert) -> dict[str, Any]:
    """The custom notification JSON for ``alert``, every field within its limit."""
    keywords = dict.fromkeys(
        truncate(client_markdown_escape(word), KEYWORD_LIMIT)
        for word in [alert.severity.value, *alert.error_codes]
    )
    context = {
        "caseId": alert.case_id,
        "alertStatus": alert.status.value,
        "taskId": alert.task_id,
        "businessProductId": alert.business_product_id,
        "severity": alert.severity.value,
        "errorCodes": ", ".join(alert.error_codes),
        "status": alert.task_status or "unknown",
        "lookupStatus": alert.lookup_status.value,
        "submissionDate": alert.submission_date or "unknown",
        "submittedDaysAgo": "unknown"
        if alert.submitted_days_ago is None
        else str(alert.submitted_days_ago),
        "eventId": alert.event_id,
        "receivedAt": alert.received_at,
    }
    return {
        "version": "1.0",
        "source": "custom",
        "id": f"{alert.case_id}/{alert.transition}"[:THREAD_ID_LIMIT],
        "content": {
            "textType": "client-markdown",
            "title": truncate(
                f"{':white_check_mark:' if alert.resolved else ':rotating_light:'}"
                f" {client_markdown_escape(alert.summary)}",
                TITLE_LIMIT,
            ),
            "description": _description(alert),
            "nextSteps": _next_steps(alert),
            "keywords": list(keywords)[:MAX_KEYWORDS],
        },
        "metadata": {
            "threadId": alert.case_id[:THREAD_ID_LIMIT],
            "summary": truncate(client_markdown_escape(alert.summary), SUMMARY_LIMIT),
            "eventType": EVENT_TYPE,
            "relatedResources": list(
                dict.fromkeys([alert.case_id, alert.task_id, alert.business_product_id])
            ),
            "additionalContext": {
                key: truncate(value, CONTEXT_VALUE_LIMIT) for key, value in context.items()
            },
        },
    }


def client_markdown_escape(text: str) -> str:
    """Text from outside (an API's error message, an id, an operator's reason) as written in
    ``client-markdown``, whichever client renders it: one line without control characters, no
    ``<!channel>``/``<@U…>``/``<at>`` mention, ``@here``, ``<url|label>`` or ``[label](url)``
    link, and no emphasis or code delimiter (`no_emphasis`)."""
    return _LINK.sub("\uff3d", no_emphasis(one_line(text).translate(_MARKUP)))


def _description(alert: Alert) -> str:
    esc = client_markdown_escape
    lines = [
        f"*Task:* `{esc(alert.task_id)}` · *Business product:* `{esc(alert.business_product_id)}`",
        f"*Status:* `{esc(alert.task_status or 'unknown')}`"
        f" · *Lookup:* `{alert.lookup_status.value}`",
    ]
    if alert.lookup_error:
        lines.append(f"*Lookup error:* {esc(truncate(alert.lookup_error, MESSAGE_LIMIT))}")
    lines.append(f"*Deadlines:* {deadlines_text(alert)}")
    if alert.silence_note:
        lines.append(f"*Not silenced:* {esc(alert.silence_note)}")
    if alert.errors:
        lines.append("*Errors:*")
    lines += [
        f"• `{esc(error.code or 'UNSPECIFIED')}`: {esc(truncate(error.message, MESSAGE_LIMIT))}"
        for error in alert.errors
    ]
    if alert.errors_omitted:
        lines.append(f"• …and {alert.errors_omitted} more errors")
    text = ""
    for index, line in enumerate(lines):
        more = (
            f"\n…and {len(lines) - index} more lines:"
            f" bwp-privacy failures show {client_markdown_escape(alert.task_id)}"
        )
        if len(text) + 1 + len(line) + len(more) > DESCRIPTION_LIMIT:
            return truncate(text + more, DESCRIPTION_LIMIT)
        text = f"{text}\n{line}" if text else line
    return text


def _next_steps(alert: Alert) -> list[str]:
    esc = client_markdown_escape
    steps = [
        f"Runbook {esc(runbook.code)}: {esc(runbook.text)}"
        # The URL is the routes file's (https only), shown whole.
        + (f" ({runbook.url})" if runbook.url else "")
        for runbook in alert.runbooks
    ]
    steps += [f"Inspect: `{esc(command)}`" for command in alert.inspect]
    if len(steps) > MAX_NEXT_STEPS:
        # The inspect commands come last and matter most when runbooks are cut.
        steps = steps[: MAX_NEXT_STEPS - len(alert.inspect)] + steps[-len(alert.inspect) :]
    return [truncate(step, NEXT_STEP_LIMIT) for step in steps[:MAX_NEXT_STEPS]]
