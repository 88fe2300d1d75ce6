"""The reaction's SQS input: a batch of published failures (deletion and retrieval), each
checked at the boundary and carried on its own."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from bwp_privacy.common import describe_validation_error
from bwp_privacy.contract import TaskFailure
from bwp_privacy.reaction.input_errors import InvalidReactionInput
from bwp_privacy.reaction.service import ReactionService

__all__ = ["handle_failures"]

logger = Logger(child=True)


def handle_failures(records: list[dict[str, Any]], service: ReactionService) -> dict[str, Any]:
    """Each published failure of an SQS batch, in turn; the answer is the partial batch
    response (a malformed message fails alone and reaches the dead-letter queue)."""

    def record_handler(record: SQSRecord) -> None:
        try:
            failure = TaskFailure.model_validate_json(record.body)
        except ValidationError as error:
            reason = describe_validation_error(error, subject="message")
            logger.warning("Rejected a queue message", extra={"reason": reason})
            raise InvalidReactionInput(reason) from None
        handled = service.task_failed(failure)
        logger.info(
            "Failure handled",
            extra={"outcome": handled.outcome, "case_id": handled.case_id, "state": handled.state},
        )

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    with processor(records=records, handler=record_handler):
        processor.process()
    return dict(processor.response())
