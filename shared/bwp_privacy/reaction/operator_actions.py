"""An operator's request, carried out by the reaction for the identity AWS authenticated, and
recorded in the audit trail with that identity, the function's own time and the stack's
retention: no one can write an entry in someone else's name, back-date one, or shorten its
life (operators hold no write grant on the audit or cases tables: `AuditGuardPolicy`).

Every request is one entry, refused and failed ones included: a case's (``case:<id>``), a
task's no case holds (``task:<id>``), a silence's (``silence:<id>``), or a record of work on
what is not a case (a dead-letter queue, an export).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import ValidationError

from bwp_privacy.audit import (
    SUBJECT_CASE,
    SUBJECT_DLQ,
    SUBJECT_SILENCE,
    SUBJECT_TASK,
    AuditEntry,
    AuditWriter,
    subject,
)
from bwp_privacy.bwp_api import (
    CANCEL_DELETION_TASK_MUTATION,
    BwpApiError,
    ResourceNotFoundApiError,
    ValidationApiError,
    lookup_query,
)
from bwp_privacy.cases import CaseStore
from bwp_privacy.common import BwpPrivacyError, describe_validation_error, iso_z, utc_now
from bwp_privacy.contract.inbound import PagerDutyAction, SlackAction
from bwp_privacy.partner_events import InvalidEventError, TaskCompletedEvent, parse_event
from bwp_privacy.reaction.audit_entries import retention_start
from bwp_privacy.reaction.decisions import CannotAppeal, CannotExtend, CannotSetReceived
from bwp_privacy.reaction.inbound_redrive import InboundDeadLetters
from bwp_privacy.reaction.operator_requests import (
    AppealRequest,
    CloseRequest,
    ExtendRequest,
    InboundRedriveRequest,
    LinkRequest,
    OperatorRequest,
    RecordRequest,
    RedriveRequest,
    ResubmitRequest,
    SetReceivedRequest,
    SilenceAddRequest,
    SilenceExpireRequest,
    TaskCancelRequest,
)
from bwp_privacy.reaction.resubmit import CannotResubmit, GraphQL
from bwp_privacy.reaction.schedules import (
    ATTEMPT_DUE,
    SILENCE_ENDED,
    AttemptDueInput,
    SilenceEndedInput,
)
from bwp_privacy.reaction.service import CaseNotFound, CaseNotStartable, Handled, ReactionService
from bwp_privacy.reaction.silence_actions import SilenceEnded, SilenceKeeper, SilenceNotFound
from bwp_privacy.silences import describe_matchers, new_silence_id
from bwp_privacy.task_kinds import task_kind

#: What an inbound redrive needs: the dead-letter queue, and what carries an action out.
InboundRedrive = tuple[InboundDeadLetters, Callable[[SlackAction | PagerDutyAction], str]]

#: What of a refusal's message an entry keeps.
OUTCOME_LIMIT = 1000


class OperatorRefused(BwpPrivacyError):
    """What the operator asked cannot be done; ``status`` is the HTTP status it answers."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class OperatorAnswer:
    """What the request did: ``moved``, ``unchanged``, ``cancelled`` or ``recorded``."""

    outcome: str
    actor: str
    case_id: str | None = None
    state: str | None = None
    task_id: str | None = None
    #: A silence request's silence, and when it stops muting.
    silence_id: str | None = None
    ends_at: str | None = None
    #: The open cases a silence's release told (an expire).
    released: tuple[str, ...] | None = None
    #: Each parked inbound action an inbound redrive took (``messageId``, ``redriven``,
    #: ``detail``).
    redriven: tuple[dict[str, object], ...] | None = None


@dataclass
class _Entry:
    """The audit entry a request makes, filled in as it goes."""

    subject: str
    action: str
    input: str
    outcome: str = "done"
    detail: dict[str, str] = field(default_factory=dict)
    keep_from: datetime | None = None


