"""Which target a command acts on: ``--env`` and ``--stack-name``, or the sandbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from bwp_privacy_cli.targets.background import start_background_sandbox
from bwp_privacy_cli.targets.base import Target, TargetError
from bwp_privacy_cli.targets.deployed import deployed_target, samconfig_stack_name
from bwp_privacy_cli.targets.sandbox import (
    SANDBOX_HINT,
    recorded_sandbox,
    sandbox_available,
    sandbox_file,
)


@contextmanager
def open_target(
    env: str, *, stack_name: str | None = None, notify: Callable[[str], object] | None = None
) -> Iterator[Target]:
    """Yield the target named by ``--env`` (sandbox, deployed or a samconfig environment);
    ``--stack-name`` always means a deployed stack.

    With no sandbox running, one is started in the background, so that what a command
    stores is still there for the next one; ``notify`` is told so, once.
    """
    if stack_name is not None or env != "sandbox":
        deployed_env = "deployed" if env == "sandbox" else env
        yield deployed_target(stack_name or samconfig_stack_name(env), deployed_env)
        return
    running, alive = recorded_sandbox()
    if running is not None and alive:
        yield running
        return
    if not sandbox_available():
        raise TargetError(SANDBOX_HINT)
    started = start_background_sandbox(sandbox_file())
    if notify is not None:
        gone = f"The sandbox recorded in {sandbox_file()} is gone; " if running else ""
        notify(
            f"{gone}Started a{' fresh, empty' if running else ''} sandbox in the background"
            f" (pid {started.pid}): it keeps what commands store until"
            " `bwp-privacy sandbox stop`."
        )
    yield started
