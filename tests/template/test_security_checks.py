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
NESTED = {
    f"templates/{path.name}": load_template(path)
    for path in sorted((TEMPLATE.parent / "templates").glob("*.yaml"))
}
#: Every template file: the stack's and its nested applications'.
ALL_TEMPLATES = {"template.yaml": TEMPLATE_DATA, **NESTED}


def _of_type(kind: str, resources: dict[str, Any] = RESOURCES) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in resources.items() if r["Type"] == kind}


def _applications(location: str) -> dict[str, dict[str, Any]]:
    """The stack's nested applications of one template."""
    return {
        name: r
        for name, r in _of_type("AWS::Serverless::Application").items()
        if r["Properties"]["Location"] == location
    }


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _target(dimension_value: Any) -> str:
    """The logical id a metric dimension points at (!Ref X or !GetAtt X.Attr), or the service
    a BwpPrivacy metric is of (a plain value)."""
    if isinstance(dimension_value, str):
        return dimension_value
    if "Ref" in dimension_value:
        return str(dimension_value["Ref"])
    return str(dimension_value["GetAtt"]).split(".")[0]


#: Each alarm of the stack: one templates/alarm.yaml application, or the one a dead-letter
#: queue application carries (on its own queue).
ALARMS = _applications("templates/alarm.yaml")
DEAD_LETTER_QUEUES = _applications("templates/dead-letter-queue.yaml")
WATCHED: dict[tuple[str, str], set[str]] = {}
for _alarm in ALARMS.values():
    _p = _alarm["Properties"]["Parameters"]
    WATCHED.setdefault((_p["Namespace"], _p["MetricName"]), set()).add(
        _target(_p["DimensionValue"])
    )
for _queue in DEAD_LETTER_QUEUES:
    WATCHED.setdefault(("AWS/SQS", "ApproximateNumberOfMessagesVisible"), set()).add(_queue)


@pytest.mark.parametrize(
    ("namespace", "metric", "resource"),
    [
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "RuleDeadLetterQueue"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "OnFailureQueue"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "AlertDeadLetterQueue"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "AlertEmailDeadLetterQueue"),
        ("AWS/SQS", "ApproximateAgeOfOldestMessage", "AlertQueue"),
        ("AWS/Lambda", "Errors", "RecorderFunction"),
        ("AWS/Lambda", "Throttles", "RecorderFunction"),
        ("AWS/Lambda", "AsyncEventsDropped", "RecorderFunction"),
        ("AWS/Lambda", "Errors", "AlertRouterFunction"),
        ("AWS/Lambda", "Throttles", "AlertRouterFunction"),
        ("AWS/Lambda", "Errors", "ReactionFunction"),
        ("AWS/Lambda", "Errors", "InboundFunction"),
        ("AWS/Lambda", "Throttles", "InboundFunction"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "InboundDeadLetterQueue"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "ReactionDeadLetterQueue"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "ScheduleDeadLetterQueue"),
        ("BwpPrivacy", "CasesEscalated", "reaction"),
    ],
)
def test_an_alarm_watches(namespace: str, metric: str, resource: str) -> None:
    assert resource in WATCHED.get((namespace, metric), set())


@pytest.mark.parametrize("name", sorted([*ALARMS, *DEAD_LETTER_QUEUES]))
def test_alarm_has_the_optional_action_and_the_condition_of_what_it_watches(name: str) -> None:
    application = RESOURCES[name]
    parameters = application["Properties"]["Parameters"]
    assert parameters["AlarmTopicArn"] == {"Ref": "AlarmTopicArn"}
    assert parameters["AlarmName"]["Sub"].startswith("${AWS::StackName}-")  # see the key policy
    if name in ALARMS and parameters["Namespace"] != "BwpPrivacy":
        # A queue's own alarm has its queue's condition by being in it; a metric of the
        # project's own namespace is of a service, always deployed.
        watched = _target(parameters["DimensionValue"])
        assert RESOURCES[watched].get("Condition") == application.get("Condition")


