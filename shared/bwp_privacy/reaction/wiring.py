"""Build the reaction's long-lived collaborators once per execution environment (cold start)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bwp_privacy.audit import AuditTrail
from bwp_privacy.cases import CaseStore
from bwp_privacy.catalogue import CatalogueSource
from bwp_privacy.common import MetricsSink, aws_client, utc_now
from bwp_privacy.reaction.notices import NoticePublisher
from bwp_privacy.reaction.playbooks_source import PlaybooksSource
from bwp_privacy.reaction.resubmit import GraphQL, Resubmitter
from bwp_privacy.reaction.schedules import AttemptScheduler, SchedulerTarget
from bwp_privacy.reaction.service import ReactionService
from bwp_privacy.reaction.settings import ReactionSettings

if TYPE_CHECKING:
    from bwp_privacy.reaction.inbound_actions import InboundActions
    from bwp_privacy.reaction.operator_actions import OperatorActions
    from bwp_privacy.reaction.silence_actions import SilenceKeeper


def build_reaction(
    settings: ReactionSettings,
    bundled_playbooks: Path,
    metrics: MetricsSink,
    *,
    actor: str | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> ReactionService:
    """Wire the reaction to the API, the cases table, the scheduler, the failures topic and
    the audit trail."""
    # One SSM client for both overrides, and none when neither is set (cold-start time).
    overridden = settings.playbooks_parameter_name or settings.catalogue_parameter_name
    ssm = aws_client("ssm") if overridden else None
    playbooks = PlaybooksSource(
        bundled_playbooks,
        settings.playbooks_parameter_name,
        ssm,
        catalogue=CatalogueSource(settings.catalogue_parameter_name, ssm),
    )
    # One DynamoDB client for the cases, the audit trail and the API budget: each client costs
    # cold-start time.
    dynamodb = aws_client("dynamodb")
    return ReactionService(
        store=CaseStore(dynamodb, settings.cases_table_name, settings.retention_days),
        scheduler=AttemptScheduler(
            aws_client("scheduler"),
            SchedulerTarget(
                group=settings.schedule_group_name,
                target_arn=settings.schedule_target_arn,
                role_arn=settings.scheduler_role_arn,
                dead_letter_arn=settings.schedule_dlq_arn,
                attempt_window_minutes=settings.attempt_window_minutes,
            ),
        ),
        resubmitter=Resubmitter(ApiOnFirstUse(settings, dynamodb)),
        notices=NoticePublisher(aws_client("sns"), settings.failures_topic_arn),
        playbooks=playbooks.get,
        metrics=metrics,
        audit=AuditTrail(dynamodb, settings.audit_table_name),
        retention_days=settings.retention_days,
        actor=actor or settings.actor,
        clock=clock,
    )


def build_operator_actions(
    settings: ReactionSettings,
    service: ReactionService,
    silences: SilenceKeeper | None = None,
    inbound: Callable[[], InboundActions] | None = None,
) -> OperatorActions:
    """The operator requests' collaborators: built at the first request (most execution
    environments never see one, and its module imports the API client's). ``inbound``
    carries out the parked inbound actions an operator redrives."""
    from bwp_privacy.reaction.inbound_redrive import InboundDeadLetters
    from bwp_privacy.reaction.operator_actions import InboundRedrive, OperatorActions

    def inbound_redrive() -> InboundRedrive | None:
        if not settings.inbound_dlq_url or inbound is None:
            return None
        dead_letters = InboundDeadLetters(aws_client("sqs"), settings.inbound_dlq_url)
        return dead_letters, inbound().carry_out

    dynamodb = aws_client("dynamodb")
    return OperatorActions(
        service,
        CaseStore(dynamodb, settings.cases_table_name, settings.retention_days),
        AuditTrail(dynamodb, settings.audit_table_name),
        ApiOnFirstUse(settings, dynamodb),
        settings.retention_days,
        silences=silences,
        inbound_redrive=inbound_redrive,
    )


def build_silences(
    settings: ReactionSettings, *, actor: str | None = None, clock: Callable[[], datetime] = utc_now
) -> SilenceKeeper | None:
    """What adds, expires and releases silences (None: the stack has no SilencesTable); built
    at the first silence request or end, as the operator's actions are."""
    if not settings.silences_table_name:
        return None
    from bwp_privacy.cases import CaseReader
    from bwp_privacy.reaction.silence_actions import SilenceKeeper
    from bwp_privacy.silences import SilenceStore

    dynamodb = aws_client("dynamodb")
    return SilenceKeeper(
        SilenceStore(dynamodb, settings.silences_table_name),
        AttemptScheduler(
            aws_client("scheduler"),
            SchedulerTarget(
                group=settings.schedule_group_name,
                target_arn=settings.schedule_target_arn,
                role_arn=settings.scheduler_role_arn,
                dead_letter_arn=settings.schedule_dlq_arn,
                attempt_window_minutes=settings.attempt_window_minutes,
            ),
        ),
        CaseReader(dynamodb, settings.cases_table_name),
        NoticePublisher(aws_client("sns"), settings.failures_topic_arn),
        AuditTrail(dynamodb, settings.audit_table_name),
        retention_days=settings.retention_days,
        actor=actor or settings.actor,
        clock=clock,
    )


def build_inbound_actions(
    settings: ReactionSettings,
    operator: Callable[[], OperatorActions],
    metrics: MetricsSink,
) -> InboundActions:
    """What carries out Slack's and PagerDuty's verified requests: built at the first batch
    of InboundQueue (most execution environments never see one). ``operator`` is the same
    `OperatorActions` the function URL uses, so a Slack action and the CLI share one path."""
    from bwp_privacy.reaction.inbound_actions import InboundActions
    from bwp_privacy.reaction.inbound_claims import InboundClaims
    from bwp_privacy.reaction.incident_links import CasesTableIncidentLinks
    from bwp_privacy.reaction.slack_answers import SlackResponder

    dynamodb = aws_client("dynamodb")
    return InboundActions(
        claims=InboundClaims(dynamodb, settings.cases_table_name),
        incidents=CasesTableIncidentLinks(dynamodb, settings.cases_table_name),
        operator=operator,
        store=CaseStore(dynamodb, settings.cases_table_name, settings.retention_days),
        audit=AuditTrail(dynamodb, settings.audit_table_name),
        answers=SlackResponder(settings.slack_response_url_prefix),
        metrics=metrics,
        retention_days=settings.retention_days,
    )


class ApiOnFirstUse:
    """The API client, built when the first attempt calls it.

    Most of the reaction's inputs (a failure opening a case, a COMPLETED event) never call
    the API; building the client imports the HTTP stack and creates a Secrets Manager client,
    about a fifth of the reaction's cold start. One instance per execution environment: the
    client it builds keeps its token cache and connections from then on.
    """

    def __init__(self, settings: ReactionSettings, dynamodb: Any) -> None:
        self._settings = settings
        self._dynamodb = dynamodb  # the reaction's own, for the API budget's slots
        self._api: GraphQL | None = None

    def execute(
        self,
        query: str,
        variables: dict[str, Any],
        target_id: str,
        *,
        deadline: float | None = None,
    ) -> dict[str, Any]:
        """``BwpClient.execute``, on a client built at the first call."""
        if self._api is None:
            from bwp_privacy.bwp_api import build_client  # deferred: see the class

            self._api = build_client(self._settings, dynamodb=self._dynamodb)
        return self._api.execute(query, variables, target_id, deadline=deadline)
