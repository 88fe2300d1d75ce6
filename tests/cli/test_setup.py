"""`bwp-privacy setup` as a merchant runs it before a first deploy, and again: credentials
checked before anything is written, the four event types subscribed, the partner event source
given its bus, a rerun that changes nothing; bad input (a wrong secret, a missing permission,
a source name already taken, a stack name too long) one line that changes nothing; a dry run
that sends nothing; and the client secret nowhere but in the secret store."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from jsonschema import Draft202012Validator
from pydantic import SecretStr

from bwp_privacy.bwp_api import ClientCredentials
from bwp_privacy_cli.onboarding import (
    EVENT_TYPES,
    ApiEndpoints,
    Destination,
    Subscriptions,
    connect,
    source_state,
)
from bwp_privacy_cli.schemas import path_of
from bwp_sandbox.emulator import BwpEmulator
from bwp_sandbox.emulator.graphql_api import CREATE_SUBSCRIPTIONS, PERMISSIONS
from bwp_sandbox.sandbox import CREDENTIALS_SECRET, PARTNER_BUS, Sandbox
from bwp_sandbox.seed import SAMPLE_BUSINESS_PRODUCT_ID
from tests.cli.conftest import ENTRY_POINT, Result, Run
from tests.cli.test_targets import run

pytestmark = pytest.mark.integration

SOURCE = "shop-two"
SECRET = "shop-two/api-credentials"


def valid(document: Any) -> Any:
    schema = json.loads(path_of("setup").read_text())
    errors = sorted(Draft202012Validator(schema).iter_errors(document), key=str)
    assert errors == [], [f"{list(e.absolute_path)}: {e.message}" for e in errors]
    return document


def new_credentials(emulator: BwpEmulator, *extra: str) -> list[str]:
    return [
        "setup",
        "--source-name",
        SOURCE,
        "--secret-name",
        SECRET,
        "--client-id",
        emulator.client_id,
        "--target-id",
        SAMPLE_BUSINESS_PRODUCT_ID,
        "--client-secret-stdin",
        *extra,
    ]


def outcomes(result: Result) -> dict[str, str]:
    return {step["step"]: step["outcome"] for step in valid(result.json())["steps"]}


def subscribed(emulator: BwpEmulator, source: str = SOURCE) -> list[str]:
    return sorted(
        s["eventSubscriptionDetails"]["eventType"]
        for s in emulator.subscriptions_of(SAMPLE_BUSINESS_PRODUCT_ID)
        if s["eventSubscriptionDetails"]["destination"]["arn"].endswith("/" + source)
    )


def secret_exists(name: str) -> bool:
    return name in {s["Name"] for s in boto3.client("secretsmanager").list_secrets()["SecretList"]}


def assert_nothing_changed(emulator: BwpEmulator, source: str = SOURCE) -> None:
    assert subscribed(emulator, source) == []
    assert not secret_exists(SECRET)
    assert source_state(boto3.client("events"), f"aws.partner/buywithprime/{source}") is None


def test_the_set_up_sandbox_is_left_as_it_is(invoke: Run, sandbox: Sandbox) -> None:
    result = invoke("setup", "--json")
    assert result.exit_code == 0, result.stderr
    payload = valid(result.json())
    assert payload["source"] == PARTNER_BUS
    assert payload["secretName"] == CREDENTIALS_SECRET
    assert outcomes(result) == {
        "credentials": "checked",
        "privacy permission": "checked",
        **{f"subscription {t}": "unchanged" for t in EVENT_TYPES},
        "subscriptions": "checked",
        "secret": "unchanged",
        "partner event bus": "unchanged",
    }
    assert payload["next"] == "bwp-privacy doctor checks the stack end to end"
    human = invoke("setup")
    lines = human.stdout.splitlines()
    assert lines[0].startswith("Target: the local sandbox")
    assert f"partner event source {PARTNER_BUS}:" in lines[1]
    assert lines[-1] == "Next: bwp-privacy doctor checks the stack end to end"


def test_a_first_setup_subscribes_keeps_the_credentials_and_gives_the_source_its_bus(
    run_cli: Run, sandbox: Sandbox
) -> None:
    emulator = sandbox.emulator
    first = run_cli(*new_credentials(emulator, "--json"), input=emulator.client_secret + "\n")
    assert first.exit_code == 0, first.stderr
    assert outcomes(first) == {
        "credentials": "checked",
        "privacy permission": "checked",
        **{f"subscription {t}": "done" for t in EVENT_TYPES},
        "subscriptions": "checked",
        "secret": "done",
        "partner event bus": "done",
    }
    assert subscribed(emulator) == sorted(EVENT_TYPES)
    stored = json.loads(
        boto3.client("secretsmanager").get_secret_value(SecretId=SECRET)["SecretString"]
    )
    assert stored == {
        "clientId": emulator.client_id,
        "clientSecret": emulator.client_secret,
        "targetId": SAMPLE_BUSINESS_PRODUCT_ID,
    }
    source = f"aws.partner/buywithprime/{SOURCE}"
    assert source_state(boto3.client("events"), source) == "ACTIVE"

    # Again, as a person who is not sure it worked: nothing new, no new secret version.
    again = run_cli(*new_credentials(emulator, "--json"), input=emulator.client_secret + "\n")
    assert again.exit_code == 0, again.stderr
    assert set(outcomes(again).values()) == {"checked", "unchanged"}
    versions = boto3.client("secretsmanager").list_secret_version_ids(SecretId=SECRET)
    assert len(versions["Versions"]) == 1
    # Without --client-id, what the secret holds is used: nothing to type.
    stored_run = run_cli("setup", "--source-name", SOURCE, "--secret-name", SECRET)
    assert stored_run.exit_code == 0, stored_run.stderr
    assert f"secret: {SECRET}: the credentials stored there" in stored_run.stdout


def test_a_wrong_client_secret_is_one_line_and_writes_nothing(
    run_cli: Run, sandbox: Sandbox
) -> None:
    result = run_cli(*new_credentials(sandbox.emulator), input="not-the-secret\n")
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert "refused client id 'local-client-id' and its secret (HTTP 401)" in line
    assert "nothing was written" in line
    assert "not-the-secret" not in result.stdout + result.stderr
    assert_nothing_changed(sandbox.emulator)


def test_credentials_that_may_not_subscribe_are_one_line_and_change_nothing(
    run_cli: Run, sandbox: Sandbox
) -> None:
    emulator = sandbox.emulator
    emulator.set_permissions(PERMISSIONS - {CREATE_SUBSCRIPTIONS})
    result = run_cli(*new_credentials(emulator), input=emulator.client_secret + "\n")
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert "event-subscription permissions" in line
    assert "(nothing was changed)" in line
    assert_nothing_changed(emulator)


def test_a_refusal_midway_deletes_the_subscriptions_that_run_made(
    run_cli: Run, sandbox: Sandbox
) -> None:
    emulator = sandbox.emulator
    created = []

    def source_created(destination: Any) -> None:
        # The first subscription is made; then the merchant's admin takes the permission
        # away (as the console allows at any time): the second is refused.
        created.append(destination)
        emulator.set_permissions(PERMISSIONS - {CREATE_SUBSCRIPTIONS})

    emulator.on_source_created(source_created)
    result = run_cli(*new_credentials(emulator), input=emulator.client_secret + "\n")
    assert result.exit_code == 1
    assert "the 1 subscription(s) this run made were deleted again" in result.stderr
    assert len(created) == 1
    assert subscribed(emulator) == []
    assert not secret_exists(SECRET)


def test_a_source_name_taken_by_another_merchant_is_one_line_and_changes_nothing(
    run_cli: Run, sandbox: Sandbox
) -> None:
    emulator = sandbox.emulator
    other = ClientCredentials(
        client_id=emulator.client_id, client_secret=SecretStr(emulator.client_secret)
    )
    endpoints = ApiEndpoints(emulator.graphql_url, emulator.token_url, "2024-11-01")
    Subscriptions(connect(endpoints, other), "bp-another-merchant").create(
        Destination("210987654321", "us-east-1", SOURCE), EVENT_TYPES[0]
    )
    result = run_cli(*new_credentials(emulator), input=emulator.client_secret + "\n")
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert f"the source name '{SOURCE}' is taken" in line
    assert "choose another --source-name" in line
    assert not secret_exists(SECRET)
    assert subscribed(emulator) == []


def test_a_dry_run_sends_nothing_and_shows_no_secret(run_cli: Run, sandbox: Sandbox) -> None:
    emulator = sandbox.emulator
    result = run_cli(*new_credentials(emulator, "--dry-run", "--json"), input="")
    assert result.exit_code == 0, result.stderr
    payload = valid(result.json())
    assert payload["dryRun"] is True
    assert set(outcomes(result).values()) == {"would"}
    requests = " ".join(step["detail"] for step in payload["steps"])
    assert "client_secret=(hidden)" in requests
    assert 'eventType: "PERSONAL_DATA_DELETION_TASK_FAILED"' in requests
    assert f'partnerEventSource: {{account: "123456789012", name: "{SOURCE}"}}' in requests
    assert emulator.requests_log == []  # not even a token
    assert_nothing_changed(emulator)


def test_before_the_first_deploy_setup_names_what_to_deploy_with(
    sandbox: Sandbox, merchant_shell: dict[str, str]
) -> None:
    emulator = sandbox.emulator
    result = run(
        [ENTRY_POINT, "--stack-name", "shop-two", *new_credentials(emulator)],
        merchant_shell,
        input=emulator.client_secret + "\n",
    )
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Target: stack shop-two in us-east-1 (not deployed yet)"
    assert lines[-1] == (
        "Next: deploy the stack: make deploy (stack shop-two, region us-east-1), with"
        f" PartnerEventBusName=aws.partner/buywithprime/{SOURCE} and"
        f" BwpCredentialsSecretName={SECRET}; then bwp-privacy doctor"
    )
    too_long = run(
        [ENTRY_POINT, "--stack-name", "s" * 56, *new_credentials(emulator)],
        merchant_shell,
        input=emulator.client_secret + "\n",
    )
    assert too_long.exit_code == 1
    [line] = too_long.stderr.strip().splitlines()
    assert "has 56 characters: at most 55" in line


@pytest.fixture
def canary_secret(emulator: BwpEmulator) -> Iterator[str]:
    """The emulator takes a canary as the client secret for one test."""
    original = emulator.client_secret
    emulator.client_secret = "CANARY-client-secret-7f3a9b"
    yield emulator.client_secret
    emulator.client_secret = original


def test_the_client_secret_is_in_no_output_log_or_file_but_the_secret_store(
    target_file: Path, sandbox: Sandbox, canary_secret: str, tmp_path: Path
) -> None:
    emulator = sandbox.emulator
    home = tmp_path / "home"
    home.mkdir()
    # The CLI's own home, working directory and caches: every file it writes is looked at.
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "BWP_SANDBOX_FILE": str(target_file),
    }

    def setup(*extra: str, secret: str = canary_secret) -> Result:
        done = subprocess.run(  # noqa: S603 (the entry point, fixed arguments)
            [ENTRY_POINT, *new_credentials(emulator, *extra)],
            input=secret + "\n",
            capture_output=True,
            text=True,
            cwd=home,
            env=env,
            timeout=120,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    verbose = setup("-v")
    assert verbose.exit_code == 0, verbose.stderr
    results = [verbose, setup("--json"), setup("--dry-run"), setup(secret=canary_secret + "x")]
    for result in results:
        assert canary_secret not in result.stdout + result.stderr
    written = [p for p in home.rglob("*") if p.is_file()]
    assert all(canary_secret not in p.read_text(errors="replace") for p in written)
    stored = boto3.client("secretsmanager").get_secret_value(SecretId=SECRET)["SecretString"]
    assert json.loads(stored)["clientSecret"] == canary_secret  # where it belongs
    # Nowhere else in the account: tables, parameters, queues.
    dynamodb = boto3.client("dynamodb")
    items = [dynamodb.scan(TableName=t)["Items"] for t in dynamodb.list_tables()["TableNames"]]
    assert canary_secret not in json.dumps(items, default=str)
    ssm = boto3.client("ssm")
    values = ssm.get_parameters_by_path(Path="/", Recursive=True, WithDecryption=True)
    assert canary_secret not in json.dumps(values["Parameters"], default=str)
    sqs = boto3.client("sqs")
    for url in sqs.list_queues().get("QueueUrls", []):
        peeked = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        assert canary_secret not in json.dumps(peeked.get("Messages", []), default=str)


def test_without_a_terminal_new_credentials_must_be_given_in_one_line(
    run_cli: Run, sandbox: Sandbox
) -> None:
    asked = run_cli("setup", "--source-name", SOURCE, "--secret-name", SECRET, input="")
    assert asked.exit_code == 1
    [line] = asked.stderr.strip().splitlines()
    assert "no terminal to ask for the credentials: pass --client-id and --target-id" in line
    assert "Aborted" not in asked.stderr


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--source-name", "shop\n", "source name 'shop\\n'"),
        ("--source-name", "", "source name ''"),
        ("--target-id", "bp-1\nx", "the business product id 1 to 256 letters"),
    ],
)
def test_a_value_off_its_grammar_is_refused_before_any_request(
    run_cli: Run, sandbox: Sandbox, option: str, value: str, says: str
) -> None:
    args = new_credentials(sandbox.emulator)
    args[args.index(option) + 1] = value
    result = run_cli(*args, input=sandbox.emulator.client_secret + "\n")
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert says in line
    assert sandbox.emulator.requests_log == []
    assert_nothing_changed(sandbox.emulator)
