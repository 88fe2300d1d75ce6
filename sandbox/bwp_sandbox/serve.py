"""`make sandbox`: run the API emulator, the local AWS and the receiver sink until Ctrl-C.

For `sam local invoke --env-vars sandbox/sam-local-env.json` (Docker reaches the host as
host.docker.internal: use --host 0.0.0.0 there) or for pointing any other tool at the sandbox.
"""

from __future__ import annotations

import argparse
import threading

from bwp_sandbox.emulator import BwpEmulator
from bwp_sandbox.local_aws import LocalAws
from bwp_sandbox.sandbox import patched_environ, prepare
from bwp_sandbox.sink import ReceiverSink


def main(argv: list[str] | None = None) -> None:
    """Start both servers on fixed ports, deploy the stack, seed tasks, print the settings."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--api-port", type=int, default=8787, help="emulator port (8787)")
    parser.add_argument("--aws-port", type=int, default=5000, help="moto server port (5000)")
    parser.add_argument("--sink-port", type=int, default=8788, help="receiver sink port (8788)")
    args = parser.parse_args(argv)
    with (
        BwpEmulator(host=args.host, port=args.api_port) as emulator,
        LocalAws(host=args.host, port=args.aws_port) as aws,
        ReceiverSink(host=args.host, port=args.sink_port) as sink,
        patched_environ(aws.env),
    ):
        env = prepare(emulator, aws, sink).env()
        print("Sandbox running. Function settings (export them to use the sandbox):")
        for key, value in sorted(env.items()):
            print(f"  {key}={value}")
        print("Ctrl-C to stop.")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped")


if __name__ == "__main__":
    main()
