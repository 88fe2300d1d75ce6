"""A merchant's first deploy, in README's order, against a stack deployed through
CloudFormation (into the sandbox's moto, with the capabilities samconfig.toml gives): setup
before the stack exists, the deploy, doctor passing, setup again reading the stack, and the
checks only an account can answer (its concurrency, a key the stack does not grant)."""

from __future__ import annotations

import json
import tomllib

import boto3
import pytest

from bwp_sandbox.cloudformation import StackFailed, deploy_with_cloudformation
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.seed import SAMPLE_BUSINESS_PRODUCT_ID
from bwp_sandbox.stack import PROJECT_ROOT
from tests.cli.conftest import ENTRY_POINT
from tests.cli.test_targets import run

pytestmark = pytest.mark.integration

STACK = "shop-cfn"
SOURCE = "aws.partner/buywithprime/shop-cfn"
SECRET = "shop-cfn/api-credentials"


def samconfig_capabilities() -> list[str]:
    config = tomllib.loads((PROJECT_ROOT / "samconfig.toml").read_text())
    return str(config["default"]["deploy"]["parameters"]["capabilities"]).split()


@pytest.fixture
def deployed(sandbox: Sandbox, merchant_shell: dict[str, str]) -> dict[str, str]:
    """setup, then the deploy: the stack CREATE_COMPLETE."""
    emulator = sandbox.emulator
    setup = run(
        [
            ENTRY_POINT,
            "--stack-name",
            STACK,
            "setup",
            "--source-name",
            "shop-cfn",
            "--secret-name",
            SECRET,
            "--client-id",
            emulator.client_id,
            "--target-id",
            SAMPLE_BUSINESS_PRODUCT_ID,
            "--client-secret-stdin",
        ],
        merchant_shell,
        input=emulator.client_secret + "\n",
    )
    assert setup.exit_code == 0, setup.stderr
    assert "Next: deploy the stack: make deploy (stack shop-cfn, region us-east-1)" in setup.stdout
    parameters = {
        "PartnerEventBusName": SOURCE,
        "BwpCredentialsSecretName": SECRET,
        "BwpApiUrl": emulator.graphql_url,
        "BwpTokenUrl": emulator.token_url,
        "PagerDutySecretName": sandbox.receivers.parameters["PagerDutySecretName"],
        "SlackSecretName": sandbox.receivers.parameters["SlackSecretName"],
    }
    deploy_with_cloudformation(STACK, parameters, samconfig_capabilities())
    return merchant_shell


def doctor(shell: dict[str, str]) -> dict[str, dict[str, str]]:
    result = run([ENTRY_POINT, "--stack-name", STACK, "doctor", "--json"], shell)
    assert result.exit_code in (0, 1), result.stderr
    return {check["check"]: check for check in json.loads(result.stdout)["checks"]}


def test_setup_deploy_and_doctor_in_readmes_order(deployed: dict[str, str]) -> None:
    checks = doctor(deployed)
    failing = {name: c["status"] for name, c in checks.items() if c["status"] != "PASS"}
    # The one warning of a first deploy with the defaults in an account that can reserve:
    # nothing reserved for a storm (README, "Storms").
    assert failing == {"concurrency": "WARN"}
    assert checks["concurrency"]["fix"].startswith(
        "deploy with RecorderReservedConcurrency=10 ReactionReservedConcurrency=10 (this account"
        " can reserve 900 in all;"
    )
    assert checks["stack"]["detail"].startswith(f"{STACK}: CREATE_COMPLETE, and its ")
    assert checks["partner event source"]["detail"] == f"{SOURCE}: ACTIVE, associated with its bus"
    # The rules target the functions themselves (the sandbox's stand in queues).
    rules = [c for name, c in checks.items() if name.startswith("rule ")]
    assert len(rules) == 2
    assert all(":function:" not in c["detail"] for c in rules)  # names, not ARNs, are shown
    assert checks["subscriptions"]["detail"] == f"the four event types go to {SOURCE}"
    assert checks["concurrency"]["detail"].startswith("the account's Lambda quota is 1000")
    human = run([ENTRY_POINT, "--stack-name", STACK, "doctor"], deployed)
    assert human.exit_code == 0, human.stdout
    assert human.stdout.splitlines()[0] == f"Target: stack {STACK} in us-east-1 (--env deployed)"

    # setup again, on the deployed stack: its secret and its bus, nothing to type or change.
    again = run([ENTRY_POINT, "--stack-name", STACK, "setup", "--json"], deployed)
    assert again.exit_code == 0, again.stderr
    payload = json.loads(again.stdout)
    assert payload["source"] == SOURCE
    assert payload["secretName"] == SECRET
    assert {s["outcome"] for s in payload["steps"]} == {"checked", "unchanged"}
    assert payload["next"] == "bwp-privacy doctor checks the stack end to end"


