"""The reaction's second SQS input: verified requests from Slack and PagerDuty
(`bwp_privacy.contract.inbound`), put on InboundQueue by the inbound function, carried out
here with the operators' own code path and recorded in the audit trail.

- A Slack action of an allowed user is an operator request (the CLI's own body), held to the
  same model as the function URL holds it and carried out by `OperatorActions.perform` with
  the actor ``slack:<team>/<user>``: the same audit entries, refusals included. The answer goes
  to the action's ``response_url`` (`slack_answers`).
- A Slack action of anyone else is refused and recorded (``refused: not allowed``).
- A PagerDuty event about one of the stack's cases is an audit entry of that case; a resolve
  does not end the case (the legal clock does), it is kept on the case for its next alert.
  An event about an incident that is no case of ours changes nothing.

Each action is done once, whatever the number of copies delivered (`inbound_claims`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import TypeAdapter, ValidationError

from bwp_privacy.audit import SUBJECT_CASE, AuditEntry, AuditWriter, subject
from bwp_privacy.cases import Case, CaseConflict, CaseStore
from bwp_privacy.common import (
    MetricsSink,
    clean_text,
    describe_validation_error,
    iso_z,
    parse_iso,
    utc_now,
)
from bwp_privacy.contract.inbound import InboundAction, PagerDutyAction, SlackAction
from bwp_privacy.reaction.audit_entries import retention_start
from bwp_privacy.reaction.inbound_claims import Claims, claim_key
from bwp_privacy.reaction.incident_links import IncidentLinks
from bwp_privacy.reaction.input_errors import InvalidReactionInput
from bwp_privacy.reaction.operator_actions import OperatorActions, OperatorRefused
from bwp_privacy.reaction.operator_endpoint import OPERATOR_REQUEST
from bwp_privacy.reaction.operator_requests import OperatorRequest, ResubmitRequest
from bwp_privacy.reaction.service import MAX_CONFLICTS
from bwp_privacy.reaction.slack_answers import (
    NOT_ALLOWED,
    Answers,
    SlackAnswer,
    done_answer,
    refused_answer,
)

__all__ = [
    "INBOUND_ACTIONS_METRIC",
    "NOT_ALLOWED_OUTCOME",
    "RESOLVED_OUTCOME",
    "SLACK_REQUESTS",
    "InboundActions",
    "handle_inbound",
]

logger = Logger(child=True)

_ACTION: TypeAdapter[SlackAction | PagerDutyAction] = TypeAdapter(InboundAction)

#: Counted once per record, with dimensions ``source`` and ``outcome``: ``moved``,
#: ``unchanged``, ``refused`` (an operator refusal: the case ended, cannot extend…),
#: ``not-allowed``, ``invalid-request``, ``recorded``, ``foreign-incident``, ``duplicate``,
#: ``invalid`` (a body that is no inbound action).
INBOUND_ACTIONS_METRIC = "InboundActions"
#: The operator requests a Slack action may carry: the buttons' (and the close modal's).
#: Anything else an operator does with their AWS credentials only (a redrive, a record, a
#: task cancel, a changed receipt date, an appeal, a link).
SLACK_REQUESTS = frozenset({"close", "extend", "resubmit", "silence-add", "silence-expire"})
NOT_ALLOWED_OUTCOME = "refused: not allowed (SlackAllowedUsers)"
RESOLVED_OUTCOME = (
    "recorded; the case stays open: the legal clock, not the incident, says when it ends"
)
#: What of a PagerDuty note an entry keeps.
NOTE_LIMIT = 500
#: An action's name as an entry may say it (``close``, ``silence-add``).
_ACTION_NAME = re.compile(r"[a-z][a-z-]{0,31}")


class _NotCarriedOut(Exception):
    """A Slack action's request that cannot be carried out; the message says why."""


