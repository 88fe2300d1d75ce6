"""The reaction's inputs, told apart by shape and each checked at the boundary: an SQS batch of
published failures (deletion and retrieval), a COMPLETED event of either kind from the partner
bus (async, like the recorder's rule), and a schedule's input (async, from EventBridge
Scheduler): an attempt due, or a silence's end."""

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
) -> dict[str, Any]:
    """Dispatch one invocation; the answer is the partial batch response for SQS, a function
    URL response to an operator's request (``operator`` builds what carries it out), or what
    the input did otherwise."""
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

        return handle_failures(event["Records"], service)
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
