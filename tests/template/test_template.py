"""template.yaml: lint-clean, least privilege, and a rule that matches exactly our events."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest
from moto.events.models import EventPattern

from bwp_privacy.alerting import RouterSettings
from bwp_sandbox.stack import TEMPLATE, load_template
from tests.conftest import EVENTS, load_event

CFN_LINT = str(Path(sys.executable).with_name("cfn-lint"))
RESOURCES = load_template()["Resources"]
FUNCTION = RESOURCES["RecorderFunction"]["Properties"]
RULE = FUNCTION["Events"]["DeletionTaskFailed"]["Properties"]


def test_cfn_lint_with_serverless_rules_is_clean() -> None:
    nested = sorted(str(path) for path in (TEMPLATE.parent / "templates").glob("*.yaml"))
    assert nested  # the families written once
    result = subprocess.run(  # noqa: S603
        [
            CFN_LINT,
            str(TEMPLATE),
            *nested,
            "--append-rules",
            "cfn_lint_serverless.rules",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def matches(event: dict[str, Any]) -> bool:
    pattern = EventPattern.load(json.dumps(RULE["Pattern"]))
    return bool(pattern.matches_event(cast(Any, event)))


@pytest.mark.parametrize("path", sorted(EVENTS.glob("*.json")), ids=lambda p: p.name)
def test_rule_pattern_matches_every_sample_event(path: Path) -> None:
    assert matches(json.loads(path.read_text()))


def test_rule_pattern_matches_a_retrieval_failure_too() -> None:
    assert matches({**load_event(), "detail-type": "PERSONAL_DATA_RETRIEVAL_TASK_FAILED"})


@pytest.mark.parametrize(
    ("rule", "detail_types"),
    [
        (
            RULE,
            ["PERSONAL_DATA_DELETION_TASK_FAILED", "PERSONAL_DATA_RETRIEVAL_TASK_FAILED"],
        ),
        (
            RESOURCES["ReactionFunction"]["Properties"]["Events"]["DeletionTaskCompleted"][
                "Properties"
            ],
            ["PERSONAL_DATA_DELETION_TASK_COMPLETED", "PERSONAL_DATA_RETRIEVAL_TASK_COMPLETED"],
        ),
        (RESOURCES["DeletionTaskFailedArchive"]["Properties"], RULE["Pattern"]["detail-type"]),
    ],
    ids=["recorder", "reaction", "archive"],
)
def test_each_function_takes_both_kinds_of_privacy_task(
    rule: dict[str, Any], detail_types: list[str]
) -> None:
    """FAILED of either kind to the recorder (and into the archive it replays from), COMPLETED
    of either kind to the reaction; the reaction's queue takes both kinds of failure."""
    pattern = rule.get("Pattern") or rule["EventPattern"]
    assert pattern["detail-type"] == detail_types
    subscription = RESOURCES["ReactionQueueSubscription"]["Properties"]
    assert subscription["FilterPolicy"] == {"detailType": RULE["Pattern"]["detail-type"]}


@pytest.mark.parametrize(
    "changes",
    [
        {"detail-type": "PERSONAL_DATA_DELETION_TASK_COMPLETED"},
        {"detail-type": "PERSONAL_DATA_RETRIEVAL_TASK_COMPLETED"},
        {"source": "aws.partner/shopify/events"},
        {"source": "buywithprime"},
        {"source": "aws.events"},
    ],
)
def test_rule_pattern_matches_nothing_else(changes: dict[str, str]) -> None:
    assert not matches({**load_event(), **changes})


def test_rule_listens_on_the_partner_bus_with_retries_and_a_dead_letter_queue() -> None:
    assert RULE["EventBusName"] == {"Ref": "PartnerEventBusName"}
    assert RULE["RetryPolicy"]["MaximumRetryAttempts"] == 185
    assert RULE["DeadLetterConfig"]["Arn"] == {"GetAtt": "RuleDeadLetterQueue.Outputs.QueueArn"}
    invoke = FUNCTION["EventInvokeConfig"]
    assert invoke["MaximumRetryAttempts"] == 2
    assert invoke["DestinationConfig"]["OnFailure"]["Destination"] == {
        "GetAtt": "OnFailureQueue.Outputs.QueueArn"
    }


def _statements() -> list[dict[str, Any]]:
    """The recorder's statements, each conditional one as it is when its condition holds."""
    statements = [s for policy in FUNCTION["Policies"] for s in policy["Statement"]]
    return [s["If"][1] if "If" in s else s for s in statements]


def _actions(statement: dict[str, Any]) -> list[str]:
    """A statement's actions, whether written as one string or a list."""
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def test_function_policy_is_least_privilege() -> None:
    # No wildcard anywhere: test_no_function_statement_uses_a_wildcard.
    granted = {a for s in _statements() for a in _actions(s)}
    assert "dynamodb:Scan" not in granted
    # The failures table (the claim, the mark, and freeing a claim on an error), and the API
    # budget's item (a slot before each request: one conditional update).
    tables = {str(s["Resource"]) for s in _statements() if _actions(s)[0].startswith("dynamodb:")}
    assert tables == {str({"GetAtt": "FailuresTable.Arn"}), str({"GetAtt": "ApiBudgetTable.Arn"})}
    budget = [s for s in _statements() if s["Resource"] == {"GetAtt": "ApiBudgetTable.Arn"}]
    assert [(s["Sid"], _actions(s)) for s in budget] == [("ApiBudget", ["dynamodb:UpdateItem"])]
    delete = [s for s in _statements() if "dynamodb:DeleteItem" in _actions(s)]
    assert [(s["Sid"], _actions(s)) for s in delete] == [("ReleaseClaims", ["dynamodb:DeleteItem"])]


