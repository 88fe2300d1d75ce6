"""`bwp-privacy sandbox [start|stop|status]`: a local sandbox for other commands (and sam local).

The sandbox itself is `python -m bwp_sandbox` (a checkout's development tooling): these
commands start it, in the foreground or the background, and find it again."""

from __future__ import annotations

import os
import sys

import click
from pydantic import Field

from bwp_privacy_cli.command_registry import registered
from bwp_privacy_cli.context import CliContext, UserError, common_options, pass_cli
from bwp_privacy_cli.json_output import JsonOut
from bwp_privacy_cli.output import console, err_console, print_json
from bwp_privacy_cli.targets import (
    SANDBOX_HINT,
    SandboxTarget,
    recorded_sandbox,
    sandbox_available,
    sandbox_file,
    start_background_sandbox,
    stop_sandbox,
)
from bwp_privacy_cli.targets.sandbox import (
    another_checkouts_sandbox_message,
    other_sandboxes,
    shown_path,
    this_checkout,
)


class SandboxStatusOut(JsonOut):
    running: bool
    pid: int | None = None
    aws: str | None = None
    emulator: str | None = None
    state_file: str = Field(alias="stateFile")


class SandboxStopOut(JsonOut):
    stopped: bool
    pid: int | None


@registered(
    "Run, start, stop this checkout's local sandbox.",
    place=100,
    outputs={"sandbox-status": SandboxStatusOut, "sandbox-stop": SandboxStopOut},
)
@click.group(invoke_without_command=True)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind (0.0.0.0 for sam local).",
)
@click.option("--api-port", type=int, default=8787, show_default=True, help="0: any free port.")
@click.option("--aws-port", type=int, default=5000, show_default=True, help="0: any free port.")
@click.option("--sink-port", type=int, default=8788, show_default=True, help="0: any free port.")
@common_options
@pass_cli
@click.pass_context
def sandbox(
    ctx: click.Context, cli: CliContext, host: str, api_port: int, aws_port: int, sink_port: int
) -> None:
    """Run the emulator, moto and the receiver sink until Ctrl-C (or `sandbox stop`).

    While it runs, every command with --env sandbox (the default) uses it, so failures
    stored by `replay` can be listed, shown and redriven. A command that finds no sandbox
    starts one in the background (`sandbox start` does only that). Each checkout has a
    sandbox of its own: a command never uses the one another checkout started.
    """
    if ctx.invoked_subcommand is not None:
        return
    if not sandbox_available():
        raise UserError(SANDBOX_HINT)
    _refuse_a_second_one()
    # The sandbox is development tooling, not part of the CLI: it runs as its own program,
    # in this process (same pid, same terminal, Ctrl-C stops it).
    arguments = ["--host", host, "--api-port", str(api_port), "--aws-port", str(aws_port)]
    arguments += ["--sink-port", str(sink_port)]
    os.execv(sys.executable, [sys.executable, "-m", "bwp_sandbox", *arguments])  # noqa: S606


@sandbox.command("start")
@common_options
@pass_cli
def start(cli: CliContext) -> None:
    """Start this checkout's sandbox in the background (if it is not running) and say where
    it is."""
    if not sandbox_available():
        raise UserError(SANDBOX_HINT)
    running, alive = recorded_sandbox()
    if running is not None and alive and running.serves_another_checkout():
        raise UserError(another_checkouts_sandbox_message(running, sandbox_file()))
    started = running if running is not None and alive else None
    if started is None:
        started = start_background_sandbox(sandbox_file())
    _report(cli, started, running=True, note="" if running and alive else "started")


@sandbox.command("stop")
@common_options
@pass_cli
def stop(cli: CliContext) -> None:
    """Stop this checkout's sandbox (everything it held is gone)."""
    stopped, was_running = stop_sandbox(sandbox_file())
    if cli.json:
        print_json(SandboxStopOut(stopped=was_running, pid=stopped.pid if stopped else None))
        return
    if stopped is None:
        console.print(f"No sandbox is running{_for_this_checkout()}.")
    elif was_running:
        # A shared state file (BWP_SANDBOX_FILE) may name another checkout's: say whose.
        whose = (
            " another checkout's sandbox" if stopped.serves_another_checkout() else " the sandbox"
        )
        console.print(f"Stopped{whose}{stopped.of_checkout()} (pid {stopped.pid}).")
    else:
        console.print(f"No sandbox was running; removed the stale state file {sandbox_file()}.")


@sandbox.command("status")
@common_options
@pass_cli
def status(cli: CliContext) -> None:
    """Whether this checkout's sandbox is running, and where (and any other checkout's)."""
    running, alive = recorded_sandbox()
    if running is None or not alive:
        if cli.json:
            print_json(SandboxStatusOut(running=False, state_file=str(sandbox_file())))
            return
        console.print(
            f"No sandbox is running{_for_this_checkout()} (commands start one when they need it)."
        )
        # The one a user may have expected to find: started from another clone.
        for path, other in other_sandboxes():
            console.print(
                f"The sandbox{other.of_checkout()} is running (pid {other.pid}, state in"
                f" {path}): another checkout's, which commands here do not use."
            )
        return
    _report(cli, running, running=True, note="")


def _for_this_checkout() -> str:
    checkout = this_checkout()
    return f" for this checkout, {shown_path(str(checkout))}" if checkout else ""


def _report(cli: CliContext, target: SandboxTarget, *, running: bool, note: str) -> None:
    payload = SandboxStatusOut(
        running=running,
        pid=target.pid,
        aws=target.aws_env.get("AWS_ENDPOINT_URL"),
        emulator=target.emulator_url,
        state_file=str(sandbox_file()),
    )
    if cli.json:
        print_json(payload)
        return
    where = (
        f" (pid {target.pid}): AWS at {payload.aws}, API emulator at {payload.emulator};"
        f" state in {payload.state_file}"
    )
    whose = target.of_checkout()
    if target.serves_another_checkout():
        # Said, never used: commands here refuse it (`CliContext.target`).
        console.print(
            f"The sandbox{whose} is running{where}. It is another checkout's: commands here"
            " do not use it."
        )
    elif note == "started":
        console.print(f"Started the sandbox{whose}{where}.")
    else:
        console.print(f"The sandbox{whose} is running{where}.")


def _refuse_a_second_one() -> None:
    running, alive = recorded_sandbox()
    if running is not None and alive:
        if running.serves_another_checkout():
            raise UserError(another_checkouts_sandbox_message(running, sandbox_file()))
        raise UserError(
            f"this checkout's sandbox is already running (pid {running.pid}, AWS at"
            f" {running.aws_env.get('AWS_ENDPOINT_URL')}): use it, or stop it first with"
            " `bwp-privacy sandbox stop`"
        )
    if running is not None:
        err_console.print(f"Replacing the state of a sandbox that is gone ({sandbox_file()}).")