@pytest.mark.parametrize("path", sorted(NESTED))
def test_nested_alarms_notify_only_when_asked_and_never_on_missing_data(path: str) -> None:
    for alarm in _of_type("AWS::CloudWatch::Alarm", NESTED[path]["Resources"]).values():
        properties = alarm["Properties"]
        assert properties["TreatMissingData"] == "notBreaching"
        optional = {"If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
        assert properties["AlarmActions"] == optional
        assert properties["OKActions"] == optional
        assert properties["AlarmName"] == {"Ref": "AlarmName"}


def test_dead_letter_alarms_fire_on_the_first_message_and_the_router_queue_on_15_minutes() -> None:
    [queue_alarm] = _of_type(
        "AWS::CloudWatch::Alarm", NESTED["templates/dead-letter-queue.yaml"]["Resources"]
    ).values()
    properties = queue_alarm["Properties"]
    assert properties["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert (properties["Threshold"], properties["ComparisonOperator"]) == (
        0,
        "GreaterThanThreshold",
    )
    [age] = [
        a for a in ALARMS.values() if "AgeOfOldest" in a["Properties"]["Parameters"]["MetricName"]
    ]
    assert age["Properties"]["Parameters"]["Threshold"] <= 900


def _tls_denied(statements: list[dict[str, Any]], resource: Any) -> bool:
    return any(
        s["Effect"] == "Deny"
        and s["Principal"] == "*"
        and s["Resource"] == resource
        and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )


@pytest.mark.parametrize(
    ("path", "queue"),
    [
        (path, queue)
        for path, template in ALL_TEMPLATES.items()
        for queue in sorted(_of_type("AWS::SQS::Queue", template["Resources"]))
    ],
)
def test_every_queue_denies_requests_without_tls(path: str, queue: str) -> None:
    resources = ALL_TEMPLATES[path]["Resources"]
    policies = [
        p
        for p in _of_type("AWS::SQS::QueuePolicy", resources).values()
        if {"Ref": queue} in p["Properties"]["Queues"]
    ]
    assert policies, f"{queue} has no queue policy"
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    statements = [s["If"][1] if "If" in s else s for s in statements]  # conditional writers
    assert _tls_denied(statements, {"GetAtt": f"{queue}.Arn"})
    deny = [s for s in statements if s["Effect"] == "Deny"]
    assert all(s["Action"] == "sqs:*" for s in deny)
    assert {p.get("Condition") for p in policies} == {resources[queue].get("Condition")}


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
    function = RESOURCES["RecorderFunction"]["Properties"]
    assert function["ReservedConcurrentExecutions"] == {
        "If": [
            "HasRecorderReservedConcurrency",
            {"Ref": "RecorderReservedConcurrency"},
            {"Ref": "AWS::NoValue"},
        ]
    }
    # Nothing reserved unless asked: see tests/template/test_real_account.py.
    assert TEMPLATE_DATA["Parameters"]["RecorderReservedConcurrency"]["Default"] == 0
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


def _metadata_of(kind: str, path: str | None = None) -> list[tuple[str, Any]]:
    return [
        (name, r["Metadata"][kind])
        for file, template in ALL_TEMPLATES.items()
        if path in (None, file)
        for name, r in template["Resources"].items()
        if kind in r.get("Metadata", {})
    ]


def test_every_checkov_skip_gives_a_reason() -> None:
    skips = [(name, s) for name, m in _metadata_of("checkov") for s in m["skip"]]
    assert skips
    for name, skip in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (name, skip)
        assert len(skip.get("comment", "").split()) >= 8, (name, skip)


@pytest.mark.parametrize("path", sorted(ALL_TEMPLATES))
def test_every_cfn_lint_ignore_is_preceded_by_a_comment_saying_why(path: str) -> None:
    lines = (TEMPLATE.parent / path).read_text().splitlines()
    ignores = [i for i, line in enumerate(lines) if "ignore_checks" in line]
    assert len(ignores) == len(_metadata_of("cfn-lint", path))
    for index in ignores:
        comment = list(
            itertools.takewhile(lambda s: s.strip().startswith("#"), lines[index - 1 :: -1])
        )
        assert comment, f"line {index + 1}: ignore_checks without a comment"
        checks = re.findall(r"[A-Z]+\d+", lines[index])
        assert all(check in " ".join(comment) for check in checks), lines[index]