def test_the_rules_are_named_as_their_dead_letter_queue_policy_names_them() -> None:
    """The queue's policy lets in this stack's rules on the partner bus by ARN pattern, built
    from their names: a rule named otherwise would have its dead letters refused."""
    writer = RESOURCES["RuleDeadLetterQueue"]["Properties"]["Parameters"]["WriterArn"]["Sub"]
    assert writer.endswith(":rule/${PartnerEventBusName}/${AWS::StackName}-*")
    completed = RESOURCES["ReactionFunction"]["Properties"]["Events"]["DeletionTaskCompleted"]
    for rule in (RULE, completed["Properties"]):
        assert rule["RuleName"]["Sub"].startswith("${AWS::StackName}-")
        assert rule["EventBusName"] == {"Ref": "PartnerEventBusName"}
        assert rule["DeadLetterConfig"] == {
            "Arn": {"GetAtt": "RuleDeadLetterQueue.Outputs.QueueArn"}
        }
        assert rule["RetryPolicy"] == RULE["RetryPolicy"]


def test_runtime_architecture_and_storage_settings() -> None:
    globals_ = load_template()["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.13"
    assert globals_["Architectures"] == ["arm64"]
    table = RESOURCES["FailuresTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert RESOURCES["FailuresTopic"]["Properties"]["KmsMasterKeyId"]


def _documented_parameters() -> list[str]:
    """The rows of the configuration reference's "Template parameters" table, in order."""
    page = (TEMPLATE.parent / "docs" / "configuration.md").read_text()
    section = page.split("\n## Template parameters\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE)


def test_every_parameter_is_documented_in_the_configuration_reference() -> None:
    # One row each, and no row for a parameter the template no longer has.
    documented = _documented_parameters()
    assert sorted(documented) == sorted(load_template()["Parameters"])
    assert len(set(documented)) == len(documented)


def _router_statements() -> list[dict[str, Any]]:
    """The router's statements, each conditional one as it is when its receiver is set."""
    policies = RESOURCES["AlertRouterFunction"]["Properties"]["Policies"]
    statements = [s for policy in policies for s in policy["Statement"]]
    return [s["If"][1] if "If" in s else s for s in statements]


@pytest.mark.parametrize(
    "statements", [_statements(), _router_statements()], ids=["recorder", "router"]
)
def test_no_function_statement_uses_a_wildcard(statements: list[dict[str, Any]]) -> None:
    for statement in statements:
        assert all("*" not in action for action in _actions(statement)), statement
        assert "*" not in json.dumps(statement["Resource"]), statement


def test_recorder_may_use_exactly_the_topic_key() -> None:
    """The topic's key to publish, and a merchant's own key (when given) only to read the
    credentials secret through Secrets Manager."""
    kms = [s for s in _statements() if any(a.startswith("kms:") for a in _actions(s))]
    assert kms == [
        {
            "Sid": "EncryptFailureMessages",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": {"GetAtt": "AlertsKey.Arn"},
        },
        {
            "Sid": "DecryptApiCredentials",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": {"Ref": "CustomerManagedKeyArn"},
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": {"Sub": "secretsmanager.${AWS::Region}.amazonaws.com"}
                }
            },
        },
    ]
    assert RESOURCES["FailuresTopic"]["Properties"]["KmsMasterKeyId"] == {"GetAtt": "AlertsKey.Arn"}


def test_router_timings_let_a_crashed_batch_come_back_to_free_claims() -> None:
    """Function timeout < ledger lease < visibility timeout: a live delivery is never taken
    over, and a batch whose invocation died returns only after its claims have expired
    (otherwise it fails as "in progress" and bounces towards the DLQ)."""
    function_timeout = RESOURCES["AlertRouterFunction"]["Properties"].get(
        "Timeout", load_template()["Globals"]["Function"]["Timeout"]
    )
    variables = RESOURCES["AlertRouterFunction"]["Properties"]["Environment"]["Variables"]
    lease = int(
        variables.get(
            "LEDGER_LEASE_SECONDS", RouterSettings.model_fields["ledger_lease_seconds"].default
        )
    )
    visibility = RESOURCES["AlertQueue"]["Properties"]["VisibilityTimeout"]
    assert function_timeout < lease
    assert lease + 1 < visibility  # +1: leases are kept in whole seconds


def test_the_router_draws_slack_buttons_exactly_when_slack_users_may_act() -> None:
    """The bot's case messages carry buttons only when the stack has an inbound function
    that takes Slack's interactions (a Slack secret and allowed users): otherwise a click
    would go nowhere."""
    from bwp_privacy.alerting.receivers.slack import ACTIONS_SETTING

    variables = RESOURCES["AlertRouterFunction"]["Properties"]["Environment"]["Variables"]
    assert variables[ACTIONS_SETTING] == {"If": ["HasSlackActions", "true", "false"]}
    conditions = load_template()["Conditions"]
    assert conditions["HasSlackActions"] == {
        "And": [
            {"Condition": "HasSlack"},
            {"Not": [{"Equals": [{"Ref": "SlackAllowedUsers"}, ""]}]},
        ]
    }