class InboundActions:
    """Carries out inbound actions, each once, and records them."""

    def __init__(
        self,
        *,
        claims: Claims,
        incidents: IncidentLinks,
        operator: Callable[[], OperatorActions],
        store: CaseStore,
        audit: AuditWriter,
        answers: Answers,
        metrics: MetricsSink,
        retention_days: int,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._claims = claims
        self._incidents = incidents
        self._operator = operator
        self._store = store
        self._audit = audit
        self._answers = answers
        self._metrics = metrics
        self._retention = timedelta(days=retention_days)
        self._clock = clock

    def carry_out(self, action: SlackAction | PagerDutyAction) -> str:
        """Do what ``action`` asks, once; what came of it (the metric's ``outcome``)."""
        if isinstance(action, PagerDutyAction):
            # A note names its incident alone: its case is the one an earlier event linked.
            case_id = action.case_id or self._incidents.case_of(action.incident_id)
            if case_id is None or self._store.load(case_id) is None:
                # Not ours (or a case whose retention ended): nothing to record it on.
                self._count(action.source, "foreign-incident")
                return "foreign-incident"
            if action.case_id is not None:
                self._incidents.link(action.incident_id, case_id)
            if action.event_type == "incident.triggered":
                # The incident the router opened: linked, nothing anyone did to record.
                self._count(action.source, "linked")
                return "linked"
            on_case = action.model_copy(update={"case_id": case_id})
            return self._once(
                claim_key(action.source, action.event_id),
                on_case,
                lambda: self._pagerduty(on_case, case_id),
            )
        return self._once(
            claim_key(action.source, action.request_id), action, lambda: self._slack(action)
        )

    def count_invalid(self) -> None:
        """A record that is no inbound action."""
        self._count("unknown", "invalid")

    # ---- once ---------------------------------------------------------------------------

    def _once(self, key: str, action: SlackAction | PagerDutyAction, act: Callable[[], str]) -> str:
        if not self._claims.claim(key):
            self._count(action.source, "duplicate")
            return "duplicate"
        try:
            outcome = act()
        except Exception:
            try:
                self._claims.release(key)
            except Exception as error:  # the lease runs out by itself: the retry still comes
                logger.warning("Inbound claim not released", extra={"error": type(error).__name__})
            raise
        self._claims.done(key, outcome)
        self._count(action.source, outcome)
        return outcome

    def _count(self, source: str, outcome: str) -> None:
        self._metrics.count(INBOUND_ACTIONS_METRIC, source=source, outcome=outcome)

    # ---- Slack --------------------------------------------------------------------------

    def _slack(self, action: SlackAction) -> str:
        name = _action_name(action.request)
        if not action.allowed:
            self._refusal(action, name, NOT_ALLOWED_OUTCOME)
            self._answer(action, SlackAnswer("ephemeral", NOT_ALLOWED))
            return "not-allowed"
        try:
            request = _request_of(action, name)
        except _NotCarriedOut as refusal:
            self._refusal(action, name, f"refused: {refusal}")
            self._answer(action, refused_answer(str(refusal)))
            return "invalid-request"
        try:
            answer = self._operator().perform(request, action.actor)
        except OperatorRefused as refused:
            # `perform` recorded the refusal (``refused: <why>``) as it does the CLI's.
            self._answer(action, refused_answer(refused.message))
            return "refused"
        self._answer(action, done_answer(action.user_id, request, answer))
        return answer.outcome

    def _refusal(self, action: SlackAction, name: str, outcome: str) -> None:
        """An audit entry of a Slack action refused before any operator action: on its case,
        in the user's name, at the time the inbound function verified the request (so that a
        retry of the record writes the same entry, not a second one)."""
        case = self._store.load(action.case_id)
        at = parse_iso(action.received_at) or self._clock()
        entry = AuditEntry(
            subject=subject(SUBJECT_CASE, action.case_id),
            at=at,
            entry_id=f"slack-{action.request_id[:32]}",
            actor=action.actor,
            action=f"cases {name}",
            input=f"from Slack (request {action.request_id[:12]})",
            outcome=clean_text(outcome, 1000),
            expires_at=max(retention_start(case) if case else at, at) + self._retention,
        )
        self._audit.append([entry])

    def _answer(self, action: SlackAction, answer: SlackAnswer) -> None:
        self._answers.post(action.response_url, answer)

    # ---- PagerDuty ----------------------------------------------------------------------

    def _pagerduty(self, action: PagerDutyAction, case_id: str) -> str:
        at = _occurred(action, self._clock)
        outcome = "recorded"
        if action.event_type == "incident.resolved":
            outcome = self._resolved_by_hand(case_id, at)
        case = self._store.load(case_id)
        received = parse_iso(action.received_at)
        entry = AuditEntry(
            subject=subject(SUBJECT_CASE, case_id),
            at=at,
            # PagerDuty's event id: a redelivery is the same entry (same time, same id), which
            # the trail keeps once.
            entry_id=f"pagerduty-{action.event_id}",
            actor=action.actor,
            action=f"pagerduty {action.event_type}",
            input=_pagerduty_input(action),
            outcome=outcome,
            detail={
                "incidentId": action.incident_id,
                "eventId": action.event_id,
                "receivedAt": iso_z(received) if received else "",
            },
            expires_at=max(retention_start(case) if case else at, at) + self._retention,
        )
        self._audit.append([entry])
        return "recorded"

    def _resolved_by_hand(self, case_id: str, at: datetime) -> str:
        """Keep on the case that its incident was resolved by hand (the latest such time),
        while it is open; the case's own write guards it (its version), so a case that ended
        meanwhile is read again and left as it is."""
        for _ in range(MAX_CONFLICTS):
            case = self._store.load(case_id)
            if case is None or case.state.ended:
                return "recorded; the case had ended already"
            marked = case.incident_resolved_by_hand_at
            if marked is not None and marked >= at:
                return RESOLVED_OUTCOME
            try:
                self._store.save(_marked(case, at))
            except CaseConflict:
                continue
            return RESOLVED_OUTCOME
        raise CaseConflict(f"case {case_id} kept changing")


def handle_inbound(records: list[dict[str, Any]], actions: InboundActions) -> dict[str, Any]:
    """Each inbound action of an SQS batch, in turn; the answer is the partial batch response
    (a record that is no inbound action, or failed for now, fails alone: it is received again,
    then parked in InboundQueue's dead-letter queue)."""

    def record_handler(record: SQSRecord) -> None:
        try:
            action = _ACTION.validate_json(record.body)
        except ValidationError as error:
            reason = describe_validation_error(error, subject="inbound action")
            logger.warning("Rejected an inbound action", extra={"reason": reason})
            actions.count_invalid()
            raise InvalidReactionInput(reason) from None
        outcome = actions.carry_out(action)
        logger.info(
            "Inbound action handled",
            extra={"source": action.source, "outcome": outcome, "case_id": action.case_id},
        )

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    with processor(records=records, handler=record_handler):
        processor.process()
    return dict(processor.response())


def _action_name(request: dict[str, Any]) -> str:
    """The request's action as an entry may name it (the request itself is not read yet)."""
    name = request.get("action")
    return name if isinstance(name, str) and _ACTION_NAME.fullmatch(name) else "unknown"


def _request_of(action: SlackAction, name: str) -> OperatorRequest:
    """The operator request a Slack action carries, held to the function URL's model and to
    what a button may ask."""
    if name not in SLACK_REQUESTS:
        raise _NotCarriedOut(
            f"request: {name} cannot be asked from Slack (only {', '.join(sorted(SLACK_REQUESTS))})"
        )
    try:
        request = OPERATOR_REQUEST.validate_python(action.request)
    except ValidationError as error:
        raise _NotCarriedOut(describe_validation_error(error, subject="request")) from None
    if getattr(request, "case_id", action.case_id) != action.case_id:
        raise _NotCarriedOut("request: it names another case than the Slack action's")
    if isinstance(request, ResubmitRequest) and request.email is not None:
        # A shopper's email never travels through a chat.
        raise _NotCarriedOut(
            "request: an email is never taken from Slack (bwp-privacy cases resubmit"
            " --email-from-stdin)"
        )
    return request


def _occurred(action: PagerDutyAction, clock: Callable[[], datetime]) -> datetime:
    """When the entry says it happened: PagerDuty's own time (the same for every delivery of
    the event, which keeps its entry one; and what an auditor compares with PagerDuty's
    timeline), never later than the inbound function received it (a time in the future is
    not taken). When PagerDuty's time is unreadable: when it was received."""
    received = parse_iso(action.received_at) or clock()
    occurred = parse_iso(action.occurred_at)
    return received if occurred is None else min(occurred, received)


def _pagerduty_input(action: PagerDutyAction) -> str:
    said = f"incident {action.incident_id}"
    if action.assignees:
        said += " reassigned to " + ", ".join(action.assignees)
    if action.note:
        note = clean_text(action.note, NOTE_LIMIT)
        if note:
            said += f" note: {note}"
    return said


def _marked(case: Case, at: datetime) -> Case:
    return case.model_copy(update={"incident_resolved_by_hand_at": at})
