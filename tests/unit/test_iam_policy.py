"""The local IAM's evaluation rules, as AWS documents them for identity-based policies."""

from __future__ import annotations

from typing import Any

import pytest

from bwp_sandbox.iam import PolicyError, Statement, evaluate
from bwp_sandbox.iam.policy import arn_matches

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/failures"


def _statements(*raw: dict[str, Any]) -> list[Statement]:
    return [Statement.parse(item, "test") for item in raw]


def _allowed(statements: list[Statement], action: str, resource: str, **context: str) -> bool:
    return evaluate(statements, action, resource, context).allowed


def test_nothing_is_allowed_without_a_statement() -> None:
    decision = evaluate([], "dynamodb:PutItem", TABLE, {})
    assert (decision.allowed, decision.statement, decision.explicit_deny) == (False, None, False)


def test_actions_match_case_insensitively_with_wildcards() -> None:
    statements = _statements({"Effect": "Allow", "Action": "DynamoDB:*Item", "Resource": TABLE})
    assert _allowed(statements, "dynamodb:PutItem", TABLE)
    assert _allowed(statements, "dynamodb:batchwriteitem", TABLE)
    assert not _allowed(statements, "dynamodb:Query", TABLE)
    assert not _allowed(statements, "sqs:PutItem", TABLE)


def test_resources_match_case_sensitively_segment_by_segment() -> None:
    statements = _statements(
        {
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": "arn:aws:secretsmanager:us-east-1:123456789012:secret:bwp/slack-??????",
        }
    )
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:bwp/slack-AbC123"
    assert _allowed(statements, "secretsmanager:GetSecretValue", secret)
    assert not _allowed(statements, "secretsmanager:GetSecretValue", secret + "4")  # ? is one
    assert not _allowed(
        statements, "secretsmanager:GetSecretValue", secret.replace("slack", "Slack")
    )
    # A wildcard never spans the ARN's fields: another region is another resource.
    assert not arn_matches("arn:aws:sqs:us-*:1:queue", "arn:aws:sqs:us-east-1:2:queue")
    assert arn_matches("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c")
    assert arn_matches("*", TABLE)


def test_an_explicit_deny_wins_over_any_allow() -> None:
    statements = _statements(
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
        {"Sid": "NoDeletes", "Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": TABLE},
    )
    decision = evaluate(statements, "dynamodb:DeleteItem", TABLE, {})
    assert decision.explicit_deny
    assert decision.statement is not None
    assert decision.statement.sid == "NoDeletes"
    assert _allowed(statements, "dynamodb:PutItem", TABLE)


def test_not_action_and_not_resource() -> None:
    statements = _statements(
        {"Effect": "Allow", "NotAction": "dynamodb:Delete*", "NotResource": "arn:aws:sqs:*:*:*"}
    )
    assert _allowed(statements, "dynamodb:PutItem", TABLE)
    assert not _allowed(statements, "dynamodb:DeleteItem", TABLE)
    assert not _allowed(statements, "sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q")


def test_pass_role_only_to_the_service_the_condition_names() -> None:
    role = "arn:aws:iam::123456789012:role/scheduler-invokes-reaction"
    statements = _statements(
        {
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": role,
            "Condition": {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
        }
    )
    assert _allowed(
        statements, "iam:PassRole", role, **{"iam:PassedToService": "scheduler.amazonaws.com"}
    )
    assert not _allowed(
        statements, "iam:PassRole", role, **{"iam:PassedToService": "lambda.amazonaws.com"}
    )
    # A key the request does not carry: the condition does not hold (IAM's rule).
    assert not _allowed(statements, "iam:PassRole", role)


def test_condition_operators_if_exists_null_and_negation() -> None:
    def allowed(condition: dict[str, Any], **context: str) -> bool:
        statements = _statements(
            {"Effect": "Allow", "Action": "sns:Publish", "Resource": "*", "Condition": condition}
        )
        return _allowed(statements, "sns:Publish", "arn:aws:sns:us-east-1:1:t", **context)

    assert allowed({"Bool": {"aws:SecureTransport": "true"}}, **{"aws:SecureTransport": "true"})
    assert not allowed(
        {"Bool": {"aws:SecureTransport": "true"}}, **{"aws:SecureTransport": "false"}
    )
    assert allowed({"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}})
    assert allowed({"Null": {"aws:SourceVpc": "true"}})
    assert not allowed({"Null": {"aws:SourceVpc": "false"}})
    assert allowed(
        {"StringNotEquals": {"aws:Region": ["eu-west-1", "eu-west-2"]}},
        **{"aws:Region": "us-east-1"},
    )
    assert not allowed(
        {"StringNotEquals": {"aws:Region": ["us-east-1"]}}, **{"aws:Region": "us-east-1"}
    )
    assert allowed(
        {"ArnLike": {"aws:SourceArn": "arn:aws:events:*:1:rule/*"}},
        **{"aws:sourcearn": "arn:aws:events:us-east-1:1:rule/r"},
    )


@pytest.mark.parametrize(
    "raw",
    [
        {"Action": "sqs:*", "Resource": "*"},
        {"Effect": "Allow", "Resource": "*"},
        {"Effect": "Allow", "Action": "sqs:*"},
        {
            "Effect": "Allow",
            "Action": "sqs:*",
            "Resource": "*",
            "Condition": {"DateGreaterThanFoo": {"a": "b"}},
        },
    ],
    ids=["no effect", "no action", "no resource", "unknown operator"],
)
def test_a_statement_it_cannot_read_is_refused_when_read(raw: dict[str, Any]) -> None:
    with pytest.raises(PolicyError):
        Statement.parse(raw, "test")
