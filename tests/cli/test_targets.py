"""Where `bwp-privacy` acts, as a new user meets it: a deployed stack by --stack-name (with
AWS_REGION), a plain install without the sandbox, a sandbox that outlives the command that
started it, and a clean stop on Ctrl-C."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from bwp_privacy_cli.local import LocalLambdaContext
from bwp_privacy_cli.targets import background
from bwp_privacy_cli.targets.sandbox import recorded_sandbox, sandbox_alive
from bwp_sandbox.admin import ADMIN_CREDENTIALS
from bwp_sandbox.local_aws import LocalAws
from bwp_sandbox.sandbox import Sandbox
from tests.cli.conftest import ENTRY_POINT, Result, Run
from tests.conftest import EVENTS, load_event

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
STACK = "bwp-privacy-deployed"
SAMPLES = [str(p) for p in sorted(EVENTS.glob("*.json"))]


def run(
    command: list[str], env: dict[str, str], *, input: str | None = None, timeout: float = 120
) -> Result:
    completed = subprocess.run(  # noqa: S603
        command, input=input, capture_output=True, text=True, env=env, timeout=timeout, check=False
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)


def clean_env(**extra: str) -> dict[str, str]:
    """The user's shell: none of the test's AWS or sandbox settings."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "BWP_", "FAILURES_", "LEDGER_", "POWERTOOLS_"))
    }
    return {**keep, **extra}


# -- a deployed stack --------------------------------------------------------------------------


