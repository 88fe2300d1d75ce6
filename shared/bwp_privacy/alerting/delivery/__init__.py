"""The delivery shell every receiver plug-in shares: the `Receiver` protocol and its
`DeliveryError` (retry or not), the `ReceiverSpec` a plug-in registers, one `HttpReceiver`
for every webhook-style receiver, AWS call errors, and text cut to a service's limits."""

from bwp_privacy.alerting.delivery.aws_calls import aws_error_retryable, delivery_errors
from bwp_privacy.alerting.delivery.base import DeliveryError, Group, Receiver, ThreadRef, Threads
from bwp_privacy.alerting.delivery.http import (
    ANSWER_LIMIT,
    RETRYABLE_STATUSES,
    HttpReceiver,
    HttpRequest,
    JsonPoster,
    json_body,
)
from bwp_privacy.alerting.delivery.spec import (
    ReceiverContext,
    ReceiverSpec,
    Resource,
    SecretReader,
    http_spec,
    secret_setting,
)
from bwp_privacy.alerting.delivery.text import (
    MORE_HINT,
    deadlines_text,
    errors_text,
    group_title,
    more_tasks,
    resolved_by_hand_line,
    resolved_line,
    truncate,
)
from bwp_privacy.common.markup import no_emphasis
from bwp_privacy.common.text import one_line

__all__ = [
    "ANSWER_LIMIT",
    "MORE_HINT",
    "RETRYABLE_STATUSES",
    "DeliveryError",
    "Group",
    "HttpReceiver",
    "HttpRequest",
    "JsonPoster",
    "Receiver",
    "ReceiverContext",
    "ReceiverSpec",
    "Resource",
    "SecretReader",
    "ThreadRef",
    "Threads",
    "aws_error_retryable",
    "deadlines_text",
    "delivery_errors",
    "errors_text",
    "group_title",
    "http_spec",
    "json_body",
    "more_tasks",
    "no_emphasis",
    "one_line",
    "resolved_by_hand_line",
    "resolved_line",
    "secret_setting",
    "truncate",
]
