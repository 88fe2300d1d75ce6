"""What the benchmark runs against: sandboxes (moto in a thread or in its own process), the
functions measured and their inputs, a Lambda-like environment for child processes, and an
X-Ray sink that only counts."""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import requests

from bench.moto_server import speed_up_moto
from bwp_privacy_cli.local import LocalLambdaContext, patched_environ
from bwp_sandbox.emulator import BwpEmulator
from bwp_sandbox.function_urls import FunctionUrls
from bwp_sandbox.iam import IamEnforcer
from bwp_sandbox.local_aws import REGION, LocalAws
from bwp_sandbox.sandbox import Sandbox, prepare
from bwp_sandbox.sink import ReceiverSink
from bwp_sandbox.stack import load_template

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = Path(__file__).resolve().parent
#: Where the code under test comes from: this checkout, or BENCH_CODE (for instance an
#: older commit unpacked with `git archive`, to measure a "before"; see dev/bench/__init__.py).
CODE = Path(os.environ.get("BENCH_CODE") or ROOT).resolve()
FUNCTION_DIR = CODE / "functions" / "recorder"
TEMPLATE = CODE / "template.yaml"
BASELINE_DIR = BENCH_DIR / "baseline"
CHILD = BENCH_DIR / "child.py"
EVENT = ROOT / "events" / "deletion-task-failed.json"


@dataclass(frozen=True)
class Lambda:
    """A function of the template as the benchmark measures it, beside its bare baseline
    (dev/bench/baseline/<directory>/app.py: the same AWS and HTTP calls, nothing else)."""

    name: str
    logical_id: str
    #: functions/<directory>, and the baseline's directory under dev/bench/baseline.
    directory: str
    #: What its inputs are (bench/child.py).
    scenario: str
    #: Most warm invocations (the recorder's follow --warm: it is the one checked for memory).
    max_warm: int | None = None
    label: str = ""

    @property
    def baseline_dir(self) -> Path:
        return BASELINE_DIR / self.directory


LAMBDAS = (
    Lambda(
        "recorder",
        "RecorderFunction",
        "recorder",
        "recorder",
        label="recorder (a FAILED event)",
    ),
    Lambda(
        "router",
        "AlertRouterFunction",
        "alert_router",
        "router",
        max_warm=200,
        label="alert router (a published failure, five receivers)",
    ),
    Lambda(
        "reaction",
        "ReactionFunction",
        "reaction",
        "reaction",
        max_warm=200,
        label="reaction (a published failure opening a case; the COMPLETED event ending it)",
    ),
    Lambda(
        "watch",
        "DeadlineWatchFunction",
        "deadline_watch",
        "watch",
        max_warm=100,
        label="deadline watch (one scheduled run over the open cases)",
    ),
)
#: Open cases in the table when the deadline watch runs (each is read at every run).
WATCH_OPEN_CASES = 20


def _resolve(value: Any, parameters: dict[str, Any], conditions: dict[str, Any]) -> Any:
    """A template value with parameter defaults: plain values, Ref to a parameter, If,
    Equals, Not, And, Or. None for anything else (references to resources)."""
    if isinstance(value, str | int | float | bool):
        return value
    if not isinstance(value, dict) or len(value) != 1:
        return None
    ((function, argument),) = value.items()
    function = function.removeprefix("Fn::")
    if function == "Ref":
        return parameters.get(argument, {}).get("Default")
    if function == "Condition":
        return _resolve(conditions.get(argument), parameters, conditions)
    if function == "If":
        name, when_true, when_false = argument
        chosen = _resolve(conditions.get(name), parameters, conditions)
        return _resolve(when_true if chosen else when_false, parameters, conditions)
    resolved = [_resolve(item, parameters, conditions) for item in argument]
    if function == "Equals":
        return str(resolved[0]) == str(resolved[1])
    if function == "Not":
        return not resolved[0]
    if function == "And":
        return all(resolved)
    if function == "Or":
        return any(resolved)
    return None


def template_function(logical_id: str = "RecorderFunction") -> tuple[int, dict[str, str]]:
    """A function's MemorySize and environment in template.yaml (Globals included), with
    parameter defaults; references to resources are left to the sandbox."""
    template = load_template(TEMPLATE)
    globals_ = template.get("Globals", {}).get("Function", {})
    function = template["Resources"][logical_id]["Properties"]
    parameters = template.get("Parameters", {})
    conditions = template.get("Conditions", {})
    memory = int(function.get("MemorySize", globals_.get("MemorySize", 128)))
    env: dict[str, str] = {}
    for source in (globals_, function):
        for name, value in source.get("Environment", {}).get("Variables", {}).items():
            resolved = _resolve(value, parameters, conditions)
            if resolved is not None:
                env[name] = str(resolved).lower() if isinstance(resolved, bool) else str(resolved)
    return memory, env


_, TEMPLATE_ENV = template_function()
TEMPLATE_FUNCTIONS = {item.logical_id: template_function(item.logical_id) for item in LAMBDAS}


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


def function_env(sandbox: Sandbox, logical_id: str = "RecorderFunction") -> dict[str, str]:
    """A function's environment in the sandbox, with its role's credentials.

    The API credentials come from the environment, as the baseline reads them, not from
    Secrets Manager: both handlers then make the same calls for an event.
    """
    environment = sandbox.functions[logical_id].environment
    if "BWP_CREDENTIALS_SECRET_ID" not in environment:
        return dict(environment)
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


