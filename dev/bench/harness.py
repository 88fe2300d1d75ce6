"""What the benchmark runs against and how it runs a handler: sandboxes (moto in a thread or
in its own process), an X-Ray sink that only counts, and a fresh child process per handler."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import requests

from bench.functions import CHILD
from bench.moto_server import speed_up_moto
from bwp_privacy_cli.local import patched_environ
from bwp_sandbox.emulator import BwpEmulator
from bwp_sandbox.function_urls import FunctionUrls
from bwp_sandbox.iam import IamEnforcer
from bwp_sandbox.local_aws import REGION, LocalAws
from bwp_sandbox.sandbox import Sandbox, prepare
from bwp_sandbox.sink import ReceiverSink


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


class MotoProcess(LocalAws):
    """moto in its own process instead of a thread of ours: its server as ``python -m
    moto.server`` runs it, with three of its costs per request cut (bench.moto_server: the
    same answers, less CPU, so that one moto process is less of a bottleneck for the
    workers)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._host = host
        self._process: subprocess.Popen[bytes] | None = None
        self._url: str | None = None
        # moto's own server, without the sandbox's IAM layer: roles are registered with an
        # enforcer that sees no request. The benchmark measures speed, not permissions.
        self.iam = IamEnforcer(lambda environ, start_response: [])
        #: Registered by the sandbox as in LocalAws; nobody calls them here.
        self.function_urls = FunctionUrls(self.iam, region=REGION)

    def start(self) -> MotoProcess:
        port = free_port(self._host)
        self._process = subprocess.Popen(  # noqa: S603 (our own interpreter)
            [sys.executable, "-m", "bench.moto_server", "--host", self._host, "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._url = f"http://{self._host}:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{self._url}/moto-api/", timeout=1)
                return self
            except requests.RequestException:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("moto is not started")
        return self._url

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid


@contextlib.contextmanager
def bench_sandbox(moto: str) -> Iterator[Sandbox]:
    """The sandbox with moto in a thread of this process ("thread", as `bwp-privacy` starts
    it) or in a process of its own ("process"); no queue subscribed to the topic (see
    stop_fanout)."""
    # moto's bookkeeping per request (bench.moto_server) is cut in a thread of ours too: its
    # answers are the same, and the time it takes is the sandbox's, not the handler's.
    speed_up_moto()
    with (
        BwpEmulator() as emulator,
        LocalAws() if moto == "thread" else MotoProcess() as aws,
        ReceiverSink() as sink,
        patched_environ(aws.env),
    ):
        # moto's state lives in module globals: a second in-process server inherits the
        # first one's resources. Start from nothing, as running_sandbox() does in a new process.
        aws.reset()
        sandbox = prepare(emulator, aws, sink)
        stop_fanout(sandbox)
        yield sandbox


def stop_fanout(sandbox: Sandbox) -> int:
    """Unsubscribe the queues (the tap and the alert queue) from the failures topic.

    moto delivers to SNS subscribers inside Publish, and its Publish slows down with every
    message waiting in a subscribed queue (about +10 ms per 100 here): over a long run the
    sandbox, not the handler, would set the pace, and later runs would pay for earlier ones.
    In AWS the fan-out happens after Publish returns. Returns how many were removed.
    """
    sns = boto3.client("sns", endpoint_url=sandbox.aws.url)
    topic = sandbox.stack.failures_topic_arn
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    for subscription in subscriptions:
        sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
    return len(subscriptions)


#: The API budget the bench's handlers run with: the template's largest.
BENCH_REQUESTS_PER_SECOND = 1000


def function_env(sandbox: Sandbox, logical_id: str = "RecorderFunction") -> dict[str, str]:
    """A function's environment in the sandbox, with its role's credentials.

    The API credentials come from the environment, as the baseline reads them, not from
    Secrets Manager: both handlers then make the same calls for an event.
    """
    environment = dict(sandbox.functions[logical_id].environment)
    if "API_REQUESTS_PER_SECOND" in environment:
        # The budget's slot is measured (its UpdateItem is among the calls), not its spacing:
        # invocations back to back would otherwise wait a tenth of a second each at the
        # default 10 a second, and the bench would time the budget instead of the handler.
        environment["API_REQUESTS_PER_SECOND"] = str(BENCH_REQUESTS_PER_SECOND)
    if "BWP_CREDENTIALS_SECRET_ID" not in environment:
        return environment
    return {
        **environment,
        "BWP_CREDENTIALS_SECRET_ID": "",
        "BWP_CLIENT_ID": sandbox.emulator.client_id,
        "BWP_CLIENT_SECRET": sandbox.emulator.client_secret,
    }


def refresh(sandbox: Sandbox, *, fanout: bool = False) -> None:
    """Empty AWS and the emulator, then deploy and seed again (names and roles stay the same)."""
    before = sandbox.recorder.settings()
    sandbox.aws.reset()
    sandbox.emulator.reset()
    with patched_environ(sandbox.aws.env):
        again = prepare(sandbox.emulator, sandbox.aws, sandbox.sink)
    if not fanout:
        stop_fanout(sandbox)
    assert again.recorder.settings() == before


class XRaySink:
    """Stands where the X-Ray daemon would: receives the UDP segments and only counts them."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.datagrams = 0
        self.bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="xray-sink", daemon=True)

    @property
    def address(self) -> str:
        host, port = self._socket.getsockname()
        return f"{host}:{port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._socket.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            self.datagrams += 1
            self.bytes += len(data)

    def __enter__(self) -> XRaySink:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._socket.close()


@dataclass(frozen=True)
class Subject:
    """A handler under test: where it lives, the environment it runs with and its inputs."""

    name: str
    paths: tuple[Path, ...]
    env: dict[str, str]
    trace: bool
    python: Path = Path(sys.executable)
    inputs: Path | None = None


def run_child(
    subject: Subject,
    mode: str,
    out: Path,
    *,
    warm: int = 0,
    duplicates: int = 0,
    importtime: bool = False,
) -> tuple[dict[str, Any], float, str]:
    """Start a fresh interpreter for ``subject``; return its result, the wall-clock time at
    which it was started (time.time()) and its stderr."""
    env = {
        **subject.env,
        "BENCH_MODE": mode,
        "BENCH_PATHS": os.pathsep.join(str(path) for path in subject.paths),
        "BENCH_OUT": str(out),
        "BENCH_INPUTS": str(subject.inputs or ""),
        "BENCH_WARM": str(warm),
        "BENCH_DUPLICATES": str(duplicates),
        "BENCH_TRACE": "1" if subject.trace else "0",
        "BENCH_NAME": subject.name,
    }
    # -P: the child's own directory (dev/bench) is not on sys.path, as /var/runtime is not.
    command = [str(subject.python), "-P", *(["-X", "importtime"] if importtime else []), str(CHILD)]
    started = time.time()
    completed = subprocess.run(  # noqa: S603 (our own interpreter and script)
        command,
        env=env,
        cwd=str(subject.paths[0]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
        timeout=1800,
    )
    stderr = completed.stderr.decode("utf-8", "replace")
    if completed.returncode != 0:
        tail = "\n".join(stderr.splitlines()[-20:])
        raise RuntimeError(f"{subject.name} {mode} child failed ({completed.returncode}):\n{tail}")
    result: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    return result, started, stderr
