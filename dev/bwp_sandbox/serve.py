"""`python -m bwp_sandbox`: the sandbox in the foreground until Ctrl-C or SIGTERM.

The API emulator, moto (behind the template's IAM) and the receiver sink, with the stack
deployed and sample tasks seeded. It writes where it is to the state file the CLI reads
(`bwp_privacy_cli.targets.SandboxTarget`), so every command finds it; `bwp-privacy sandbox`
runs this, in the foreground or the background. The reaction's event sources run in it
(`ReactionPoller`), as Lambda and EventBridge Scheduler would.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from bwp_privacy_cli.local import patched_environ
from bwp_privacy_cli.targets import SandboxTarget, recorded_sandbox, sandbox_file
from bwp_privacy_cli.targets.sandbox import another_checkouts_sandbox_message, other_sandboxes
from bwp_sandbox.emulator import BwpEmulator
from bwp_sandbox.local_aws import LocalAws
from bwp_sandbox.reaction_poller import ReactionPoller
from bwp_sandbox.sandbox import prepare
from bwp_sandbox.signals import wait_for_stop_signal
from bwp_sandbox.sink import ReceiverSink

PORT_OPTIONS = "--api-port, --aws-port and --sink-port"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bwp_sandbox", description=__doc__)
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (0.0.0.0 for sam local)"
    )
    parser.add_argument("--api-port", type=int, default=8787, help="0: any free port")
    parser.add_argument("--aws-port", type=int, default=5000, help="0: any free port")
    parser.add_argument("--sink-port", type=int, default=8788, help="0: any free port")
    # For the CLI's background start alone, which starts the sandbox again on other ports
    # when this one says a port was taken; a person gets the usual 1 of every refusal.
    parser.add_argument("--port-taken-exit-code", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    path = sandbox_file()
    running, alive = recorded_sandbox(path)
    if running is not None and alive:
        if running.serves_another_checkout():
            return _fail(another_checkouts_sandbox_message(running, path))
        return _fail(
            f"this checkout's sandbox is already running (pid {running.pid}, AWS at"
            f" {running.aws_env.get('AWS_ENDPOINT_URL')}): use it, or stop it first with"
            " `bwp-privacy sandbox stop`"
        )
    ports = {
        "API emulator": args.api_port,
        "AWS (moto)": args.aws_port,
        "receiver sink": args.sink_port,
    }
    try:
        with (
            BwpEmulator(host=args.host, port=args.api_port) as emulator,
            LocalAws(host=args.host, port=args.aws_port) as aws,
            ReceiverSink(host=args.host, port=args.sink_port) as sink,
            patched_environ(aws.env),
        ):
            ready = prepare(emulator, aws, sink)
            poller = ReactionPoller(ready).start()
            ready.target(pid=os.getpid()).write(path)
            print(f"Sandbox running (pid {os.getpid()}, state in {path}).", flush=True)
            print("RecorderFunction settings:")
            for key, value in sorted(ready.recorder.settings().items()):
                print(f"  {key}={value}")
            # The stack's InboundUrl: where Slack's buttons and PagerDuty's webhooks go.
            print(f"Slack interactivity URL: {ready.inbound_url}slack/actions")
            print(f"PagerDuty webhook URL: {ready.inbound_url}pagerduty/webhooks")
            print("Ctrl-C (or `bwp-privacy sandbox stop`) to stop.", flush=True)
            try:
                wait_for_stop_signal()
                print("stopped")
            finally:
                poller.stop()
                _forget_if_ours(path)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        taken = ", ".join(f"{name} {port}" for name, port in ports.items() if port)
        holder = _other_checkout_on(set(ports.values()) - {0}, path)
        return _fail(
            f"a port is in use by {holder or 'another program'} ({taken}): stop it, or pick"
            f" other ports with {PORT_OPTIONS} (0 = any free port)",
            code=args.port_taken_exit_code,
        )
    return 0


def _fail(message: str, *, code: int = 1) -> int:
    print(f"Error: {message}", file=sys.stderr)
    return code


def _other_checkout_on(ports: set[int], path: Path) -> str | None:
    """Another checkout's sandbox listening on one of ``ports`` (the defaults are the same in
    every clone), named so that the user knows which to stop; None when none is."""
    for _, other in other_sandboxes(path):
        if ports & _ports_of(other):
            return f"the sandbox{other.of_checkout()} (pid {other.pid})"
    return None


def _ports_of(target: SandboxTarget) -> set[int]:
    urls = [target.aws_env.get("AWS_ENDPOINT_URL"), target.emulator_url]
    return {port for url in urls if url and (port := urlsplit(url).port) is not None}


def _forget_if_ours(path: Path) -> None:
    running, _ = recorded_sandbox(path)
    if running is not None and running.pid == os.getpid():
        path.unlink(missing_ok=True)
