"""An SQS batch through the router's stages, answering with the records SQS must deliver
again.

classify (parse and route, a record at a time inside Powertools' BatchProcessor, so a record
that cannot be parsed or routed fails on its own) → put each failure on its case → mute what a
silence matches (never a case past due or due soon) → group (pure) → deliver per receiver,
side by side → audit. Each stage answers the next; a record
whose delivery a retry may fix is added to the processor's answer once, however many of its
receivers failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from bwp_privacy.alerting.auditing import AlertAudit
from bwp_privacy.alerting.case_lookup import CaseLinks, on_their_cases
from bwp_privacy.alerting.classify import Classifier, Routed
from bwp_privacy.alerting.deliver_once import Deliverer
from bwp_privacy.alerting.delivery import DeliveryError
from bwp_privacy.alerting.fanout import deliver_all
from bwp_privacy.alerting.grouping import group_alerts
from bwp_privacy.alerting.silencing import Silencer
from bwp_privacy.common import Budget

logger = Logger(child=True)


class Delayer(Protocol):
    """Keeps a failed record off the queue for a while (a receiver's Retry-After)."""

    def delay(self, record: SQSRecord, seconds: float) -> None: ...


@dataclass(frozen=True)
class RouterStages:
    """The stages of one invocation (`RouterRuntime.stages`)."""

    classifier: Classifier
    links: CaseLinks | None
    deliverers: Mapping[str, Deliverer]
    audit: AlertAudit
    budget: Budget
    #: The silences stage; None: nothing is muted (a stack without SilencesTable).
    silencer: Silencer | None = None


def route_batch(
    event: dict[str, Any], stages: RouterStages, delayer: Delayer | None = None
) -> PartialItemFailureResponse:
    """Route every record, deliver the groups, report the records to retry.

    When a receiver asked for a wait longer than the invocation had left, the record stays
    off the queue until then.
    """
    routed: list[Routed] = []

    def classify(record: SQSRecord) -> None:
        routed.append(stages.classifier.classify(record))

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    with processor(records=event["Records"], handler=classify):
        processor.process()
    answer = processor.response()
    placed, unplaced = on_their_cases(routed, stages.links)
    if stages.silencer is not None:
        placed, unmuted = stages.silencer.apply(placed)
        unplaced += unmuted
    delivery = deliver_all(group_alerts(placed), stages.deliverers, stages.budget)
    stages.audit.record(delivery.sent)
    reported = {item["itemIdentifier"] for item in answer["batchItemFailures"]}
    waits: dict[str, tuple[SQSRecord, float | None]] = {}
    for record, error in unplaced + delivery.failures:
        wait = error.retry_after if isinstance(error, DeliveryError) else None
        _, longest = waits.get(record.message_id, (record, None))
        waits[record.message_id] = (record, max(filter(None, (longest, wait)), default=None))
    for message_id, (record, wait) in waits.items():
        if message_id not in reported:
            reported.add(message_id)
            answer["batchItemFailures"].append({"itemIdentifier": message_id})
        if wait and delayer is not None:
            _delay(delayer, record, wait)
    return answer


def _delay(delayer: Delayer, record: SQSRecord, seconds: float) -> None:
    try:
        delayer.delay(record, seconds)
    except Exception as error:  # the queue's own visibility timeout applies instead
        logger.warning(
            "Could not delay a record for its Retry-After",
            extra={"seconds": seconds, "error": type(error).__name__},
        )
