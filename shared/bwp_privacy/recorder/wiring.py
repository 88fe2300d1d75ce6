"""Build the recorder's long-lived collaborators once per execution environment (cold start)."""

from __future__ import annotations

from bwp_privacy.bwp_api import build_client
from bwp_privacy.common import MetricsSink, aws_client
from bwp_privacy.recorder.publisher import FailurePublisher
from bwp_privacy.recorder.recorder import FailureRecorder
from bwp_privacy.recorder.settings import RecorderSettings
from bwp_privacy.recorder.store import FailureStore


def build_recorder(settings: RecorderSettings, metrics: MetricsSink) -> FailureRecorder:
    """Wire the recorder to the API, the failures table (the events' claims and their
    records) and the failures topic (every AWS client made here, at cold start, with the
    project's configuration)."""
    dynamodb = aws_client("dynamodb")
    return FailureRecorder(
        lookup=build_client(settings, dynamodb=dynamodb),
        store=FailureStore(
            dynamodb,
            settings.failures_table_name,
            settings.retention_days,
        ),
        publisher=FailurePublisher(aws_client("sns"), settings.failures_topic_arn),
        metrics=metrics,
    )