def tracer_default() -> bool:
    """Whether the template, with its parameter defaults, leaves the Powertools Tracer on."""
    return TEMPLATE_ENV.get("POWERTOOLS_TRACE_DISABLED", "false").lower() not in ("1", "true")


def lambda_env(
    function_env: Mapping[str, str],
    task_root: Path,
    xray_address: str,
    *,
    logical_id: str = "RecorderFunction",
    tracer: bool | None = None,
) -> dict[str, str]:
    """The environment Lambda gives a function, pointed at the sandbox.

    The template's variables (Globals and the function; parameter defaults), the sandbox's
    endpoints, tables and credentials, and Lambda's own variables, as with Tracing Active.
    With LAMBDA_TASK_ROOT set, Powertools' Tracer enables itself (and patches botocore and
    requests) unless POWERTOOLS_TRACE_DISABLED says otherwise: ``tracer`` None keeps the
    template's default, True or False overrides it. The X-Ray daemon address points at an
    XRaySink, so segments are built and sent over UDP as in Lambda, where a daemon receives
    them. Nothing else of the parent's environment is passed on.
    """
    memory, template_env = TEMPLATE_FUNCTIONS[logical_id]
    host, port = xray_address.split(":")
    env = {key: value for key, value in function_env.items() if key != "POWERTOOLS_TRACE_DISABLED"}
    env.update((key, value) for key, value in template_env.items() if key not in env)
    if "POWERTOOLS_TRACE_DISABLED" in template_env:
        env["POWERTOOLS_TRACE_DISABLED"] = template_env["POWERTOOLS_TRACE_DISABLED"]
    env.update(
        {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": str(task_root),
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
            "_HANDLER": "app.handler",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            "AWS_LAMBDA_FUNCTION_NAME": f"bwp-privacy-{logical_id}",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/bwp-privacy-{logical_id}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]bench",
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "AWS_XRAY_DAEMON_ADDRESS": xray_address,
            "_AWS_XRAY_DAEMON_ADDRESS": host,
            "_AWS_XRAY_DAEMON_PORT": port,
        }
    )
    if tracer is not None:
        env["POWERTOOLS_TRACE_DISABLED"] = "false" if tracer else "true"
    return env


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


# -- inputs ------------------------------------------------------------------------------------


def quiet() -> contextlib.AbstractContextManager[object]:
    """The handlers' logs and EMF metrics, run in this process, kept off the tables' terminal."""
    return contextlib.redirect_stdout(io.StringIO())


def sqs_record(message: Mapping[str, Any], queue_url: str) -> dict[str, Any]:
    """A message received from SQS as Lambda's event source mapping hands it to a function."""
    attributes = message.get("MessageAttributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": str(int(time.time() * 1000)),
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": str(int(time.time() * 1000)),
        },
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            for name, value in attributes.items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:" + queue_url.rsplit("/", 1)[-1],
        "awsRegion": "us-east-1",
    }


def published_failure(sandbox: Sandbox) -> dict[str, Any]:
    """What the recorder publishes for the sample event, as SQS hands it to a subscriber:
    the real recorder runs once in this process with the topic's queues subscribed."""
    refresh(sandbox, fanout=True)
    event = {**json.loads(EVENT.read_text()), "id": f"bench-sample-{uuid.uuid4()}"}
    with quiet():
        answer = sandbox.recorder.handler(event, LocalLambdaContext())
    if not answer.get("published"):
        raise RuntimeError(f"the recorder did not publish the sample event: {answer}")
    sqs = boto3.client("sqs", endpoint_url=sandbox.aws.url)
    messages = sqs.receive_message(
        QueueUrl=sandbox.stack.tap_queue_url,
        MaxNumberOfMessages=1,
        MessageAttributeNames=["All"],
        WaitTimeSeconds=1,
    )["Messages"]
    refresh(sandbox)
    return sqs_record(messages[0], sandbox.stack.alert_queue_url)


def scenario_inputs(item: Lambda, record: Mapping[str, Any]) -> dict[str, Any]:
    """The templates bench/child.py makes each input of ``item`` from."""
    event = json.loads(EVENT.read_text())
    if item.scenario == "recorder":
        return {"scenario": "recorder", "event": event}
    if item.scenario == "watch":
        return {
            "scenario": "watch",
            "event": {
                "version": "0",
                "id": "",
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": "123456789012",
                "time": "2026-11-20T12:00:00Z",
                "region": "us-east-1",
                "resources": ["arn:aws:events:us-east-1:123456789012:rule/bwp-privacy-watch"],
                "detail": {},
            },
        }
    business_product = event["resources"][0].split("/")[1]
    return {
        "scenario": item.scenario,
        "record": dict(record),
        "completed": {**event, "detail-type": "PERSONAL_DATA_DELETION_TASK_COMPLETED"},
        "resource": f"businessProduct/{business_product}/personalDataDeletionTask/{{task}}",
    }


def open_cases(sandbox: Sandbox, record: Mapping[str, Any], count: int) -> None:
    """Open ``count`` cases (the real reaction, in this process): what the watch reads."""
    records = []
    for _ in range(count):
        body = {
            **json.loads(record["body"]),
            "eventId": f"bench-open-{uuid.uuid4()}",
            "taskId": f"bench-open-{uuid.uuid4()}",
        }
        records.append({**record, "messageId": str(uuid.uuid4()), "body": json.dumps(body)})
    with quiet():
        answer = sandbox.reaction.handler({"Records": records}, LocalLambdaContext())
    if answer.get("batchItemFailures"):
        raise RuntimeError(f"the reaction did not open the watch's cases: {answer}")