class OperatorActions:
    """Carries out operator requests with the reaction's own collaborators."""

    def __init__(
        self,
        service: ReactionService,
        store: CaseStore,
        audit: AuditWriter,
        api: GraphQL,
        retention_days: int,
        clock: Callable[[], datetime] = utc_now,
        silences: SilenceKeeper | None = None,
        inbound_redrive: Callable[[], InboundRedrive | None] | None = None,
    ) -> None:
        self._silences = silences
        self._inbound_redrive = inbound_redrive
        self._service = service
        self._store = store
        self._audit = audit
        self._api = api
        self._retention_days = retention_days
        self._clock = clock

    def perform(self, request: OperatorRequest, actor: str) -> OperatorAnswer:
        """Do what ``request`` asks, for ``actor`` (the authenticated caller), and record it."""
        match request:
            case ResubmitRequest():
                given = "--email-from-stdin" if request.email else "the failed task's email"
                return self._on_case(
                    request.case_id,
                    "resubmit",
                    given,
                    actor,
                    lambda: self._service.resubmit_now(
                        request.case_id,
                        actor,
                        email=request.email.get_secret_value() if request.email else None,
                    ),
                )
            case CloseRequest():
                given = f"--as {request.closed_as}"
                if request.denied_because is not None:
                    given += f" --denied-because {request.denied_because}"
                return self._on_case(
                    request.case_id,
                    "close",
                    f"{given} --reason {request.reason}",
                    actor,
                    lambda: self._service.close(
                        request.case_id,
                        request.reason,
                        actor,
                        request.closed_as,
                        request.denied_because,
                    ),
                )
            case ExtendRequest():
                return self._on_case(
                    request.case_id,
                    "extend",
                    f"--jurisdiction {request.jurisdiction} --reason {request.reason}",
                    actor,
                    lambda: self._service.extend(
                        request.case_id, request.jurisdiction, request.reason, actor
                    ),
                )
            case SetReceivedRequest():
                return self._on_case(
                    request.case_id,
                    "set-received",
                    f"{_utc(request.received)} --reason {request.reason}",
                    actor,
                    lambda: self._service.set_received(
                        request.case_id, request.received, request.reason, actor
                    ),
                )
            case AppealRequest():
                return self._on_case(
                    request.case_id,
                    "appeal",
                    f"--received {_utc(request.received)} --reason {request.reason}",
                    actor,
                    lambda: self._service.appeal(
                        request.case_id, request.received, request.reason, actor
                    ),
                )
            case LinkRequest():
                return self._on_case(
                    request.case_id,
                    "link",
                    f"task {request.task_id}",
                    actor,
                    lambda: self._service.link_task(request.case_id, request.task_id, actor),
                )
            case TaskCancelRequest():
                return self._cancel(request, actor)
            case RedriveRequest():
                return self._redrive(request, actor)
            case RecordRequest():
                entry = _Entry(request.subject, request.name, request.input, request.outcome)
                entry.detail = dict(request.detail)
                self._write(entry, actor)
                return OperatorAnswer("recorded", actor)
            case InboundRedriveRequest():
                return self._redrive_inbound(request, actor)
            case SilenceAddRequest():
                return self._silence_add(request, actor)
            case SilenceExpireRequest():
                return self._silence_expire(request, actor)

    def _redrive_inbound(self, request: InboundRedriveRequest, actor: str) -> OperatorAnswer:
        """Parked inbound actions carried out again, read from their dead-letter queue by the
        reaction; one entry on ``dlq:inbound-dlq`` for the operator's redrive (each action's
        own entries name the person who acted)."""
        redrive = self._inbound_redrive() if self._inbound_redrive is not None else None
        if redrive is None:
            raise OperatorRefused(409, "this stack takes no Slack or PagerDuty requests")
        dead_letters, carry_out = redrive
        named = ",".join(request.message_ids) or f"the first {request.limit}"
        entry = _Entry(subject(SUBJECT_DLQ, "inbound-dlq"), "dlq redrive", f"messages {named}")
        with self._recorded(entry, actor):
            results = dead_letters.redrive(set(request.message_ids), request.limit, carry_out)
            carried = sum(result.redriven for result in results)
            entry.outcome = f"{carried} carried out, {len(results) - carried} left"
            entry.detail = {
                f"m{index}": f"{result.message_id}: {result.detail}"[:1000]
                for index, result in enumerate(results[:20])
            }
        return OperatorAnswer(
            "redriven",
            actor,
            redriven=tuple(
                {"messageId": r.message_id, "redriven": r.redriven, "detail": r.detail}
                for r in results
            ),
        )

    def _keeper(self) -> SilenceKeeper:
        if self._silences is None:
            raise OperatorRefused(409, "this stack has no SilencesTable: deploy this version")
        return self._silences

    def _silence_add(self, request: SilenceAddRequest, actor: str) -> OperatorAnswer:
        """A silence, recorded under its id (named first, so a failed add is recorded too)."""
        keeper = self._keeper()
        what = describe_matchers(request.match)
        silence_id = new_silence_id()
        entry = _Entry(
            subject(SUBJECT_SILENCE, silence_id),
            "silence add",
            f"--match {what} --for {request.for_seconds}s --reason {request.reason}",
        )
        with self._recorded(entry, actor):
            silence = keeper.add(
                silence_id, dict(request.match), request.for_seconds, request.reason, actor
            )
            entry.outcome = f"added: until {iso_z(silence.ends_at)}"
            entry.detail = {"match": what, "endsAt": iso_z(silence.ends_at)}
            entry.keep_from = silence.ends_at
        return OperatorAnswer(
            "added", actor, silence_id=silence.silence_id, ends_at=iso_z(silence.ends_at)
        )

    def _silence_expire(self, request: SilenceExpireRequest, actor: str) -> OperatorAnswer:
        keeper = self._keeper()
        entry = _Entry(
            subject(SUBJECT_SILENCE, request.silence_id),
            "silence expire",
            f"--reason {request.reason}" if request.reason else "",
        )
        with self._recorded(entry, actor):
            try:
                released = keeper.expire(request.silence_id, request.reason, actor)
            except SilenceNotFound as error:
                raise OperatorRefused(404, str(error)) from None
            except SilenceEnded as error:
                raise OperatorRefused(409, str(error)) from None
            entry.outcome = f"expired: {len(released.case_ids)} open case(s) released"
            entry.detail = {"match": released.silence.what}
        return OperatorAnswer(
            "expired",
            actor,
            silence_id=request.silence_id,
            ends_at=iso_z(released.silence.ended_at),
            released=released.case_ids,
        )

    def _on_case(
        self, case_id: str, name: str, input_: str, actor: str, act: Callable[[], Handled]
    ) -> OperatorAnswer:
        entry = _Entry(subject(SUBJECT_CASE, case_id), f"cases {name}", input_)
        with self._recorded(entry, actor):
            try:
                handled = act()
            except CaseNotFound:
                raise OperatorRefused(
                    404, f"no case {case_id} (a case's id is its first task's id)"
                ) from None
            except (
                CaseNotStartable,
                CannotResubmit,
                CannotExtend,
                CannotSetReceived,
                CannotAppeal,
            ) as error:
                raise OperatorRefused(409, str(error)) from None
            case = self._store.load(case_id)
            state = handled.state.value if handled.state else None
            entry.outcome = f"{handled.outcome}: {state or '?'}"
            if case is not None:
                entry.keep_from = retention_start(case)
        task = (
            case.current_task.task_id if case is not None and name in ("resubmit", "link") else None
        )
        return OperatorAnswer(handled.outcome, actor, handled.case_id, state, task)

    def _cancel(self, request: TaskCancelRequest, actor: str) -> OperatorAnswer:
        link = self._store.task_link(request.task_id)
        about = (
            subject(SUBJECT_CASE, link.case_id)
            if link is not None and link.case_id
            else subject(SUBJECT_TASK, request.task_id)
        )
        input_ = f"task {request.task_id} of business product {request.business_product_id}"
        entry = _Entry(about, "task cancel", input_)
        with self._recorded(entry, actor):
            try:
                self._api.execute(
                    CANCEL_DELETION_TASK_MUTATION,
                    {"taskId": request.task_id},
                    request.business_product_id,
                )
            except ResourceNotFoundApiError:
                raise OperatorRefused(
                    404,
                    f"task {request.task_id} not found for business product"
                    f" {request.business_product_id}",
                ) from None
            except ValidationApiError as error:
                raise OperatorRefused(
                    409, f"task {request.task_id} cannot be cancelled: {error.message}"
                ) from None
            entry.outcome = "cancelled"
        return OperatorAnswer("cancelled", actor, task_id=request.task_id)

    def _redrive(self, request: RedriveRequest, actor: str) -> OperatorAnswer:
        """Hand a parked input to the reaction again, as its own invocation would have; a
        COMPLETED event only once Buy with Prime says the task is completed (a redrive must not
        be a way to complete a case the API does not)."""
        raw = request.input
        if raw.get("kind") == SILENCE_ENDED:
            return self._redrive_silence_end(request, actor)
        if raw.get("kind") == ATTEMPT_DUE:
            try:
                due = AttemptDueInput.model_validate(raw)
            except ValidationError as error:
                raise OperatorRefused(
                    400, describe_validation_error(error, subject="input")
                ) from None
            entry = _Entry(
                subject(SUBJECT_CASE, due.case_id),
                "dlq redrive",
                f"attempt {due.attempt} (parked message {request.origin})",
            )
            with self._recorded(entry, actor):
                handled = self._service.attempt_due(due.case_id, due.attempt)
                entry.outcome = _outcome(handled)
            return OperatorAnswer(handled.outcome, actor, handled.case_id, _state(handled))
        if "detail-type" not in raw:
            raise OperatorRefused(
                400,
                "input: a redrive carries an attempt schedule's input (kind"
                f" {ATTEMPT_DUE}), a silence's end (kind {SILENCE_ENDED}) or a COMPLETED"
                " event (detail-type)",
            )
        try:
            ref = parse_event(raw, model=TaskCompletedEvent)
        except InvalidEventError as error:
            raise OperatorRefused(400, str(error)) from None
        link = self._store.task_link(ref.task_id)
        about = (
            subject(SUBJECT_CASE, link.case_id)
            if link is not None and link.case_id
            else subject(SUBJECT_TASK, ref.task_id)
        )
        entry = _Entry(about, "dlq redrive", f"{ref.event.detail_type} of task {ref.task_id}")
        with self._recorded(entry, actor):
            # The lookup of the task's kind, and the field its answer is in.
            query, field = lookup_query(ref.task_kind), task_kind(ref.task_kind).query_field
            try:
                data = self._api.execute(query, {"taskId": ref.task_id}, ref.business_product_id)
            except BwpApiError as error:
                if not error.permanent:
                    raise  # busy: the operator sends it again (503)
                raise OperatorRefused(
                    409,
                    f"Buy with Prime cannot say task {ref.task_id} is COMPLETED"
                    f" ({error.classification}): the event is not redriven",
                ) from None
            task = data.get(field)
            status = task.get("status") if isinstance(task, dict) else None
            if status != "COMPLETED":
                shown = status if status in _STATUSES else "unknown"
                raise OperatorRefused(
                    409,
                    f"Buy with Prime says task {ref.task_id} is {shown}, not COMPLETED: the"
                    " event is not redriven",
                )
            handled = self._service.task_completed(ref.task_id, ref.event.id)
            entry.outcome = _outcome(handled)
        return OperatorAnswer(handled.outcome, actor, handled.case_id, _state(handled))

    def _redrive_silence_end(self, request: RedriveRequest, actor: str) -> OperatorAnswer:
        """A silence's end Scheduler could not deliver: its cases released now, recorded on
        the silence as the operator's redrive."""
        try:
            ended = SilenceEndedInput.model_validate(request.input)
        except ValidationError as error:
            raise OperatorRefused(400, describe_validation_error(error, subject="input")) from None
        keeper = self._keeper()
        entry = _Entry(
            subject(SUBJECT_SILENCE, ended.silence_id),
            "dlq redrive",
            f"silence end (parked message {request.origin})",
        )
        with self._recorded(entry, actor):
            released = keeper.ended(ended.silence_id)
            entry.outcome = (
                f"released: {len(released.case_ids)} open case(s)"
                if released is not None
                else "unchanged: still muting, gone, or expired (released then)"
            )
        return OperatorAnswer(
            "released" if released is not None else "unchanged",
            actor,
            silence_id=ended.silence_id,
            ends_at=iso_z(released.silence.ended_at) if released is not None else None,
            released=released.case_ids if released is not None else (),
        )

    @contextmanager
    def _recorded(self, entry: _Entry, actor: str) -> Iterator[None]:
        """Write ``entry`` whatever happens: ``refused: <why>`` for what the operator can
        act on, ``failed: <error type>`` otherwise; the error is raised all the same."""
        try:
            yield
        except OperatorRefused as error:
            entry.outcome = f"refused: {error.message}"
            raise
        except BwpApiError as error:
            entry.outcome = f"failed: {error.classification}"
            raise
        except Exception as error:
            entry.outcome = f"failed: {type(error).__name__}"
            raise
        finally:
            self._write(entry, actor)

    def _write(self, entry: _Entry, actor: str) -> None:
        self._audit.append(
            [
                AuditEntry.new(
                    entry.subject,
                    at=self._clock(),
                    actor=actor,
                    action=entry.action,
                    input_=entry.input[:2000],
                    outcome=entry.outcome[:OUTCOME_LIMIT],
                    retention_days=self._retention_days,
                    detail=entry.detail,
                    keep_from=entry.keep_from,
                )
            ]
        )


_STATUSES = frozenset({"IN_PROGRESS", "ON_HOLD", "COMPLETED", "FAILED"})


def _state(handled: Handled) -> str | None:
    return handled.state.value if handled.state else None


def _outcome(handled: Handled) -> str:
    state = _state(handled)
    return f"{handled.outcome}: {state}" if state else handled.outcome


def _utc(moment: datetime) -> str:
    """A time an operator gave, as every other time of the audit trail reads: UTC, with Z
    (the request may carry any offset: the moment is the same)."""
    return iso_z(moment.astimezone(UTC))
