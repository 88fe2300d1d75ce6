"""Everything a local run needs: the API emulator, the local AWS and the stack deployed in it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import boto3
from pydantic import SecretStr

from bwp_privacy.bwp_api import DEFAULT_API_VERSION, ClientCredentials
from bwp_privacy_cli.local import LocalFunction, patched_environ
from bwp_privacy_cli.onboarding import ApiEndpoints, Destination, SetupRequest, Step
from bwp_privacy_cli.onboarding import run as run_setup
from bwp_privacy_cli.targets import SandboxTarget
from bwp_sandbox.admin import ADMIN_CREDENTIALS, REGION, admin_client
from bwp_sandbox.emulator import BwpEmulator
from bwp_sandbox.iam import FunctionSpec, Role
from bwp_sandbox.inbound import PAGERDUTY_SIGNING_SECRETS, configure_inbound
from bwp_sandbox.local_aws import LocalAws
from bwp_sandbox.receivers import LocalReceivers, configure_receivers
from bwp_sandbox.seed import SAMPLE_BUSINESS_PRODUCT_ID, archive_sample_events, seed_sample_tasks
from bwp_sandbox.sink import ReceiverSink
from bwp_sandbox.stack import (
    ACCOUNT_ID,
    LocalStack,
    deploy_local_stack,
    load_template,
    purge,
    queue_arn,
)

if TYPE_CHECKING:
    from bwp_sandbox.emulator.subscriptions import Destination as SubscribedDestination

RECORDER = "RecorderFunction"
ROUTER = "AlertRouterFunction"
REACTION = "ReactionFunction"
WATCH = "DeadlineWatchFunction"
INBOUND = "InboundFunction"
#: The partner event source Buy with Prime creates in the account at the first subscription,
#: and the bus associated with it (same name; `bwp_sandbox.partner_sources`).
PARTNER_BUS = "aws.partner/buywithprime/bwp-privacy-sandbox"
CREDENTIALS_SECRET = "bwp-privacy/api-credentials"
#: Settings the template leaves to their defaults, shortened so local runs fail fast.
LOCAL_SETTINGS = {"BWP_HTTP_TIMEOUT_SECONDS": "2"}


@dataclass
class Sandbox:
    """Emulator, moto server and receiver sink, with the stack deployed and tasks seeded."""

    emulator: BwpEmulator
    aws: LocalAws
    stack: LocalStack
    sink: ReceiverSink
    receivers: LocalReceivers
    functions: dict[str, LocalFunction] = field(default_factory=dict)
    #: What `bwp-privacy setup`'s code did before the stack was deployed.
    setup: list[Step] = field(default_factory=list)

    @property
    def recorder(self) -> LocalFunction:
        """RecorderFunction as deployed."""
        return self.functions[RECORDER]

    @property
    def reaction(self) -> LocalFunction:
        """ReactionFunction as deployed."""
        return self.functions[REACTION]

    @property
    def watch(self) -> LocalFunction:
        """DeadlineWatchFunction as deployed."""
        return self.functions[WATCH]

    @property
    def inbound(self) -> LocalFunction:
        """InboundFunction as deployed (it exists while Slack actions or PagerDuty webhooks
        are configured, as they are in the sandbox)."""
        if INBOUND not in self.functions:
            raise LookupError("InboundFunction is not deployed: no Slack actions or webhooks")
        return self.functions[INBOUND]

    @property
    def inbound_url(self) -> str:
        """InboundFunction's function URL (AuthType NONE), as the stack's InboundUrl."""
        return self.aws.function_url(INBOUND)

    @property
    def router(self) -> LocalFunction:
        """AlertRouterFunction as deployed (it exists while any receiver is configured)."""
        if ROUTER not in self.functions:
            raise LookupError("AlertRouterFunction is not deployed: no receiver is configured")
        return self.functions[ROUTER]

    def deploy(self, **parameters: str) -> Sandbox:
        """Update the stack with new parameter values, as `sam deploy` would: each function
        gets the environment and the role the template then gives it (cold, not started)."""
        stack = replace(self.stack, parameters={**self.stack.parameters, **parameters})
        local = {
            "AWS_ENDPOINT_URL": self.aws.url,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            **LOCAL_SETTINGS,
        }
        functions = {}
        # The CLI and the sandbox's own calls act as an operator holding the guard README
        # asks every operator to hold: the audit trail is append-only for them too.
        self.aws.iam.guard(
            ADMIN_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            Role(logical_id="Operator", function="operator", statements=stack.operator_guard()),
        )
        for name, spec in stack.functions().items():
            self.aws.iam.register(spec.role)
            extra = self.receivers.env if name == ROUTER else {}
            if name == INBOUND:
                extra = self.inbound_env()
            if name == REACTION:
                # The template takes an https prefix only: the sink's response URLs are local.
                extra = {"SLACK_RESPONSE_URL_PREFIX": self.sink.slack_response_url_prefix}
            functions[name] = local_function(spec, {**local, **extra})
        # The reaction's function URL (operators' requests) serves this deploy's function, to
        # an operator holding what README has every operator hold, and nothing more: the
        # URL authorizes each request against it, as Lambda does.
        self.aws.function_urls.register(
            REACTION, lambda: functions[REACTION], arn=stack.resources[REACTION].attributes["Arn"]
        )
        self.aws.function_urls.grant(
            ADMIN_CREDENTIALS["AWS_ACCESS_KEY_ID"], stack.operator_policies()
        )
        # The inbound function's URL (Slack's and PagerDuty's requests) takes anyone, unsigned
        # by AWS: the function verifies each request's own signature.
        if INBOUND in functions:
            self.aws.function_urls.register(
                INBOUND,
                lambda: functions[INBOUND],
                arn=stack.resources[INBOUND].attributes["Arn"],
                auth_type="NONE",
            )
        else:
            self.aws.function_urls.unregister(INBOUND)
        return replace(self, stack=stack, functions=functions)

    def queue_inbound_action(self, body: str) -> None:
        """Put an inbound action on InboundQueue as InboundFunction does, with its role's
        credentials: `AuditGuardPolicy` denies operators (the sandbox's own credentials
        included) sending there, since an action names who acted."""
        environment = self.inbound.environment
        boto3.client(
            "sqs",
            aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=environment.get("AWS_SESSION_TOKEN"),
            endpoint_url=self.aws.url,
            region_name=REGION,
        ).send_message(QueueUrl=self.stack.inbound_queue_url, MessageBody=body)

    def park_inbound_action(self, body: str) -> None:
        """An inbound action in InboundQueue's dead-letter queue, as SQS leaves one: queued
        (`queue_inbound_action`), then received and never deleted until its redrive policy's
        count moves it."""
        self.queue_inbound_action(body)
        sqs = admin_client("sqs")
        policy = load_template()["Resources"]["InboundQueue"]["Properties"]["RedrivePolicy"]
        for _ in range(int(policy["maxReceiveCount"]) + 1):
            sqs.receive_message(
                QueueUrl=self.stack.inbound_queue_url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=0,
            )

    def inbound_env(self) -> dict[str, str]:
        """What the template cannot pass the inbound function here (its parameters take https
        only): Slack's Web API is the sink's (the close modal), and so are the response URLs
        it keeps."""
        return {
            "SLACK_API_URL": self.sink.slack_api_url,
            "SLACK_RESPONSE_URL_PREFIX": self.sink.base_url + "/",
        }

    def operate(self, request: dict[str, Any]) -> dict[str, Any]:
        """An operator's request to the reaction's function URL, signed with the sandbox's
        own credentials, as `bwp-privacy cases …` sends it; the reaction's answer."""
        return self.target().operator_client().send(request)

    def target(self, *, pid: int | None = None) -> SandboxTarget:
        """This sandbox as the CLI's target (``pid``: the process that serves it)."""
        stack = self.stack
        router = self.functions.get(ROUTER)
        return SandboxTarget(
            label="sandbox",
            function_env=self.recorder.settings(),
            reaction_env=self.reaction.settings(),
            router_env=router.settings() if router else {},
            credentials=self.recorder.credentials,
            reaction_credentials=self.reaction.credentials,
            router_credentials=router.credentials if router else {},
            rule_targets={
                stack.rule_arn: queue_arn(stack.rule_target_queue_url),
                stack.completed_rule_arn: queue_arn(stack.completed_rule_target_queue_url),
            },
            parameters=dict(stack.parameters),
            operator_url=self.aws.function_url(REACTION),
            queues={
                "rule-dlq": stack.rule_dlq_url,
                "on-failure": stack.on_failure_queue_url,
                "router-dlq": stack.alert_dlq_url,
                "alert-queue": stack.alert_queue_url,
                "reaction-dlq": stack.reaction_dlq_url,
                "schedule-dlq": stack.schedule_dlq_url,
                "reaction-queue": stack.reaction_queue_url,
                # InboundQueue and its dead-letter queue, as the stack has them: while Slack
                # actions or PagerDuty webhooks are on (HasInbound).
                **(
                    {"inbound-queue": stack.inbound_queue_url, "inbound-dlq": stack.inbound_dlq_url}
                    if INBOUND in self.functions
                    else {}
                ),
            },
            inbound_url=self.inbound_url if INBOUND in self.functions else None,
            aws_env=self.aws.env,
            rule_arn=stack.rule_arn,
            archive_arn=stack.archive_arn,
            partner_bus_arn=stack.partner_bus_arn,
            rule_target_queue_url=stack.rule_target_queue_url,
            emulator_url=self.emulator.base_url,
            env="sandbox",
            region=self.aws.env.get("AWS_REGION"),
            pid=pid,
        )


