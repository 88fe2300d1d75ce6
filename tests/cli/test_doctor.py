"""`bwp-privacy doctor` on the sandbox: every check passes on a stack set up as README says,
each failing check is provoked once (and says how to fix it), --json as its schema says, and
--send-test-alert reaches every receiver through the router, which resolves what it opened."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from jsonschema import Draft202012Validator

from bwp_privacy.alerting import RECEIVERS
from bwp_privacy_cli.local import LocalLambdaContext
from bwp_privacy_cli.onboarding import EVENT_TYPES
from bwp_privacy_cli.schemas import path_of
from bwp_sandbox.admin import ADMIN_CREDENTIALS
from bwp_sandbox.emulator.graphql_api import PERMISSIONS, PRIVACY
from bwp_sandbox.inbound import SLACK_SIGNING_SECRET
from bwp_sandbox.local_aws import LocalAws
from bwp_sandbox.sandbox import CREDENTIALS_SECRET, PARTNER_BUS, Sandbox
from bwp_sandbox.seed import SAMPLE_BUSINESS_PRODUCT_ID
from bwp_sandbox.sink import SLACK_BOT_TOKEN
from bwp_sandbox.stack import drain_queue
from tests.cli.conftest import ENTRY_POINT, Run
from tests.cli.test_targets import clean_env, run
from tests.conftest import load_event

pytestmark = pytest.mark.integration


def valid(document: Any) -> Any:
    schema = json.loads(path_of("doctor").read_text())
    errors = sorted(Draft202012Validator(schema).iter_errors(document), key=str)
    assert errors == [], [f"{list(e.absolute_path)}: {e.message}" for e in errors]
    return document


def statuses(document: dict[str, Any]) -> dict[str, str]:
    return {check["check"]: check["status"] for check in document["checks"]}


def test_a_stack_set_up_as_readme_says_passes_every_check(invoke: Run, sandbox: Sandbox) -> None:
    # The Slack secret as docs/chat-actions.md has it stored (the sandbox's own is an incoming
    # webhook, whose messages carry no buttons: a WARN, tests/cli/test_doctor_inbound.py).
    boto3.client("secretsmanager").put_secret_value(
        SecretId=sandbox.receivers.parameters["SlackSecretName"],
        SecretString=json.dumps(
            {
                "botToken": SLACK_BOT_TOKEN,
                "channel": "C0PRIVACY",
                "signingSecret": SLACK_SIGNING_SECRET,
            }
        ),
    )
    result = invoke("doctor", "--json")
    assert result.exit_code == 0, result.stdout
    payload = valid(result.json())
    assert payload["ok"] is True
    assert payload["failures"] == payload["warnings"] == 0
    assert set(statuses(payload).values()) == {"PASS"}
    assert set(statuses(payload)) >= {
        "stack",
        "partner event source",
        "rule bwp-privacy-recorder",
        "rule bwp-privacy-reaction",
        "credentials",
        "privacy permission",
        "subscriptions",
        "receiver pagerduty",
        "receiver slack",
        "receiver amazon-q",
        "receiver eventbridge",
        "schedule group",
        "alarms",
        "dead-letter queues",
        "last failure",
        "inbound slack team",
        "inbound slack secret",
        "inbound pagerduty secret",
        "inbound URL",
    }
    assert payload["testAlert"] is None
    human = invoke("doctor")
    lines = human.stdout.splitlines()
    assert lines[0].startswith("Target: the local sandbox")
    assert all(line.startswith("PASS ") for line in lines[1:-1])
    assert lines[-1] == f"{payload['passed']} passed, 0 warning(s), 0 failed"


def _bus_gone(sandbox: Sandbox) -> None:
    boto3.client("events").delete_event_bus(Name=PARTNER_BUS)


def _rule_disabled(sandbox: Sandbox) -> None:
    boto3.client("events").disable_rule(Name="bwp-privacy-recorder", EventBusName=PARTNER_BUS)


def _rule_target_gone(sandbox: Sandbox) -> None:
    boto3.client("events").remove_targets(
        Rule="bwp-privacy-reaction", EventBusName=PARTNER_BUS, Ids=["function"]
    )


def _secret_wrong(sandbox: Sandbox) -> None:
    boto3.client("secretsmanager").put_secret_value(
        SecretId=CREDENTIALS_SECRET,
        SecretString=json.dumps(
            {"clientId": "local-client-id", "clientSecret": "rotated-elsewhere", "targetId": "bp"}
        ),
    )


def _secret_gone(sandbox: Sandbox) -> None:
    boto3.client("secretsmanager").delete_secret(
        SecretId=CREDENTIALS_SECRET, ForceDeleteWithoutRecovery=True
    )


def _privacy_permission_gone(sandbox: Sandbox) -> None:
    # A real task of the merchant's is recorded: the probe asks about it, a sure answer.
    sandbox.recorder.cold_start().handler(load_event(), LocalLambdaContext())
    sandbox.emulator.set_permissions(PERMISSIONS - {PRIVACY})


def _subscription_gone(sandbox: Sandbox) -> None:
    [completed] = [
        s
        for s in sandbox.emulator.subscriptions_of(SAMPLE_BUSINESS_PRODUCT_ID)
        if s["eventSubscriptionDetails"]["eventType"] == EVENT_TYPES[1]
    ]
    sandbox.emulator.subscriptions.delete(SAMPLE_BUSINESS_PRODUCT_ID, completed["subscriptionId"])


def _receiver_secret_malformed(sandbox: Sandbox) -> None:
    boto3.client("secretsmanager").put_secret_value(
        SecretId=sandbox.receivers.parameters["SlackSecretName"],
        SecretString=json.dumps({"webhook": "https://hooks.slack.invalid/x"}),
    )


def _receiver_secret_on_an_ungranted_key(sandbox: Sandbox) -> None:
    key = boto3.client("kms").create_key(Description="the merchant's own")["KeyMetadata"]["Arn"]
    boto3.client("secretsmanager").update_secret(
        SecretId=sandbox.receivers.parameters["PagerDutySecretName"], KmsKeyId=key
    )


def _receiver_key_unreadable(sandbox: Sandbox) -> None:
    boto3.client("secretsmanager").update_secret(
        SecretId=sandbox.receivers.parameters["TeamsSecretName"],
        KmsKeyId="arn:aws:kms:us-east-1:123456789012:key/no-such-key",
    )


def _schedule_group_gone(sandbox: Sandbox) -> None:
    boto3.client("scheduler").delete_schedule_group(Name=sandbox.stack.schedule_group_name)


def _alarm_firing(sandbox: Sandbox) -> None:
    boto3.client("cloudwatch").set_alarm_state(
        AlarmName="bwp-privacy-cases-past-due", StateValue="ALARM", StateReason="a test"
    )


def _dead_letter_waiting(sandbox: Sandbox) -> None:
    boto3.client("sqs").send_message(QueueUrl=sandbox.stack.rule_dlq_url, MessageBody="{}")


BREAKS: list[tuple[Callable[[Sandbox], None], str, str, str]] = [
    # (what breaks, the check that fails, what it says, what its fix says)
    (_bus_gone, "partner event source", "is PENDING", "bwp-privacy setup"),
    (_rule_disabled, "rule bwp-privacy-recorder", "DISABLED", "aws events enable-rule"),
    (_rule_target_gone, "rule bwp-privacy-reaction", "does not target", "make deploy"),
    (_secret_wrong, "credentials", "refused client id", "bwp-privacy setup --client-id"),
    (_secret_gone, "credentials", f"no secret {CREDENTIALS_SECRET}", "bwp-privacy setup"),
    (
        _privacy_permission_gone,
        "privacy permission",
        "answered AccessDeniedError",
        "Manage Shopper Privacy Requests",
    ),
    (_subscription_gone, "subscriptions", EVENT_TYPES[1], "bwp-privacy setup"),
    (_receiver_secret_malformed, "receiver slack", "invalid fields", "SlackSecretName"),
    (
        _receiver_secret_on_an_ungranted_key,
        "receiver pagerduty",
        "which the stack grants no function",
        "CustomerManagedKeyArn=arn:aws:kms:",
    ),
    (_schedule_group_gone, "schedule group", "no attempt can be scheduled", "make deploy"),
    (
        _alarm_firing,
        "alarm bwp-privacy-cases-past-due",
        "ALARM since",
        "An open privacy request is past its legal deadline",
    ),
    (
        _dead_letter_waiting,
        "dead-letter queue rule-dlq",
        "1 message(s) wait for a person",
        "bwp-privacy dlq list --queue rule-dlq",
    ),
]


@pytest.mark.parametrize(
    ("breaking", "check", "says", "fix"), BREAKS, ids=[b[0].__name__.strip("_") for b in BREAKS]
)
def test_each_failing_check_says_what_is_wrong_and_how_to_fix_it(
    invoke: Run,
    sandbox: Sandbox,
    breaking: Callable[[Sandbox], None],
    check: str,
    says: str,
    fix: str,
) -> None:
    breaking(sandbox)
    result = invoke("doctor", "--json")
    assert result.exit_code == 1, result.stdout
    payload = valid(result.json())
    assert payload["ok"] is False
    [found] = [c for c in payload["checks"] if c["check"] == check]
    assert found["status"] == "FAIL", found
    assert says in found["detail"]
    assert fix in str(found["fix"])
    human = invoke("doctor")
    assert human.exit_code == 1
    assert any(line.startswith(f"FAIL {check}: ") for line in human.stdout.splitlines())


def test_the_last_recorded_failure_is_named(invoke: Run, sandbox: Sandbox) -> None:
    recorded = sandbox.recorder.cold_start().handler(load_event(), LocalLambdaContext())
    payload = invoke("doctor", "--json").json()
    [last] = [c for c in payload["checks"] if c["check"] == "last failure"]
    assert last["status"] == "PASS"
    assert f"task {recorded['taskId']}" in last["detail"]
    assert "(today)" in last["detail"]


def test_a_test_alert_reaches_every_receiver_through_the_router(
    invoke: Run, sandbox: Sandbox
) -> None:
    result = invoke("doctor", "--send-test-alert", "--json")
    assert result.exit_code == 0, result.stdout
    payload = valid(result.json())
    answers = {d["receiver"]: d for d in payload["testAlert"]}
    assert set(answers) == set(RECEIVERS)
    assert all(d["delivered"] for d in answers.values())
    assert answers["pagerduty"]["answer"] == "accepted, and resolved at once"
    # PagerDuty: a trigger and its resolve, one dedup key, nothing left open.
    events = [r["body"] for r in sandbox.sink.received("pagerduty")]
    assert [e["event_action"] for e in events] == ["trigger", "resolve"]
    assert events[0]["dedup_key"] == events[1]["dedup_key"]
    assert "TEST alert" in events[0]["payload"]["summary"]
    for kind in ("slack", "teams", "webhook"):
        [message] = sandbox.sink.received(kind)
        assert "TEST alert" in json.dumps(message["body"]), kind
    for tap in sandbox.receivers.taps.values():
        [delivered] = drain_queue(tap)
        assert "TEST alert" in delivered["Body"]
    # Of no case: no ledger entry, no audit entry.
    dynamodb = boto3.client("dynamodb")
    assert dynamodb.scan(TableName=sandbox.stack.ledger_table_name)["Items"] == []
    assert dynamodb.scan(TableName=sandbox.stack.audit_table_name)["Items"] == []


def test_a_receiver_that_refuses_the_test_alert_fails_the_doctor(
    invoke: Run, sandbox: Sandbox
) -> None:
    sandbox.sink.fail("teams", 403, times=2, body=b'{"error": "\x1b[2Jthe flow is off"}')
    result = invoke("doctor", "--send-test-alert", "--json")
    assert result.exit_code == 1
    answers = {d["receiver"]: d for d in valid(result.json())["testAlert"]}
    assert answers["teams"]["delivered"] is False
    assert "HTTP 403" in answers["teams"]["answer"]
    assert "\x1b" not in answers["teams"]["answer"]
    assert all(d["delivered"] for name, d in answers.items() if name != "teams")
    human = invoke("doctor", "--send-test-alert")
    assert "  FAIL teams: HTTP 403" in human.stdout


def test_an_unknown_stack_is_one_line(
    sandbox: Sandbox, local_aws: LocalAws, tmp_path: Path
) -> None:
    env = clean_env(
        AWS_ENDPOINT_URL=local_aws.url,
        AWS_REGION="us-east-1",
        **ADMIN_CREDENTIALS,
        BWP_SANDBOX_FILE=str(tmp_path / "none.json"),
    )
    result = run([ENTRY_POINT, "--stack-name", "no-such-stack", "doctor"], env)
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert "stack no-such-stack does not exist in us-east-1" in line


def test_a_key_that_cannot_be_read_is_a_warning_of_its_own(invoke: Run, sandbox: Sandbox) -> None:
    _receiver_key_unreadable(sandbox)
    result = invoke("doctor", "--json")
    assert result.exit_code == 0, result.stdout  # a WARN, not a FAIL
    checks = {c["check"]: c for c in valid(result.json())["checks"]}
    teams = checks["receiver teams"]
    assert teams["status"] == "WARN"
    assert "which could not be read" in teams["detail"]
    assert "kms:DescribeKey" in teams["fix"]
    assert checks["receiver slack"]["status"] == "PASS"  # the others are checked all the same
