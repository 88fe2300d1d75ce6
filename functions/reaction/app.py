"""ReactionFunction: carries each failed deletion's or retrieval's case to its end. Its inputs:
published failures (SQS), PERSONAL_DATA_DELETION_TASK_COMPLETED and
PERSONAL_DATA_RETRIEVAL_TASK_COMPLETED events (partner bus), due attempts (EventBridge
Scheduler: attempts and silences' ends), Slack's and PagerDuty's verified requests
(InboundQueue), and operators' requests to its function URL (`bwp-privacy cases …`,
`silence …`). Wiring only: the work is `bwp_privacy.reaction`."""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from bwp_privacy.common import NAMESPACE, PowertoolsMetricsSink, trace_handler
from bwp_privacy.reaction import (
    ReactionSettings,
    build_inbound_actions,
    build_operator_actions,
    build_reaction,
    build_silences,
    handle,
)

if TYPE_CHECKING:
    from bwp_privacy.reaction import OperatorActions, SilenceKeeper
    from bwp_privacy.reaction.inbound_actions import InboundActions

SERVICE = "reaction"
# Beside this file in Lambda (CodeUri functions/reaction/): the handler is `app`, not a package.
PLAYBOOKS_FILE = Path(__file__).with_name("playbooks.json")

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

settings = ReactionSettings.from_env()
service = build_reaction(settings, PLAYBOOKS_FILE, PowertoolsMetricsSink(metrics))


@functools.cache
def silences() -> SilenceKeeper | None:
    """What adds, expires and releases silences: built at the first request or end."""
    return build_silences(settings)


@functools.cache
def operator() -> OperatorActions:
    """What carries out operators' requests (its function URL): built at the first one."""
    return build_operator_actions(settings, service, silences(), inbound)


@functools.cache
def inbound() -> InboundActions:
    """What carries out Slack's and PagerDuty's actions (InboundQueue): built at the first."""
    return build_inbound_actions(settings, operator, PowertoolsMetricsSink(metrics))


@logger.inject_lambda_context(log_event=False)
@trace_handler(SERVICE)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One input: a batch of failures, a COMPLETED event, a due attempt, or an operator's
    request to the function URL."""
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000
    return handle(
        event,
        service,
        expected_account=settings.expected_account_id,
        deadline=deadline,
        operator=operator,
        silences=silences,
        inbound=inbound,
        inbound_queue_arn=settings.inbound_queue_arn,
    )
