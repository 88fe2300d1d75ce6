"""What a real account does that moto does not: each of these passes in the sandbox whatever
the template says, and fails in AWS. So each reads the template and holds it to AWS's
documented rule (docs/sandbox.md, "What a real account does that moto does not")."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bwp_sandbox.stack import DEAD_LETTER_QUEUE, PROJECT_ROOT, load_template

TEMPLATE = load_template()
PARAMETERS: dict[str, Any] = TEMPLATE["Parameters"]
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
GLOBAL_TIMEOUT = TEMPLATE["Globals"]["Function"]["Timeout"]
FUNCTIONS = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::Function"}
DLQ_RETENTION = load_template(PROJECT_ROOT / DEAD_LETTER_QUEUE)["Resources"]["Queue"]["Properties"][
    "MessageRetentionPeriod"
]
#: How long a person has, at least, to read what reached a dead-letter queue.
DAYS_TO_ACT = 10


def _timeout(function: dict[str, Any]) -> int:
    return int(function["Properties"].get("Timeout", GLOBAL_TIMEOUT))


def _smallest(value: Any) -> int:
    """A number, or the smallest value its parameter takes."""
    if isinstance(value, dict) and "Ref" in value:
        return int(PARAMETERS[value["Ref"]]["MinValue"])
    return int(value)


def _largest(value: Any) -> int:
    if isinstance(value, dict) and "Ref" in value:
        return int(PARAMETERS[value["Ref"]]["MaxValue"])
    return int(value)


def _sqs_sources() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(function, its SQS event's properties, the queue resource) for every SQS event source."""
    found = []
    for name, function in FUNCTIONS.items():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "SQS":
                queue = event["Properties"]["Queue"]["GetAtt"].split(".")[0]
                found.append((name, event["Properties"], RESOURCES[queue]))
    return found


# -- deploy-blocking ------------------------------------------------------------------------------


def test_the_recorder_reserves_no_concurrency_unless_asked() -> None:
    """Lambda keeps 100 of an account's concurrency unreserved: in an account whose quota is
    small (new accounts get 10) any reservation fails the stack's creation."""
    assert PARAMETERS["RecorderReservedConcurrency"]["Default"] == 0
    reserved = RESOURCES["RecorderFunction"]["Properties"]["ReservedConcurrentExecutions"]
    assert reserved["If"][0] == "HasRecorderReservedConcurrency"
    assert reserved["If"][2] == {"Ref": "AWS::NoValue"}


def test_no_function_reserves_concurrency_unless_asked() -> None:
    """The same rule for every function: a reservation is a parameter whose default is 0."""
    reserving = {
        name: resource["Properties"]["ReservedConcurrentExecutions"]
        for name, resource in RESOURCES.items()
        if "ReservedConcurrentExecutions" in resource.get("Properties", {})
    }
    assert set(reserving) == {"RecorderFunction", "ReactionFunction", "InboundFunction"}
    for reserved in reserving.values():
        _condition, value, otherwise = reserved["If"]
        assert otherwise == {"Ref": "AWS::NoValue"}
        assert PARAMETERS[value["Ref"]]["Default"] == 0


def test_a_batch_larger_than_ten_always_has_a_batching_window() -> None:
    """Lambda refuses an SQS event source whose BatchSize is over 10 without a
    MaximumBatchingWindowInSeconds of at least 1."""
    sources = _sqs_sources()
    assert sources
    for name, event, _ in sources:
        if int(event.get("BatchSize", 10)) > 10:
            window = event.get("MaximumBatchingWindowInSeconds", 0)
            assert _smallest(window) >= 1, name


