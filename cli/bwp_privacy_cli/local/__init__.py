"""Lambda, played in this process: a function's environment and credentials, its context,
asynchronous invocation with its retries and OnFailure destination, and where its logs go.

The CLI runs the recorder this way (replays, redrives in the sandbox); the sandbox, its soak
and the tests run both functions this way.
"""

from bwp_privacy_cli.local.async_invoke import AsyncOutcome, invoke_async, on_failure_record
from bwp_privacy_cli.local.context import LocalLambdaContext
from bwp_privacy_cli.local.environ import function_environment, patched_environ
from bwp_privacy_cli.local.function import CREDENTIAL_VARIABLES, LocalFunction, ProcessCrash
from bwp_privacy_cli.local.logs import NOWHERE, function_logs_to

__all__ = [
    "CREDENTIAL_VARIABLES",
    "NOWHERE",
    "AsyncOutcome",
    "LocalFunction",
    "LocalLambdaContext",
    "ProcessCrash",
    "function_environment",
    "function_logs_to",
    "invoke_async",
    "on_failure_record",
    "patched_environ",
]