def test_a_small_account_and_an_ungranted_key_are_told(
    deployed: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A new account: Lambda's quota is 10 (moto's knob, which the sandbox's AWS reads).
    monkeypatch.setenv("MOTO_LAMBDA_CONCURRENCY_QUOTA", "10")
    key = boto3.client("kms").create_key(Description="the merchant's own")["KeyMetadata"]["Arn"]
    boto3.client("secretsmanager").update_secret(SecretId=SECRET, KmsKeyId=key)
    checks = doctor(deployed)
    assert checks["concurrency"]["status"] == "WARN"
    assert "quota is 10: nothing can be reserved" in checks["concurrency"]["detail"]
    assert "Service Quotas" in str(checks["concurrency"]["fix"])
    assert checks["credentials key"]["status"] == "FAIL", checks
    assert "which the stack grants no function" in checks["credentials key"]["detail"]
    assert checks["credentials key"]["fix"] == f"deploy with CustomerManagedKeyArn={key}"


def test_a_stack_that_failed_to_create_is_told_with_its_first_failure(
    sandbox: Sandbox, merchant_shell: dict[str, str]
) -> None:
    # Deployed before setup: no partner event bus yet, so the rules and the archive fail.
    parameters = {
        "PartnerEventBusName": "aws.partner/buywithprime/never-set-up",
        "BwpCredentialsSecretName": SECRET,
    }
    with pytest.raises(StackFailed):
        deploy_with_cloudformation("shop-failed", parameters, samconfig_capabilities())
    result = run([ENTRY_POINT, "--stack-name", "shop-failed", "doctor", "--json"], merchant_shell)
    assert result.exit_code == 1, result.stderr
    [stack] = json.loads(result.stdout)["checks"]
    assert stack["status"] == "FAIL"
    assert stack["detail"].startswith("shop-failed ROLLBACK_COMPLETE; first failure: ")
    assert "Event bus aws.partner/buywithprime/never-set-up does not exist" in stack["detail"]
    assert stack["fix"].startswith("run `bwp-privacy setup` (it makes the partner bus)")
    assert "aws cloudformation delete-stack --stack-name shop-failed" in stack["fix"]
    human = run([ENTRY_POINT, "--stack-name", "shop-failed", "doctor"], merchant_shell)
    assert human.exit_code == 1
    assert human.stdout.splitlines()[-2] == "The other checks need the stack complete."

    # What doctor says to do: setup, on the stack that failed, then delete it and deploy.
    emulator = sandbox.emulator
    setup = run(
        [
            ENTRY_POINT,
            "--stack-name",
            "shop-failed",
            "setup",
            "--source-name",
            "never-set-up",
            "--secret-name",
            SECRET,
            "--client-id",
            emulator.client_id,
            "--target-id",
            SAMPLE_BUSINESS_PRODUCT_ID,
            "--client-secret-stdin",
        ],
        merchant_shell,
        input=emulator.client_secret + "\n",
    )
    assert setup.exit_code == 0, setup.stderr
    lines = setup.stdout.splitlines()
    assert lines[0] == "Target: stack shop-failed in us-east-1 (failed to create)"
    assert lines[-1].startswith(
        "Next: delete the stack that failed (aws cloudformation delete-stack --stack-name"
        " shop-failed), then deploy the stack: make deploy (stack shop-failed, region us-east-1)"
    )


def test_a_small_quota_is_told_even_at_a_hundred(
    deployed: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTO_LAMBDA_CONCURRENCY_QUOTA", "100")
    assert doctor(deployed)["concurrency"]["status"] == "WARN"
    assert "nothing can be reserved" in doctor(deployed)["concurrency"]["detail"]
    monkeypatch.setenv("MOTO_LAMBDA_CONCURRENCY_QUOTA", "101")
    # Reserving is possible now: what is left to say is that nothing is reserved yet.
    assert doctor(deployed)["concurrency"]["status"] == "WARN"
    assert "a storm of failures would take" in doctor(deployed)["concurrency"]["detail"]


def test_an_operator_url_open_to_anyone_fails(deployed: dict[str, str]) -> None:
    assert doctor(deployed)["operator URL"]["status"] == "PASS"
    reaction = boto3.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    arn = next(
        o["OutputValue"] for o in reaction["Outputs"] if o["OutputKey"] == "ReactionFunctionArn"
    )
    boto3.client("lambda").update_function_url_config(FunctionName=arn, AuthType="NONE")
    check = doctor(deployed)["operator URL"]
    assert check["status"] == "FAIL"
    assert "AuthType NONE: anyone could act on cases" in check["detail"]
