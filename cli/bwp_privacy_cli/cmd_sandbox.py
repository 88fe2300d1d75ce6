"""`bwp-privacy sandbox`: keep a sandbox running for other commands (and for sam local)."""

from __future__ import annotations

import click

from bwp_privacy_cli.context import CliContext, common_options, pass_cli
from bwp_privacy_cli.output import console
from bwp_privacy_cli.target import sandbox_file, sandbox_target, write_sandbox_file


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind (0.0.0.0 for sam local).",
)
@click.option("--api-port", type=int, default=8787, show_default=True)
@click.option("--aws-port", type=int, default=5000, show_default=True)
@click.option("--sink-port", type=int, default=8788, show_default=True)
@common_options
@pass_cli
def sandbox(cli: CliContext, host: str, api_port: int, aws_port: int, sink_port: int) -> None:
    """Run the emulator, moto and the receiver sink until Ctrl-C.

    While it runs, every command with --env sandbox (the default) uses it, so failures
    stored by `replay` can be listed, shown and redriven.
    """
    from bwp_sandbox.emulator import BwpEmulator
    from bwp_sandbox.environ import patched_environ
    from bwp_sandbox.local_aws import LocalAws
    from bwp_sandbox.sandbox import prepare
    from bwp_sandbox.signals import wait_for_stop_signal
    from bwp_sandbox.sink import ReceiverSink

    with (
        BwpEmulator(host=host, port=api_port) as emulator,
        LocalAws(host=host, port=aws_port) as aws,
        ReceiverSink(host=host, port=sink_port) as sink,
        patched_environ(aws.env),
    ):
        ready = prepare(emulator, aws, sink)
        path = sandbox_file()
        write_sandbox_file(sandbox_target(ready), path)
        console.print(f"Sandbox running (state in {path}). DeletionTaskFailedFunction settings:")
        for key, value in sorted(ready.function_env().items()):
            console.print(f"  {key}={value}")
        console.print("Ctrl-C to stop.")
        try:
            wait_for_stop_signal()
            console.print("stopped")
        finally:
            path.unlink(missing_ok=True)
