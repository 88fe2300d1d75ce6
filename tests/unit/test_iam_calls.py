"""From HTTP requests to what IAM authorizes, for each protocol the functions' calls use."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from bwp_sandbox.iam import Check, Resources, read_call
from bwp_sandbox.iam.intrinsics import PhysicalResource, TemplateResolver, UnresolvedError

ARN = "arn:aws:{}:us-east-1:123456789012:{}"


def _environ(
    service: str,
    *,
    target: str | None = None,
    method: str = "POST",
    path: str = "/",
    query: str = "",
    key: str = "AKIDEXAMPLE",
) -> dict[str, Any]:
    environ = {
        "HTTP_AUTHORIZATION": (
            f"AWS4-HMAC-SHA256 Credential={key}/20261129/us-east-1/{service}/aws4_request, "
            "SignedHeaders=host, Signature=0"
        ),
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "wsgi.input": io.BytesIO(),
    }
    if target:
        environ["HTTP_X_AMZ_TARGET"] = target
    return environ


class _Lookups(Resources):
    def topic_key_arn(self, topic_arn: str, region: str) -> str | None:
        return ARN.format("kms", "key/k-1") if topic_arn.endswith(":encrypted") else None


def test_a_batch_write_is_checked_on_every_table_it_names() -> None:
    body = json.dumps({"RequestItems": {"ledger": [], "other": []}}).encode()
    call = read_call(_environ("dynamodb", target="DynamoDB_20120810.BatchWriteItem"), body)
    assert call is not None
    assert call.access_key == "AKIDEXAMPLE"
    assert call.checks == (
        Check("dynamodb:BatchWriteItem", ARN.format("dynamodb", "table/ledger")),
        Check("dynamodb:BatchWriteItem", ARN.format("dynamodb", "table/other")),
    )


def test_a_query_on_an_index_is_checked_on_the_index() -> None:
    body = json.dumps({"TableName": "failures", "IndexName": "ByDay"}).encode()
    call = read_call(_environ("dynamodb", target="DynamoDB_20120810.Query"), body)
    assert call is not None
    assert call.checks == (
        Check("dynamodb:Query", ARN.format("dynamodb", "table/failures/index/ByDay")),
    )


def test_a_transaction_is_checked_item_by_item_as_each_action() -> None:
    body = json.dumps(
        {"TransactItems": [{"Put": {"TableName": "a"}}, {"Update": {"TableName": "b"}}]}
    ).encode()
    call = read_call(_environ("dynamodb", target="DynamoDB_20120810.TransactWriteItems"), body)
    assert call is not None
    assert [c.action for c in call.checks] == ["dynamodb:PutItem", "dynamodb:UpdateItem"]


def test_publishing_to_an_encrypted_topic_needs_its_key_too() -> None:
    topic = ARN.format("sns", "encrypted")
    body = f"Action=Publish&TopicArn={topic}&Message=x".encode()
    call = read_call(_environ("sns"), body, _Lookups())
    assert call is not None
    assert call.protocol == "query"
    assert [c.action for c in call.checks] == ["sns:Publish", "kms:GenerateDataKey", "kms:Decrypt"]
    plain = read_call(
        _environ("sns"),
        f"Action=Publish&TopicArn={ARN.format('sns', 'plain')}".encode(),
        _Lookups(),
    )
    assert plain is not None
    assert [c.action for c in plain.checks] == ["sns:Publish"]


def test_sqs_batches_are_checked_as_their_single_message_action() -> None:
    body = json.dumps({"QueueUrl": "http://localhost:5000/123456789012/alerts"}).encode()
    call = read_call(_environ("sqs", target="AmazonSQS.DeleteMessageBatch"), body)
    assert call is not None
    assert call.checks == (Check("sqs:DeleteMessage", ARN.format("sqs", "alerts")),)


@pytest.mark.parametrize("name", ["/bwp-privacy/routes", "routes"])
def test_a_parameter_arn_has_one_slash_after_parameter(name: str) -> None:
    body = json.dumps({"Name": name}).encode()
    call = read_call(_environ("ssm", target="AmazonSSM.GetParameter"), body)
    assert call is not None
    [check] = call.checks
    assert check.resource == ARN.format("ssm", "parameter/" + name.lstrip("/"))


def test_creating_a_schedule_passes_its_role_to_the_scheduler() -> None:
    body = json.dumps(
        {
            "GroupName": "cases",
            "Target": {"RoleArn": "arn:aws:iam::123456789012:role/r", "Arn": "x"},
        }
    ).encode()
    call = read_call(_environ("scheduler", path="/schedules/case-1-attempt-2"), body)
    assert call is not None
    assert call.operation == "CreateSchedule"
    assert call.checks == (
        Check(
            "scheduler:CreateSchedule", ARN.format("scheduler", "schedule/cases/case-1-attempt-2")
        ),
        Check(
            "iam:PassRole",
            "arn:aws:iam::123456789012:role/r",
            {"iam:PassedToService": "scheduler.amazonaws.com"},
        ),
    )
    deleted = read_call(
        _environ("scheduler", method="DELETE", path="/schedules/s1", query="groupName=cases"), b""
    )
    assert deleted is not None
    assert deleted.checks == (
        Check("scheduler:DeleteSchedule", ARN.format("scheduler", "schedule/cases/s1")),
    )


def test_a_call_the_table_does_not_know_is_marked_unknown_and_unsigned_requests_are_ignored() -> (
    None
):
    call = read_call(_environ("dynamodb", target="DynamoDB_20120810.DeleteTable"), b"{}")
    assert call is not None
    assert call.unknown is not None
    assert call.checks == ()
    missing = read_call(_environ("sns"), b"Action=Publish&Message=no-topic")
    assert missing is not None
    assert missing.unknown is not None
    unsigned = _environ("sns")
    del unsigned["HTTP_AUTHORIZATION"]
    assert read_call(unsigned, b"Action=Publish") is None


def _resolver(template: dict[str, Any], **parameters: str) -> TemplateResolver:
    return TemplateResolver(
        template,
        parameters,
        {"Table": PhysicalResource("t-1", {"Arn": ARN.format("dynamodb", "table/t-1")})},
        region="us-east-1",
        account="123456789012",
        stack_name="stack",
    )


TEMPLATE: dict[str, Any] = {
    "Parameters": {
        "Name": {"Type": "String", "Default": ""},
        "Level": {"Type": "String", "Default": "INFO", "AllowedValues": ["INFO", "ERROR"]},
        "Days": {"Type": "Number", "Default": 730, "MinValue": 1, "MaxValue": 3650},
    },
    "Conditions": {
        "HasName": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Name"}, ""]}]},
        "Hierarchical": {
            "Fn::Equals": [{"Fn::Select": [0, {"Fn::Split": ["/", {"Ref": "Name"}]}]}, ""]
        },
    },
}


@pytest.mark.parametrize(
    ("name", "expected"),
    [("/team/routes", "parameter/team/routes"), ("routes", "parameter/routes")],
)
def test_intrinsics_resolve_as_cloudformation_does(name: str, expected: str) -> None:
    resolver = _resolver(TEMPLATE, Name=name)
    prefix = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
    value = {
        "Fn::If": [
            "Hierarchical",
            {"Fn::Sub": prefix + "${Name}"},
            {"Fn::Sub": prefix + "/${Name}"},
        ]
    }
    assert resolver.resolve(value) == ARN.format("ssm", expected)
    listed = [
        {"Fn::If": ["HasName", "kept", {"Ref": "AWS::NoValue"}]},
        {"Fn::GetAtt": ["Table", "Arn"]},
    ]
    assert resolver.resolve(listed) == ["kept", ARN.format("dynamodb", "table/t-1")]
    assert _resolver(TEMPLATE).resolve(listed) == [ARN.format("dynamodb", "table/t-1")]


@pytest.mark.parametrize(
    ("parameters", "problem"),
    [
        ({"Level": "CRITICAL"}, "is not one of"),
        ({"Days": "0"}, "outside"),
        ({"Nope": "x"}, "declares no parameter Nope"),
    ],
)
def test_parameter_values_cloudformation_would_refuse_are_refused(
    parameters: dict[str, str], problem: str
) -> None:
    with pytest.raises(UnresolvedError, match=problem):
        _resolver(TEMPLATE, **parameters)


def test_a_reference_to_something_not_deployed_locally_says_what() -> None:
    with pytest.raises(UnresolvedError, match=r"Fn::GetAtt Queue\.Arn"):
        _resolver(TEMPLATE).resolve({"Fn::GetAtt": ["Queue", "Arn"]})
