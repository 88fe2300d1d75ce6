"""template.yaml: alarms, the dashboard, encryption, TLS-only policies and reasoned suppressions.

checkov itself runs from `make check` (its own environment, see the Makefile), not from here.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest

from bwp_sandbox.stack import TEMPLATE, load_template

TEMPLATE_DATA = load_template()
RESOURCES: dict[str, Any] = TEMPLATE_DATA["Resources"]
CONDITIONS = sorted(TEMPLATE_DATA["Conditions"])


def _of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in RESOURCES.items() if r["Type"] == kind}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _target(dimension_value: Any) -> str:
    """The logical id a metric dimension points at (!Ref X or !GetAtt X.Attr)."""
    if "Ref" in dimension_value:
        return str(dimension_value["Ref"])
    return str(dimension_value["GetAtt"]).split(".")[0]


ALARMS = _of_type("AWS::CloudWatch::Alarm")
WATCHED: dict[tuple[str, str], set[str]] = {
    (a["Properties"]["Namespace"], a["Properties"]["MetricName"]): set() for a in ALARMS.values()
}
for _alarm in ALARMS.values():
    _p = _alarm["Properties"]
    for _d in _p["Dimensions"]:
        WATCHED[(_p["Namespace"], _p["MetricName"])].add(_target(_d["Value"]))


@pytest.mark.parametrize(
    ("namespace", "metric", "resource"),
    [
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "RuleDeadLetterQueue"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "OnFailureQueue"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "AlertDeadLetterQueue"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "AlertEmailDeadLetterQueue"),
        ("AWS/SQS", "ApproximateAgeOfOldestMessage", "AlertQueue"),
        ("AWS/Lambda", "Errors", "DeletionTaskFailedFunction"),
        ("AWS/Lambda", "Throttles", "DeletionTaskFailedFunction"),
        ("AWS/Lambda", "AsyncEventsDropped", "DeletionTaskFailedFunction"),
        ("AWS/Lambda", "Errors", "AlertRouterFunction"),
        ("AWS/Lambda", "Throttles", "AlertRouterFunction"),
    ],
)
def test_an_alarm_watches(namespace: str, metric: str, resource: str) -> None:
    assert resource in WATCHED.get((namespace, metric), set())


@pytest.mark.parametrize("name", sorted(ALARMS))
def test_alarm_has_the_optional_action_and_the_condition_of_what_it_watches(name: str) -> None:
    alarm = ALARMS[name]
    properties = alarm["Properties"]
    assert properties["TreatMissingData"] == "notBreaching"
    optional = {"If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
    assert properties["AlarmActions"] == optional
    assert properties["OKActions"] == optional
    assert properties["AlarmName"]["Sub"].startswith("${AWS::StackName}-")  # see the key policy
    watched = {_target(d["Value"]) for d in properties["Dimensions"]}
    assert {RESOURCES[w].get("Condition") for w in watched} == {alarm.get("Condition")}


def test_dead_letter_alarms_fire_on_the_first_message_and_the_router_queue_on_15_minutes() -> None:
    for alarm in ALARMS.values():
        properties = alarm["Properties"]
        if properties["MetricName"] == "ApproximateAgeOfOldestMessage":
            assert properties["Threshold"] <= 900
        elif properties["MetricName"] == "ApproximateNumberOfMessagesVisible":
            assert (properties["Threshold"], properties["ComparisonOperator"]) == (
                0,
                "GreaterThanThreshold",
            )


def _tls_denied(statements: list[dict[str, Any]], resource: Any) -> bool:
    return any(
        s["Effect"] == "Deny"
        and s["Principal"] == "*"
        and s["Resource"] == resource
        and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )


@pytest.mark.parametrize("queue", sorted(_of_type("AWS::SQS::Queue")))
def test_every_queue_denies_requests_without_tls(queue: str) -> None:
    policies = [
        p
        for p in _of_type("AWS::SQS::QueuePolicy").values()
        if {"Ref": queue} in p["Properties"]["Queues"]
    ]
    assert policies, f"{queue} has no queue policy"
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    assert _tls_denied(statements, {"GetAtt": f"{queue}.Arn"})
    deny = [s for s in statements if s["Effect"] == "Deny"]
    assert all(s["Action"] == "sqs:*" for s in deny)
    assert {p.get("Condition") for p in policies} == {RESOURCES[queue].get("Condition")}


@pytest.mark.parametrize("topic", sorted(_of_type("AWS::SNS::Topic")))
def test_every_topic_is_encrypted_and_denies_publishing_without_tls(topic: str) -> None:
    policies = [
        p
        for p in _of_type("AWS::SNS::TopicPolicy").values()
        if {"Ref": topic} in p["Properties"]["Topics"]
    ]
    assert policies, f"{topic} has no topic policy"
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    assert _tls_denied(statements, {"Ref": topic})
    # A customer managed key: CloudWatch and SNS cannot be granted the AWS managed alias/aws/sns.
    assert RESOURCES[topic]["Properties"]["KmsMasterKeyId"] == {"GetAtt": "AlertsKey.Arn"}


def test_the_key_rotates_and_lets_services_in_only_for_this_account() -> None:
    key = RESOURCES["AlertsKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    for statement in key["KeyPolicy"]["Statement"]:
        principal = statement["Principal"]
        assert principal != "*"
        if "Service" in principal:
            assert statement["Condition"], statement["Sid"]
            actions = set(_as_list(statement["Action"]))
            assert "kms:*" not in actions
            assert not actions & {"kms:CreateGrant", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"}


def test_log_groups_are_encrypted_with_the_key() -> None:
    for log_group in _of_type("AWS::Logs::LogGroup").values():
        assert log_group["Properties"]["KmsKeyId"] == {"GetAtt": "AlertsKey.Arn"}


def test_tables_keep_point_in_time_recovery_and_encryption() -> None:
    for table in _of_type("AWS::DynamoDB::Table").values():
        properties = table["Properties"]
        assert properties["SSESpecification"]["SSEEnabled"] is True
        assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]


def test_queues_are_encrypted() -> None:
    for queue in _of_type("AWS::SQS::Queue").values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True


def test_recorder_concurrency_and_expected_account_come_from_parameters() -> None:
    function = RESOURCES["DeletionTaskFailedFunction"]["Properties"]
    assert function["ReservedConcurrentExecutions"] == {
        "If": [
            "HasRecorderReservedConcurrency",
            {"Ref": "RecorderReservedConcurrency"},
            {"Ref": "AWS::NoValue"},
        ]
    }
    assert TEMPLATE_DATA["Parameters"]["RecorderReservedConcurrency"]["Default"] == 5
    env = function["Environment"]["Variables"]
    assert env["EXPECTED_ACCOUNT_ID"] == {"Ref": "ExpectedAccountId"}
    assert TEMPLATE_DATA["Parameters"]["ExpectedAccountId"]["Default"] == ""
    router = RESOURCES["AlertRouterFunction"]["Properties"]
    scaling = router["Events"]["Failures"]["Properties"]["ScalingConfig"]
    assert scaling["MaximumConcurrency"] == {"Ref": "RouterMaxConcurrency"}


# -- dashboard --------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\$\{([^}!]+)\}")


def _render(value: Any, conditions: dict[str, bool]) -> str:
    """Evaluate !Sub / !If / !Ref enough to read the dashboard body as deployed."""
    if isinstance(value, str):
        return value
    if "If" in value:
        condition, when_true, when_false = value["If"]
        return _render(when_true if conditions[condition] else when_false, conditions)
    if "Sub" in value:
        sub = value["Sub"]
        text, variables = (sub, {}) if isinstance(sub, str) else sub
        rendered = {name: _render(v, conditions) for name, v in variables.items()}
        return _PLACEHOLDER.sub(lambda m: rendered.get(m.group(1), f"x-{m.group(1)}"), text)
    raise AssertionError(f"unexpected intrinsic {value}")


def _condition_cases() -> list[dict[str, bool]]:
    receiver, email = "HasAnyReceiver", "HasAlertEmail"
    return [
        {**dict.fromkeys(CONDITIONS, False), receiver: r, email: e}
        for r, e in itertools.product([False, True], repeat=2)
    ]


@pytest.mark.parametrize(
    "conditions",
    _condition_cases(),
    ids=lambda c: f"receiver={c['HasAnyReceiver']}-email={c['HasAlertEmail']}",
)
def test_dashboard_body_is_valid_json_with_the_flows_metrics(conditions: dict[str, bool]) -> None:
    body = RESOURCES["Dashboard"]["Properties"]["DashboardBody"]
    dashboard = json.loads(_render(body, conditions))
    widgets = dashboard["widgets"]
    text = json.dumps(widgets)
    for metric in (
        "Invocations",
        "Errors",
        "Throttles",
        "Duration",
        "AsyncEventsDropped",
        "DeletionFailures",
        "TaskLookups",
        "FailuresPublished",
        "DuplicateEvents",
        "InvalidEvents",
        "SpoofedEvents",
        "ApproximateNumberOfMessagesVisible",
    ):
        assert metric in text, metric
    # (DeliveryFailures alone would also match Lambda's DestinationDeliveryFailures.)
    router_metrics = ("AlertsDelivered", '=\\"DeliveryFailures', "ApproximateAgeOfOldestMessage")
    for metric in router_metrics:
        assert (metric in text) is conditions["HasAnyReceiver"], metric
    assert ("x-AlertEmailDeadLetterQueue" in text) is conditions["HasAlertEmail"]
    for widget in widgets:
        for line in widget["properties"]["metrics"]:
            assert isinstance(line, list)
            expression = line[0].get("expression") if isinstance(line[0], dict) else None
            if expression:
                assert expression.startswith("SEARCH('"), expression


def test_dimensioned_metrics_are_searched_with_their_emf_dimension_sets() -> None:
    body = json.dumps(RESOURCES["Dashboard"]["Properties"]["DashboardBody"])
    for metric, dimension in (
        ("DeletionFailures", "errorCode"),
        ("TaskLookups", "outcome"),
        ("AlertsDelivered", "receiver"),
        ("DeliveryFailures", "receiver"),
    ):
        # Powertools adds the `service` dimension to every metric (see observability.py).
        assert f'{{BwpPrivacy,{dimension},service}} MetricName=\\\\\\"{metric}' in body, metric


# -- suppressions -----------------------------------------------------------------------------


def _metadata_of(kind: str) -> list[tuple[str, Any]]:
    return [
        (name, r["Metadata"][kind])
        for name, r in RESOURCES.items()
        if kind in r.get("Metadata", {})
    ]


def test_every_checkov_skip_gives_a_reason() -> None:
    skips = [(name, s) for name, m in _metadata_of("checkov") for s in m["skip"]]
    assert skips
    for name, skip in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (name, skip)
        assert len(skip.get("comment", "").split()) >= 8, (name, skip)


def test_every_cfn_lint_ignore_is_preceded_by_a_comment_saying_why() -> None:
    assert _metadata_of("cfn-lint")
    lines = TEMPLATE.read_text().splitlines()
    ignores = [i for i, line in enumerate(lines) if "ignore_checks" in line]
    assert len(ignores) == len(_metadata_of("cfn-lint"))
    for index in ignores:
        comment = list(
            itertools.takewhile(lambda s: s.strip().startswith("#"), lines[index - 1 :: -1])
        )
        assert comment, f"line {index + 1}: ignore_checks without a comment"
        checks = re.findall(r"[A-Z]+\d+", lines[index])
        assert all(check in " ".join(comment) for check in checks), lines[index]