def local_function(spec: FunctionSpec, environment: dict[str, str]) -> LocalFunction:
    """A function as the template deploys it: its handler, environment and timeout, and its
    role's credentials (the local AWS holds every call to that role)."""
    return LocalFunction(
        logical_id=spec.logical_id,
        handler_path=spec.handler,
        environment={**spec.environment, **environment, **spec.role.credentials()},
        timeout_seconds=spec.timeout_seconds,
    )


def prepare(
    emulator: BwpEmulator,
    aws: LocalAws,
    sink: ReceiverSink,
    *,
    pagerduty_signing_secrets: tuple[str, ...] = PAGERDUTY_SIGNING_SECRETS,
    **receiver_options: str,
) -> Sandbox:
    """Deploy the stack and receivers into ``aws`` (boto3 must point at it); seed tasks.

    ``receiver_options`` (the routing key, the webhooks' secret path, the Slack signing
    secret) and ``pagerduty_signing_secrets`` (the webhook subscription's) can be canaries.
    """
    receivers = configure_receivers(sink, **receiver_options)
    inbound = configure_inbound(pagerduty_signing_secrets=pagerduty_signing_secrets)
    steps = set_up(emulator)
    parameters = {
        "PartnerEventBusName": PARTNER_BUS,
        "BwpCredentialsSecretName": CREDENTIALS_SECRET,
        "BwpApiUrl": emulator.graphql_url,
        "BwpTokenUrl": emulator.token_url,
        # As README advises for storms (the sandbox's account can reserve: doctor checks it).
        "RecorderReservedConcurrency": "10",
        "ReactionReservedConcurrency": "10",
        **receivers.parameters,
        **inbound,
    }
    stack = deploy_local_stack(parameters)
    seed_sample_tasks(emulator.add_task)
    archive_sample_events(admin_client("events"), stack.partner_bus_arn)
    purge(stack.rule_target_queue_url)  # their first delivery: the past, in the sandbox
    sandbox = Sandbox(
        emulator=emulator, aws=aws, stack=stack, sink=sink, receivers=receivers, setup=steps
    )
    return sandbox.deploy()


