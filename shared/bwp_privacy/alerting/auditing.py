"""The router's last stage: an audit entry per alert that reached a receiver, or was parked
for it, on its case's trail.

Written once the batch is delivered, in one call. A send is not undone by a failed write (that
would send it again): the failure is logged with the case ids and counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from aws_lambda_powertools import Logger

from bwp_privacy.alerting.deliver_once import Sent
from bwp_privacy.audit import SUBJECT_CASE, AuditEntry, AuditWriter, NoAudit, subject
from bwp_privacy.common import MetricsSink

logger = Logger(child=True)

#: An alert does not carry its case's deadlines: its audit entry is kept as long as one of a
#: case that ran the longest the shipped jurisdictions allow (GDPR: three months), counted
#: from when it was sent.
ALERT_ENTRY_MARGIN = timedelta(days=92)


class AlertAudit:
    """Records what each batch sent (`AuditTrail`, or nothing where no trail is deployed)."""

    def __init__(
        self,
        writer: AuditWriter | None,
        metrics: MetricsSink,
        *,
        actor: str = "bwp-privacy-alert-router",
        retention_days: int = 730,
    ) -> None:
        self._writer = writer or NoAudit()
        self._metrics = metrics
        self._actor = actor
        self._retention_days = retention_days

    def record(self, sent: Sequence[Sent]) -> None:
        entries = [
            AuditEntry.new(
                subject(SUBJECT_CASE, alert.case_id),
                at=each.at,
                actor=self._actor,
                action=f"alert.{alert.status.value}",
                input_=alert.transition,
                outcome=each.outcome,
                retention_days=self._retention_days,
                detail={"receiver": each.receiver, "route": each.route},
                keep_from=each.at + ALERT_ENTRY_MARGIN,
            )
            for each in sent
            for alert in each.alerts
        ]
        if not entries:
            return
        try:
            self._writer.append(entries)
        except Exception as error:
            logger.error(
                "Delivered, but the audit trail could not record it",
                extra={
                    "case_ids": sorted({e.subject for e in entries}),
                    "error": type(error).__name__,
                },
            )
            self._metrics.count("AuditWriteFailures")