def test_each_function_logs_to_a_group_of_the_stack_that_no_leftover_can_block() -> None:
    """A log group named after its function (/aws/lambda/NAME) exists as soon as the function
    is invoked, and outlives a deleted stack: the next creation fails ("already exists"). The
    stack's groups have names CloudFormation makes up, and each function logs there."""
    for name, function in FUNCTIONS.items():
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        properties = RESOURCES[group]["Properties"]
        assert "LogGroupName" not in properties, group
        assert properties["RetentionInDays"] == {"Ref": "LogRetentionDays"}, group
        assert properties["KmsKeyId"] == {"GetAtt": "AlertsKey.Arn"}, group
        assert RESOURCES[group].get("Condition") == function.get("Condition"), name
    [logs] = [
        s
        for s in RESOURCES["AlertsKey"]["Properties"]["KeyPolicy"]["Statement"]
        if s["Sid"] == "CloudWatchLogsForLambdaLogGroups"
    ]
    allowed = [a["Sub"] for a in logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]]
    # CloudFormation names a group STACK-LOGICALID-SUFFIX: each group of the stack, by its
    # logical id, and no other stack's (not STACK-staging's).
    groups = sorted(f["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] for f in FUNCTIONS.values())
    assert sorted(allowed) == sorted(
        f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:"
        f"${{AWS::StackName}}-{group}-*"
        for group in groups
    )


def test_the_layer_is_named_per_stack() -> None:
    """A layer's name is the account's: two stacks would share one list of versions."""
    [layer] = [r for r in RESOURCES.values() if r["Type"] == "AWS::Serverless::LayerVersion"]
    assert "${AWS::StackName}" in layer["Properties"]["LayerName"]["Sub"]
    # SAM retains each version by default: a deleted stack would leave every one behind.
    assert layer["Properties"]["RetentionPolicy"] == "Delete"


# -- refused at run time --------------------------------------------------------------------------

SECRET_PARAMETERS = sorted(name for name in PARAMETERS if name.endswith("SecretName"))


@pytest.mark.parametrize("parameter", SECRET_PARAMETERS)
def test_a_secret_parameter_takes_a_name_and_refuses_an_arn(parameter: str) -> None:
    """The grant is `secret:NAME-??????`: given an ARN it would never match, and every read
    of the secret would be refused at run time."""
    pattern = re.compile(PARAMETERS[parameter]["AllowedPattern"])
    assert pattern.fullmatch("bwp-privacy/pagerduty")
    assert not pattern.fullmatch(
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:bwp-privacy/pagerduty-AbCdEf"
    )
    grants = [
        statement
        for function in FUNCTIONS.values()
        for policy in function["Properties"].get("Policies", [])
        for statement in policy["Statement"]
        if f"${{{parameter}}}-??????" in str(statement)
    ]
    assert grants, f"no grant reads {parameter}"


def _statements(function: str) -> dict[str, dict[str, Any]]:
    """A function's statements by Sid, each conditional one with its condition."""
    found = {}
    for policy in FUNCTIONS[function]["Properties"]["Policies"]:
        for statement in policy["Statement"]:
            if "If" in statement:
                body = dict(statement["If"][1], When=statement["If"][0])
            else:
                body = statement
            found[body["Sid"]] = body
    return found


@pytest.mark.parametrize(
    ("function", "sid", "actions", "service", "condition"),
    [
        ("RecorderFunction", "DecryptApiCredentials", ["kms:Decrypt"], "secretsmanager", None),
        ("ReactionFunction", "DecryptApiCredentials", ["kms:Decrypt"], "secretsmanager", None),
        ("InboundFunction", "DecryptInboundSecrets", ["kms:Decrypt"], "secretsmanager", None),
        (
            "AlertRouterFunction",
            "DecryptReceiverSecrets",
            ["kms:Decrypt"],
            "secretsmanager",
            "DecryptsReceiverSecrets",
        ),
        (
            "AlertRouterFunction",
            "EncryptAmazonQNotifications",
            ["kms:GenerateDataKey", "kms:Decrypt"],
            "sns",
            "EncryptsAmazonQMessages",
        ),
    ],
)
def test_a_customer_managed_key_is_granted_where_its_secrets_and_topic_are_used(
    function: str, sid: str, actions: list[str], service: str, condition: str | None
) -> None:
    """A secret, or the Amazon Q topic, encrypted with a customer managed key is refused to a
    reader (or publisher) without kms:Decrypt (and kms:GenerateDataKey) on that key."""
    statement = _statements(function)[sid]
    assert statement["Resource"] == {"Ref": "CustomerManagedKeyArn"}
    granted = statement["Action"]
    assert sorted([granted] if isinstance(granted, str) else granted) == sorted(actions)
    via = statement["Condition"]["StringEquals"]["kms:ViaService"]["Sub"]
    assert via == f"{service}.${{AWS::Region}}.amazonaws.com"
    assert statement["When"] == (condition or "HasCustomerManagedKey")
    pattern = re.compile(PARAMETERS["CustomerManagedKeyArn"]["AllowedPattern"])
    assert pattern.fullmatch("")
    assert pattern.fullmatch("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef")
    assert not pattern.fullmatch("arn:aws:kms:us-east-1:123456789012:alias/mine")


# -- misbehaving ----------------------------------------------------------------------------------


def test_a_message_never_reappears_while_its_batch_is_gathered_or_handled() -> None:
    """AWS: a source queue's visibility timeout at least six times the function's timeout
    plus its batching window; shorter, a message reappears mid-invocation."""
    for name, event, queue in _sqs_sources():
        window = _largest(event.get("MaximumBatchingWindowInSeconds", 0))
        needed = 6 * _timeout(FUNCTIONS[name]) + window
        assert queue["Properties"]["VisibilityTimeout"] >= needed, name


def test_what_reaches_a_dead_letter_queue_stays_there_long_enough_to_be_read() -> None:
    """A standard dead-letter queue keeps a message's first enqueue time: with equal retention,
    a message that lingered N days in its source queue has 14 - N days left there."""
    with_redrive = [r for r in RESOURCES.values() if "RedrivePolicy" in r.get("Properties", {})]
    queues = [r for r in with_redrive if r["Type"] == "AWS::SQS::Queue"]
    assert queues
    for queue in queues:
        retention = queue["Properties"]["MessageRetentionPeriod"]
        assert retention + DAYS_TO_ACT * 86400 <= DLQ_RETENTION, queue