@pytest.fixture
def deployed(sandbox: Sandbox, local_aws: LocalAws, tmp_path: Path) -> dict[str, str]:
    """The sandbox's resources presented as a deployed stack: a CloudFormation stack with the
    template's outputs and RecorderFunction with its environment, in moto. Returns
    the environment of a shell pointed at it (AWS_REGION only, no AWS_DEFAULT_REGION)."""
    iam = boto3.client("iam")
    role = iam.create_role(
        RoleName="deployed-recorder",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {}\n")
    function = boto3.client("lambda").create_function(
        FunctionName=f"{STACK}-RecorderFunction",
        Runtime="python3.13",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": code.getvalue()},
        Environment={"Variables": sandbox.recorder.settings()},
    )["FunctionArn"]
    stack = sandbox.stack
    outputs = {
        "RecorderFunctionArn": function,
        "RuleDeadLetterQueueUrl": stack.rule_dlq_url,
        "OnFailureQueueUrl": stack.on_failure_queue_url,
        "AlertQueueUrl": stack.alert_queue_url,
        "AlertDeadLetterQueueUrl": stack.alert_dlq_url,
    }
    template = {
        "Resources": {"Marker": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    boto3.client("cloudformation").create_stack(StackName=STACK, TemplateBody=json.dumps(template))
    return clean_env(
        AWS_ENDPOINT_URL=local_aws.url,
        AWS_REGION="us-east-1",
        **ADMIN_CREDENTIALS,
        BWP_SANDBOX_FILE=str(tmp_path / "no-sandbox-here.json"),
    )


def test_stack_name_means_the_deployed_stack_and_aws_region_is_honoured(
    app: Any, deployed: dict[str, str]
) -> None:
    app.handler(load_event(), LocalLambdaContext())  # one stored failure in the "deployed" table
    listed = run([ENTRY_POINT, "--stack-name", STACK, "failures", "list", "--json"], deployed)
    assert listed.exit_code == 0, listed.stderr
    payload = listed.json()
    assert payload["target"] == {"env": "deployed", "stack": STACK, "region": "us-east-1"}
    assert payload["count"] == 1
    human = run([ENTRY_POINT, "--stack-name", STACK, "failures", "list"], deployed)
    assert human.stdout.splitlines()[0] == f"Target: stack {STACK} in us-east-1 (--env deployed)"
    contradiction = run(
        [ENTRY_POINT, "--env", "sandbox", "--stack-name", STACK, "failures", "list"], deployed
    )
    assert contradiction.exit_code == 1
    assert "--stack-name names a deployed stack" in contradiction.stderr
    no_region = {k: v for k, v in deployed.items() if k != "AWS_REGION"}
    missing = run([ENTRY_POINT, "--stack-name", STACK, "failures", "list"], no_region)
    assert missing.exit_code == 1
    assert "no region: set AWS_REGION" in missing.stderr


@pytest.fixture(scope="module")
def plain_install(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bwp-privacy installed as a user would (`pip install .`): its runtime dependencies only,
    no development tools, no sandbox extra."""
    uv = shutil.which("uv")
    command = [uv] if uv else [sys.executable, "-m", "uv"]
    venv = tmp_path_factory.mktemp("plain") / "venv"
    subprocess.run([*command, "venv", "-q", "--python", sys.executable, str(venv)], check=True)  # noqa: S603
    subprocess.run(  # noqa: S603
        [*command, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), str(ROOT)],
        check=True,
    )
    return venv / "bin" / "bwp-privacy"


def test_a_plain_install_works_against_a_stack_and_says_how_to_get_the_sandbox(
    plain_install: Path, deployed: dict[str, str], tmp_path: Path
) -> None:
    python = plain_install.with_name("python")
    imported = run([str(python), "-c", "import moto"], deployed)
    assert imported.exit_code != 0  # really without the sandbox's dependencies
    listed = run(
        [str(plain_install), "--stack-name", STACK, "failures", "list", "--json"], deployed
    )
    assert listed.exit_code == 0, listed.stderr
    assert listed.json()["target"]["stack"] == STACK
    sandbox = run([str(plain_install), "failures", "list"], deployed)
    assert sandbox.exit_code == 1
    [line] = [line for line in sandbox.stderr.splitlines() if line.strip()]
    assert "the sandbox runs from a checkout of bwp-privacy" in line
    assert "`uv sync`" in line


# -- a sandbox of its own ----------------------------------------------------------------------


@pytest.fixture
def own_sandbox(tmp_path: Path, local_aws: LocalAws) -> Iterator[dict[str, str]]:
    """A shell with no sandbox running (its own state file); stops what it started."""
    env = clean_env(BWP_SANDBOX_FILE=str(tmp_path / "sandbox.json"))
    yield env
    run([ENTRY_POINT, "sandbox", "stop"], env)


def test_a_default_port_taken_after_it_was_found_free_starts_the_sandbox_on_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two commands (two checkouts, two test runs) starting a sandbox at the same moment: both
    # find the default port free, one binds it first. The other's sandbox must start all the
    # same. The test holds a port of its own, played as the default one.
    for key in list(os.environ):
        if key.startswith(("AWS_", "BWP_", "FAILURES_", "LEDGER_", "POWERTOOLS_")):
            monkeypatch.delenv(key)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        defaults = {"--api-port": taken, "--aws-port": 0, "--sink-port": 0}
        monkeypatch.setattr(background, "DEFAULT_PORTS", defaults)
        monkeypatch.setattr(background, "port_free", lambda port: True)  # found free
        state_file = tmp_path / "sandbox.json"
        try:
            started = background.start_background_sandbox(state_file)
            assert started.emulator_url is not None
            assert not started.emulator_url.endswith(f":{taken}")
            assert recorded_sandbox(state_file) == (started, True)
        finally:
            background.stop_sandbox(state_file)


def test_a_recorded_sandbox_is_alive_only_if_its_own_process_answers(sandbox: Sandbox) -> None:
    """The port of a stopped sandbox may since serve another (another checkout, another test
    run): that one answers the health check with its own pid. Two make test side by side
    found it: a state file whose sandbox was gone read as a sandbox still running."""
    assert sandbox_alive(sandbox.target(pid=os.getpid()))  # the test's sandbox runs in-process
    assert not sandbox_alive(sandbox.target(pid=999_999))


def test_a_sandbox_started_by_a_command_outlives_it_until_stopped(
    own_sandbox: dict[str, str], tmp_path: Path
) -> None:
    replayed = run([ENTRY_POINT, "replay", SAMPLES[0], "--json"], own_sandbox)
    assert replayed.exit_code == 0, replayed.stderr
    notes = [line for line in replayed.stderr.splitlines() if line.strip()]
    assert len(notes) == 1
    assert notes[0].startswith("Started a sandbox in the background")
    task = replayed.json()["results"][0]["taskId"]

    shown = run([ENTRY_POINT, "failures", "show", task, "--json"], own_sandbox)
    assert shown.exit_code == 0, shown.stderr
    assert shown.json()["failures"][0]["taskId"] == task
    assert shown.stderr == ""  # said once, by the command that started it
    status = run([ENTRY_POINT, "sandbox", "status", "--json"], own_sandbox).json()
    assert status["running"] is True

    stopped = run([ENTRY_POINT, "sandbox", "stop", "--json"], own_sandbox)
    assert stopped.json() == {"stopped": True, "pid": status["pid"]}
    assert run([ENTRY_POINT, "sandbox", "status", "--json"], own_sandbox).json()["running"] is False

    # A state file left by a sandbox that is gone: the next command says it starts afresh.
    Path(own_sandbox["BWP_SANDBOX_FILE"]).write_text(json.dumps({**_state(status), "pid": 999_999}))
    again = run([ENTRY_POINT, "failures", "list", "--json"], own_sandbox)
    assert again.exit_code == 0, again.stderr
    assert "is gone; Started a fresh, empty sandbox" in again.stderr
    assert again.json()["count"] == 0


def _state(status: dict[str, Any]) -> dict[str, Any]:
    return {
        "label": "sandbox",
        "function_env": {},
        "queues": {},
        "aws_env": {"AWS_ENDPOINT_URL": status["aws"]},
        "emulator_url": status["emulator"],
    }


def test_a_port_in_use_is_one_line_with_the_way_out(own_sandbox: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(
            [
                ENTRY_POINT,
                "sandbox",
                "--aws-port",
                str(port),
                "--api-port",
                "0",
                "--sink-port",
                "0",
            ],
            own_sandbox,
            timeout=60,
        )
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert f"AWS (moto) {port}" in lines[0]
    assert "--api-port, --aws-port and --sink-port" in lines[0]


# -- stopping a long replay --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("workers", "signum"),
    [(1, signal.SIGINT), (2, signal.SIGINT), (2, signal.SIGTERM)],
    ids=["1-worker-ctrl-c", "2-workers-ctrl-c", "2-workers-sigterm"],
)
@pytest.mark.usefixtures("ctrl_c_as_a_terminal_sends")
def test_an_interrupted_replay_stops_at_once_says_how_far_and_can_run_again(
    run_cli: Run, target_file: Path, sandbox: Sandbox, tmp_path: Path, workers: int, signum: int
) -> None:
    events = []
    for n in range(400):
        event = load_event()
        event["id"] = f"long-replay-{n}"
        events.append(json.dumps(event))
    big = tmp_path / "big.jsonl"
    big.write_text("\n".join(events) + "\n")
    # Every lookup takes a while: the run is far from done when it is stopped.
    sandbox.emulator.set_chaos({"slow": 1.0}, 1, {"slow": {"seconds": 0.3}})
    process = subprocess.Popen(  # noqa: S603
        [ENTRY_POINT, "replay", str(big), "--workers", str(workers), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "BWP_SANDBOX_FILE": str(target_file)},
    )
    give_up = time.monotonic() + 60
    while len(_graphql(sandbox)) < 3 and time.monotonic() < give_up:
        time.sleep(0.05)
    assert len(_graphql(sandbox)) >= 3, "the replay never got going"
    process.send_signal(signum)
    # Stopped, not finished: far from the 400 events (a hang detector, not a time budget).
    try:
        stdout, stderr = process.communicate(timeout=120)
    finally:  # never left running into the next test's sandbox
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130
    payload = json.loads(stdout)
    assert payload["interrupted"] is True
    assert payload["total"] == 400
    assert 0 < payload["done"] < 400
    assert f"Interrupted: {payload['done']} of 400 done" in stderr
    assert "Traceback" not in stderr
    # Running again at once: nothing is held by the interrupted run.
    sandbox.emulator.set_chaos({}, 0)
    again = tmp_path / "again.jsonl"
    again.write_text("\n".join(events[: payload["done"] + workers + 1]) + "\n")
    rerun = run_cli("replay", str(again), "--json")
    outcomes = {r["outcome"] for r in rerun.json()["results"]}
    assert "held" not in outcomes, rerun.stdout
    assert rerun.exit_code == 0, rerun.stdout


def _graphql(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [r for r in sandbox.emulator.requests_log if r["path"] == "/graphql"]
