"""Everything a local run needs: the API emulator, the local AWS and the stack deployed in it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from bwp_sandbox.admin import REGION, admin_client
from bwp_sandbox.emulator import BwpEmulator
from bwp_sandbox.environ import patched_environ
from bwp_sandbox.lambda_runtime import LocalFunction
from bwp_sandbox.local_aws import LocalAws
from bwp_sandbox.receivers import LocalReceivers, configure_receivers
from bwp_sandbox.seed import archive_sample_events, seed_sample_tasks
from bwp_sandbox.sink import ReceiverSink
from bwp_sandbox.stack import LocalStack, deploy_local_stack, purge

RECORDER = "DeletionTaskFailedFunction"
ROUTER = "AlertRouterFunction"
#: moto keeps only the last segment of a bus name with "/": the local partner bus is plain.
PARTNER_BUS = "bwp-privacy-partner-bus"
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

    @property
    def recorder(self) -> LocalFunction:
        """DeletionTaskFailedFunction as deployed."""
        return self.functions[RECORDER]

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
        for name, spec in stack.functions().items():
            self.aws.iam.register(spec.role)
            extra = self.receivers.env if name == ROUTER else {}
            functions[name] = LocalFunction.from_spec(spec, {**local, **extra})
        return replace(self, stack=stack, functions=functions)

    def function_env(self) -> dict[str, str]:
        """DeletionTaskFailedFunction's settings (its environment but the role's credentials)."""
        credentials = self.recorder.role.credentials()
        return {k: v for k, v in self.recorder.environment.items() if k not in credentials}


def prepare(
    emulator: BwpEmulator, aws: LocalAws, sink: ReceiverSink, **receiver_options: str
) -> Sandbox:
    """Deploy the stack and receivers into ``aws`` (boto3 must point at it); seed tasks.

    ``receiver_options`` (the routing key, the webhooks' secret path) can be canaries.
    """
    receivers = configure_receivers(sink, **receiver_options)
    admin_client("secretsmanager").create_secret(
        Name=CREDENTIALS_SECRET,
        SecretString=json.dumps(
            {"clientId": emulator.client_id, "clientSecret": emulator.client_secret}
        ),
    )
    parameters = {
        "PartnerEventBusName": PARTNER_BUS,
        "BwpCredentialsSecretName": CREDENTIALS_SECRET,
        "BwpApiUrl": emulator.graphql_url,
        "BwpTokenUrl": emulator.token_url,
        **receivers.parameters,
    }
    stack = deploy_local_stack(parameters)
    seed_sample_tasks(emulator.add_task)
    archive_sample_events(admin_client("events"), stack.partner_bus_arn)
    purge(stack.rule_target_queue_url)  # their first delivery: the past, in the sandbox
    sandbox = Sandbox(emulator=emulator, aws=aws, stack=stack, sink=sink, receivers=receivers)
    return sandbox.deploy()


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
