"""DeadlineWatchFunction: every five minutes, the open cases per legal-deadline bucket as
metrics (an alarm on any case past due). Wiring only: the work is
`bwp_privacy.deadline_watch`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from bwp_privacy.cases import CaseReader
from bwp_privacy.common import NAMESPACE, PowertoolsMetricsSink, aws_client, trace_handler
from bwp_privacy.deadline_watch import DeadlineWatch, WatchSettings

SERVICE = "deadline-watch"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

settings = WatchSettings.from_env()
watch = DeadlineWatch(
    CaseReader(aws_client("dynamodb"), settings.cases_table_name),
    PowertoolsMetricsSink(metrics),
    settings.due_soon_days,
)


@logger.inject_lambda_context(log_event=False)
@trace_handler(SERVICE)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One scheduled run (the event's content is not used)."""
    report = watch.run()
    return {"counts": {bucket.value: n for bucket, n in report.counts.items()}}
