"""Everything a local run needs: the API emulator, the local AWS and the stack in it."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from bwp_sandbox.emulator import BwpEmulator
from bwp_sandbox.local_aws import LocalAws
from bwp_sandbox.seed import seed_sample_tasks
from bwp_sandbox.stack import LocalStack, deploy_local_stack


@dataclass
class Sandbox:
    """A started emulator and moto server with the stack deployed and sample tasks seeded."""

    emulator: BwpEmulator
    aws: LocalAws
    stack: LocalStack

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


@contextmanager
def patched_environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of the block, then restore them."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@contextmanager
def running_sandbox(seed: bool = True) -> Iterator[Sandbox]:
    """Start the emulator and moto on 127.0.0.1, deploy the stack, and clean up after."""
    with BwpEmulator() as emulator, LocalAws() as aws, patched_environ(aws.env):
        stack = deploy_local_stack()
        if seed:
            seed_sample_tasks(emulator.add_task)
        yield Sandbox(emulator=emulator, aws=aws, stack=stack)
