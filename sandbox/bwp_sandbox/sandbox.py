"""Everything a local run needs: the API emulator, the local AWS and the stack in it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bwp_sandbox.emulator import BwpEmulator
from bwp_sandbox.environ import patched_environ
from bwp_sandbox.local_aws import LocalAws
from bwp_sandbox.receivers import LocalReceivers, configure_receivers
from bwp_sandbox.seed import seed_sample_tasks
from bwp_sandbox.sink import ReceiverSink
from bwp_sandbox.stack import LocalStack, deploy_local_stack


@dataclass
class Sandbox:
    """Emulator, moto server and receiver sink, with the stack deployed and tasks seeded."""

    emulator: BwpEmulator
    aws: LocalAws
    stack: LocalStack
    sink: ReceiverSink
    receivers: LocalReceivers

    def function_env(self) -> dict[str, str]:
        """Every environment variable DeletionTaskFailedFunction gets, pointed at the sandbox."""
        return {
            **self.aws.env,
            **self.stack.function_env(),
            "BWP_API_URL": self.emulator.graphql_url,
            "BWP_TOKEN_URL": self.emulator.token_url,
            "BWP_CLIENT_ID": self.emulator.client_id,
            "BWP_CLIENT_SECRET": self.emulator.client_secret,
            "BWP_HTTP_TIMEOUT_SECONDS": "2",
            "POWERTOOLS_SERVICE_NAME": "deletion-task-failed",
            "POWERTOOLS_METRICS_NAMESPACE": "BwpPrivacy",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }

    def router_env(self) -> dict[str, str]:
        """Every environment variable AlertRouterFunction gets, all six receivers on."""
        return {
            **self.aws.env,
            **self.stack.router_env(),
            **self.receivers.env,
            "ALERT_HTTP_TIMEOUT_SECONDS": "2",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }

    def env(self) -> dict[str, str]:
        """Both functions' settings (they do not overlap)."""
        return {**self.function_env(), **self.router_env()}


def prepare(emulator: BwpEmulator, aws: LocalAws, sink: ReceiverSink) -> Sandbox:
    """Deploy the stack and receivers into ``aws`` (boto3 must point at it); seed tasks."""
    stack = deploy_local_stack()
    receivers = configure_receivers(sink)
    seed_sample_tasks(emulator.add_task)
    return Sandbox(emulator=emulator, aws=aws, stack=stack, sink=sink, receivers=receivers)


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
