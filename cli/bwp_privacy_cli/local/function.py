"""A function run in this process, the way Lambda runs it.

Lambda gives each function its own process: the template's environment variables and the
role's credentials. Locally the functions (and the tests, and the CLI) share one process, so
a `LocalFunction` applies its environment for its cold start and each invocation, and the
calls Lambda itself makes with the role (polling an SQS event source, sending to the OnFailure
destination) use the role's credentials too. The sandbox's AWS holds every one of them to the
role; on a deployed stack the CLI runs it with the operator's own credentials.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import Any

import boto3

from bwp_privacy_cli.local.environ import function_environment

#: The environment variables that carry AWS credentials.
CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


class ProcessCrash(BaseException):
    """The function's process dies here: nothing after runs, no ``except Exception`` in the
    function catches it; Lambda counts the invocation as failed (the chaos soak's crashes)."""


@dataclass
class LocalFunction:
    """One function: its handler (``functions.recorder.app.handler``), its environment (its
    role's credentials included, when it has them) and its timeout."""

    logical_id: str
    handler_path: str
    environment: dict[str, str]
    timeout_seconds: float = 60
    module: ModuleType | None = field(default=None, repr=False)

    @property
    def credentials(self) -> dict[str, str]:
        """The AWS credentials it runs with (empty: whatever the process has)."""
        return {k: self.environment[k] for k in CREDENTIAL_VARIABLES if k in self.environment}

    def settings(self) -> dict[str, str]:
        """Its environment without the credentials: what an operator may see."""
        return {k: v for k, v in self.environment.items() if k not in CREDENTIAL_VARIABLES}

    @property
    def module_name(self) -> str:
        return self.handler_path.rsplit(".", 1)[0]

    def with_environment(self, **overrides: str) -> LocalFunction:
        """The same function with some variables changed (a new, cold execution environment)."""
        return replace(self, environment={**self.environment, **overrides}, module=None)

    def cold_start(self) -> LocalFunction:
        """Import the handler module anew, in the function's environment; returns self."""
        from aws_lambda_powertools.utilities import parameters

        with function_environment(self.logical_id, self.environment):
            parameters.clear_caches()  # type: ignore[no-untyped-call]  # a new process's cache
            loaded = sys.modules.get(self.module_name)
            self.module = (
                importlib.reload(loaded) if loaded else importlib.import_module(self.module_name)
            )
        return self

    def handler(self, event: Any, context: Any) -> Any:
        """Invoke the handler with ``event`` in the function's environment."""
        if self.module is None:
            self.cold_start()
        assert self.module is not None
        name = self.handler_path.rsplit(".", 1)[1]
        with function_environment(self.logical_id, self.environment):
            return getattr(self.module, name)(event, context)

    def client(self, service: str) -> Any:
        """A client with the function's credentials: for the calls Lambda makes on its behalf."""
        credentials = self.credentials
        return boto3.client(
            service,
            aws_access_key_id=credentials.get("AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=credentials.get("AWS_SECRET_ACCESS_KEY"),
            aws_session_token=credentials.get("AWS_SESSION_TOKEN"),
            endpoint_url=self.environment.get("AWS_ENDPOINT_URL") or None,
            region_name=self.environment.get("AWS_REGION") or None,
        )
