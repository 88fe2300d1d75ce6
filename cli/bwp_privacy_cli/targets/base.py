"""What every target is: where a command acts, and how it runs the functions there.

Commands never ask which kind of target they have: a target knows how to redrive a parked
event to the function and what an archive replay delivered (`SandboxTarget` runs the
function here, as Lambda would; `DeployedTarget` asks Lambda).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bwp_privacy.audit import AuditTrail
from bwp_privacy.cases import CaseReader
from bwp_privacy.common import AWS_CLIENT_CONFIG, BwpPrivacyError
from bwp_privacy.reaction import ReactionSettings
from bwp_privacy.recorder import FailureStore, RecorderSettings
from bwp_privacy.silences import SilenceStore
from bwp_privacy_cli.json_output import TargetOut
from bwp_privacy_cli.local import LocalFunction, patched_environ
from bwp_privacy_cli.operator_client import OperatorClient, OperatorRequestRefused

if TYPE_CHECKING:
    from bwp_privacy_cli.event_runner import ReplayResult

#: The recorder's and the reaction's handlers, as Lambda runs them.
RECORDER_HANDLER = "functions.recorder.app.handler"
RECORDER = "RecorderFunction"
REACTION_HANDLER = "functions.reaction.app.handler"
REACTION = "ReactionFunction"
ROUTER_HANDLER = "functions.alert_router.app.handler"
ROUTER = "AlertRouterFunction"
#: The template's function timeout; also how long an interrupted invocation holds its event
#: (the lease of its claim on the event).
FUNCTION_TIMEOUT_SECONDS = float(os.environ.get("BWP_FUNCTION_TIMEOUT_SECONDS", "60"))
#: Every variable the function reads, so a shell's stray values never leak into a target.
FUNCTION_SETTINGS = RecorderSettings.variables()
REACTION_SETTINGS = ReactionSettings.variables()


class TargetError(BwpPrivacyError, RuntimeError):
    """The target cannot be reached or described; the message says what to do."""


@dataclass(frozen=True)
class Target(ABC):
    """Everything commands need to know about the stack they act on."""

    label: str
    #: RecorderFunction's environment (its settings; never credentials).
    function_env: dict[str, str]
    #: Dead-letter queues and the alert queue by name (rule-dlq, on-failure, router-dlq...).
    queues: dict[str, str]
    #: What boto3 needs to reach this target's AWS (endpoint, region).
    aws_env: dict[str, str] = field(default_factory=dict)
    rule_arn: str | None = None
    archive_arn: str | None = None
    partner_bus_arn: str | None = None
    #: ``--env`` as given ("sandbox", "deployed" or a samconfig environment), the stack and
    #: its region (the sandbox's are local).
    env: str = "sandbox"
    stack: str | None = None
    region: str | None = None
    #: ReactionFunction's environment (its settings; never credentials): the cases commands
    #: act with the operator's credentials on what the reaction uses.
    reaction_env: dict[str, str] = field(default_factory=dict)
    #: AlertRouterFunction's environment (empty: no receiver is deployed).
    router_env: dict[str, str] = field(default_factory=dict)
    #: Each rule on the partner bus (its ARN) and the ARN its target must be.
    rule_targets: dict[str, str] = field(default_factory=dict)
    #: The stack's parameter values (what doctor holds the account to).
    parameters: dict[str, str] = field(default_factory=dict)
    #: The reaction's function URL, where operators' acting commands go (`OperatorClient`).
    operator_url: str | None = None
    #: The inbound function's URL, where Slack and PagerDuty send (None: the stack takes
    #: neither, condition HasInbound).
    inbound_url: str | None = None

    def identity(self) -> TargetOut:
        """What every command's --json says it acted on."""
        return TargetOut(env=self.env, stack=self.stack, region=self.region)

    @abstractmethod
    def banner(self) -> str:
        """The first line of every command's human output: where it acts."""

    @contextmanager
    def aws(self) -> Iterator[None]:
        """boto3 calls inside the block go to this target's AWS."""
        with patched_environ(self.aws_env):
            yield

    @contextmanager
    def function_environment(self) -> Iterator[None]:
        """The function's settings exactly: none of the shell's own BWP_* and table names."""
        with patched_environ(self.function_env, unset=FUNCTION_SETTINGS):
            yield

    def settings(self) -> RecorderSettings:
        """The recorder's settings on this target."""
        return RecorderSettings.from_env(self.function_env)

    def failure_store(self) -> FailureStore:
        """The failures table, read with the caller's credentials."""
        import boto3

        settings = self.settings()
        return FailureStore(
            boto3.client("dynamodb", config=AWS_CLIENT_CONFIG),
            settings.failures_table_name,
            settings.retention_days,
        )

    def reaction_settings(self) -> ReactionSettings:
        """The reaction's settings on this target (an error if it has no reaction)."""
        if not self.reaction_env:
            raise TargetError(f"{self.label} has no ReactionFunction: deploy this version first")
        return ReactionSettings.from_env(self.reaction_env)

    def case_store(self) -> CaseReader:
        """The cases table, read with the caller's credentials (an operator holds no write
        grant on it: operators act through the reaction, `operator_client`)."""
        import boto3

        return CaseReader(
            boto3.client("dynamodb", config=AWS_CLIENT_CONFIG),
            self.reaction_settings().cases_table_name,
        )

    def silence_store(self) -> SilenceStore:
        """The silences, read with the caller's credentials (the reaction alone writes them:
        `silence add|expire` are requests to it)."""
        import boto3

        table = self.reaction_settings().silences_table_name
        if not table:
            raise TargetError(f"{self.label} has no SilencesTable: deploy this version first")
        return SilenceStore(boto3.client("dynamodb", config=AWS_CLIENT_CONFIG), table)

    def audit_trail(self) -> AuditTrail:
        """The audit trail, added to (INSERT only) and read with the caller's credentials."""
        import boto3

        return AuditTrail(
            boto3.client("dynamodb", config=AWS_CLIENT_CONFIG),
            self.reaction_settings().audit_table_name,
        )

    def operator_client(self) -> OperatorClient:
        """Where this target's acting commands go: the reaction's function URL."""
        if not self.operator_url:
            raise TargetError(
                f"{self.label} has no operator URL (output OperatorUrl): deploy this version"
            )
        return OperatorClient(self.operator_url, self.region or "us-east-1")

    def recorder(self) -> LocalFunction:
        """RecorderFunction, run in this process with this target's settings."""
        return LocalFunction(
            logical_id=RECORDER,
            handler_path=RECORDER_HANDLER,
            environment={**self.aws_env, **self.function_env, **self.function_credentials()},
            timeout_seconds=FUNCTION_TIMEOUT_SECONDS,
        )

    def function_credentials(self) -> dict[str, str]:
        """The credentials a local run of the function signs with (none: the caller's)."""
        return {}

    def reaction(self) -> LocalFunction | None:
        """ReactionFunction, run in this process with this target's settings (None: the target
        has no reaction)."""
        if not self.reaction_env:
            return None
        credentials = self.reaction_function_credentials()
        return LocalFunction(
            logical_id=REACTION,
            handler_path=REACTION_HANDLER,
            environment={**self.aws_env, **self.reaction_env, **credentials},
            timeout_seconds=FUNCTION_TIMEOUT_SECONDS,
        )

    def reaction_function_credentials(self) -> dict[str, str]:
        """The credentials a local run of the reaction signs with (none: the caller's)."""
        return {}

    def function_client(self, service: str) -> Any:
        """A client for a call Lambda makes with the function's role (the OnFailure send)."""
        return self.recorder().client(service)

    @abstractmethod
    def invoke_router(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Invoke AlertRouterFunction with ``payload`` and wait for its answer (a test
        alert); a TargetError when the stack has no router."""

    @abstractmethod
    def redrive_event(
        self, event: dict[str, Any], origin: str, *, verbose: bool
    ) -> tuple[bool, str]:
        """Send a parked event to the function again; (whether it was taken, what happened)."""

    def redrive_reaction(
        self, payload: dict[str, Any], origin: str, *, verbose: bool
    ) -> tuple[bool, str]:
        """Send a parked asynchronous input of ReactionFunction (a COMPLETED event, an
        attempt's schedule input) to it again; (whether it was taken, what happened).

        Through the function URL, as every operator's action: operators may not invoke the
        reaction directly (`AuditGuardPolicy`), since a direct invocation could hand it a
        request in anyone's name. The reaction records the redrive with the caller."""
        try:
            answer = self.operator_client().send(
                {"action": "redrive", "origin": origin, "input": payload}
            )
        except OperatorRequestRefused as refused:
            return False, f"refused (HTTP {refused.status}): {refused}"
        return True, f"reaction: {answer.get('outcome', 'handled')}"

    @abstractmethod
    def replayed_events(self, *, verbose: bool) -> list[ReplayResult] | None:
        """What an archive replay delivered to the function, when this target can tell
        (None: EventBridge delivers to Lambda and counts nothing)."""
