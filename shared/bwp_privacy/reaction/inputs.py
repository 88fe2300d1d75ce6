"""The reaction's inputs, told apart by shape and each checked at the boundary: an SQS batch of
published failures (deletion and retrieval) or of inbound actions (Slack, PagerDuty: told apart
by their queue), a COMPLETED event of either kind from the partner bus (async, like the
recorder's rule), and a schedule's input (async, from EventBridge Scheduler): an attempt due,
or a silence's end."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from pydantic import ValidationError

from bwp_privacy.common import describe_validation_error
from bwp_privacy.partner_events import TaskCompletedEvent, parse_event
from bwp_privacy.reaction.input_errors import InvalidReactionInput
from bwp_privacy.reaction.schedules import (
    ATTEMPT_DUE,
    SILENCE_ENDED,
    AttemptDueInput,
    SilenceEndedInput,
)
from bwp_privacy.reaction.service import Handled, ReactionService

if TYPE_CHECKING:
    from bwp_privacy.reaction.inbound_actions import InboundActions
    from bwp_privacy.reaction.operator_actions import OperatorActions
    from bwp_privacy.reaction.silence_actions import SilenceKeeper

logger = Logger(child=True)


def handle(
    event: Any,
    service: ReactionService,
    *,
    expected_account: str | None = None,
    deadline: float | None = None,
    operator: Callable[[], OperatorActions] | None = None,
    silences: Callable[[], SilenceKeeper | None] | None = None,
    inbound: Callable[[], InboundActions] | None = None,
    inbound_queue_arn: str | None = None,
) -> dict[str, Any]:
    """Dispatch one invocation; the answer is the partial batch response for SQS, a function
    URL response to an operator's request (``operator`` builds what carries it out), or what
    the input did otherwise. SQS records from ``inbound_queue_arn`` are inbound actions
    (``inbound`` builds what carries them out), every other record a published failure."""
    if not isinstance(event, dict):
        raise InvalidReactionInput(f"event: expected a JSON object, got {type(event).__name__}")
    if operator is not None:
        # Imported here: an operator's request is rare, and the reaction's other inputs never
        # need its models or the API's cancel mutation.
        from bwp_privacy.reaction.operator_endpoint import handle_request, is_function_url_request

        if is_function_url_request(event):
            return handle_request(event, operator())
    if "Records" in event:
        # Imported here: Powertools' batch utility is the costliest import of the reaction
        # (about 160 ms of a cold start), and a COMPLETED event or a due attempt never needs it.
        from bwp_privacy.reaction.failure_batch import handle_failures

        records = event["Records"]
        if not inbound_queue_arn or inbound is None:
            return handle_failures(records, service)
        # Told apart by the queue Lambda says a record came from, never by its body: whoever
        # may publish a failure cannot make it an inbound action, nor the other way round (a
        # body of the other kind fails its own model and is parked in its own queue's DLQ).
        from_inbound = [r for r in records if _source_of(r) == inbound_queue_arn]
        failures = [r for r in records if _source_of(r) != inbound_queue_arn]
        failed: list[dict[str, Any]] = []
        if failures:
            failed += handle_failures(failures, service)["batchItemFailures"]
        if from_inbound:
            from bwp_privacy.reaction.inbound_actions import handle_inbound

            failed += handle_inbound(from_inbound, inbound())["batchItemFailures"]
        return {"batchItemFailures": failed}
    if event.get("kind") == ATTEMPT_DUE:
        try:
            due = AttemptDueInput.model_validate(event)
        except ValidationError as error:
            raise InvalidReactionInput(describe_validation_error(error, subject="input")) from None
        return _answer(service.attempt_due(due.case_id, due.attempt, deadline=deadline))
    if event.get("kind") == SILENCE_ENDED:
        return _silence_ended(event, silences)
    if "detail-type" in event:
        ref = parse_event(event, expected_account=expected_account, model=TaskCompletedEvent)
        return _answer(service.task_completed(ref.task_id, ref.event.id))
    raise InvalidReactionInput(
        "event: neither an SQS batch (Records), an attempt schedule "
        f"(kind {ATTEMPT_DUE}) nor a partner-bus event (detail-type)"
    )


def _silence_ended(
    event: dict[str, Any], silences: Callable[[], SilenceKeeper | None] | None
) -> dict[str, Any]:
    """A silence's end schedule fired: its open cases are released."""
    try:
        ended = SilenceEndedInput.model_validate(event)
    except ValidationError as error:
        raise InvalidReactionInput(describe_validation_error(error, subject="input")) from None
    keeper = silences() if silences is not None else None
    if keeper is None:
        raise InvalidReactionInput("input: a silence's end, but this stack has no SilencesTable")
    released = keeper.ended(ended.silence_id)
    return {
        "outcome": "released" if released is not None else "unchanged",
        "silenceId": ended.silence_id,
        "released": list(released.case_ids) if released is not None else [],
    }


def _source_of(record: Any) -> Any:
    return record.get("eventSourceARN") if isinstance(record, dict) else None


def _answer(handled: Handled) -> dict[str, Any]:
    logger.info(
        "Input handled",
        extra={"outcome": handled.outcome, "case_id": handled.case_id, "state": handled.state},
    )
    return {
        "outcome": handled.outcome,
        "caseId": handled.case_id,
        "state": None if handled.state is None else handled.state.value,
    }