def set_up(emulator: BwpEmulator) -> list[Step]:
    """What a merchant does before the first deploy, as `bwp-privacy setup` does it: the
    emulator's credentials checked and kept in the secret the stack reads, the four event
    types subscribed (Buy with Prime then creates the partner event source, PENDING) and the
    source given its bus. The emulator's request log starts after it."""
    events = admin_client("events")

    def source_created(destination: SubscribedDestination) -> None:
        # What Buy with Prime does in the merchant's account at the first subscription.
        events.create_partner_event_source(Name=destination.source, Account=destination.account)

    emulator.on_source_created(source_created)
    request = SetupRequest(
        destination=Destination.of_source(PARTNER_BUS, ACCOUNT_ID, REGION),
        secret_name=CREDENTIALS_SECRET,
        endpoints=ApiEndpoints(emulator.graphql_url, emulator.token_url, DEFAULT_API_VERSION),
        credentials=ClientCredentials(
            client_id=emulator.client_id,
            client_secret=SecretStr(emulator.client_secret),
            target_id=SAMPLE_BUSINESS_PRODUCT_ID,
        ),
        entered=True,
    )
    steps = run_setup(request, secrets=admin_client("secretsmanager"), events=events)
    emulator.clear_log()
    return steps


@contextmanager
def running_sandbox() -> Iterator[Sandbox]:
    """Start emulator, moto and sink on 127.0.0.1, deploy everything, and clean up after."""
    with (
        BwpEmulator() as emulator,
        LocalAws() as aws,
        ReceiverSink() as sink,
        patched_environ(aws.env),
    ):
        yield prepare(emulator, aws, sink)
