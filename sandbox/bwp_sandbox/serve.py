"""`make sandbox`: run the API emulator and the local AWS in the foreground until Ctrl-C.

For `sam local invoke --env-vars sandbox/sam-local-env.json` (Docker reaches the host as
host.docker.internal: use --host 0.0.0.0 there) or for pointing any other tool at the sandbox.
"""

from __future__ import annotations

import argparse
import threading

from bwp_sandbox.emulator import BwpEmulator
from bwp_sandbox.local_aws import LocalAws
from bwp_sandbox.sandbox import Sandbox, patched_environ
from bwp_sandbox.seed import seed_sample_tasks
from bwp_sandbox.stack import deploy_local_stack


def main(argv: list[str] | None = None) -> None:
    """Start both servers on fixed ports, deploy the stack, seed tasks, print the settings."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--api-port", type=int, default=8787, help="emulator port (8787)")
    parser.add_argument("--aws-port", type=int, default=5000, help="moto server port (5000)")
    args = parser.parse_args(argv)
    with (
        BwpEmulator(host=args.host, port=args.api_port) as emulator,
        LocalAws(host=args.host, port=args.aws_port) as aws,
        patched_environ(aws.env),
    ):
        stack = deploy_local_stack()
        seed_sample_tasks(emulator.add_task)
        env = Sandbox(emulator=emulator, aws=aws, stack=stack).function_env()
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
