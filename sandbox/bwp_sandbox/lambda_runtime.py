"""A function deployed in the sandbox, run the way Lambda runs it.

Lambda gives each function its own process: the template's environment variables and the
role's credentials. Locally both functions (and the tests, and the CLI) share one process, so
a `LocalFunction` applies its environment for its cold start and each invocation, and the
calls Lambda itself makes with the role (polling an SQS event source, sending to the OnFailure
destination) use the role's credentials too. The local AWS holds every one of them to the role.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import Any

import boto3

from bwp_sandbox.environ import function_environment
from bwp_sandbox.iam import FunctionSpec, Role


class ProcessCrash(BaseException):
    """The function's process dies here: nothing after runs, no ``except Exception`` in the
    function catches it; Lambda counts the invocation as failed (the chaos soak's crashes)."""


@dataclass
class LocalFunction:
    """One function: its handler module, its environment and its role."""

    logical_id: str
    handler_path: str
    environment: dict[str, str]
    role: Role
    timeout_seconds: int = 60
    module: ModuleType | None = field(default=None, repr=False)

    @classmethod
    def from_spec(cls, spec: FunctionSpec, environment: Mapping[str, str]) -> LocalFunction:
        """The function as the template deploys it, in ``environment`` (endpoint, overrides)."""
        return cls(
            logical_id=spec.logical_id,
            handler_path=spec.handler,
            environment={**spec.environment, **environment, **spec.role.credentials()},
            role=spec.role,
            timeout_seconds=spec.timeout_seconds,
        )

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
        """A client with the role's credentials: for the calls Lambda makes on its behalf."""
        return boto3.client(
            service,
            aws_access_key_id=self.role.access_key,
            aws_secret_access_key=self.role.secret_key,
            aws_session_token=self.role.credentials()["AWS_SESSION_TOKEN"],
            endpoint_url=self.environment.get("AWS_ENDPOINT_URL") or None,
            region_name=self.environment.get("AWS_REGION"),
        )
