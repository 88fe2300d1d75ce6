"""template.yaml deployed into the sandbox's moto through CloudFormation, as `sam deploy` deploys
it into an account (`bwp_sandbox.cloudformation`): the stack completes, its outputs and
resources are what the template and its conditions say, each resource exists in its service as
declared, and CloudFormation refuses what AWS refuses.

Expectations are read from the templates (and their conditions, evaluated independently with
`bwp_sandbox.iam.TemplateResolver`), so this test follows template.yaml as it changes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bwp_sandbox.admin import admin_client
from bwp_sandbox.capabilities import AUTO_EXPAND, missing_capabilities, required_capabilities
from bwp_sandbox.cloudformation import (
    ARTIFACTS_BUCKET,
    StackFailed,
    deploy_with_cloudformation,
    wait_for_stack,
)
from bwp_sandbox.iam import PhysicalResource, TemplateResolver, transformed_template
from bwp_sandbox.local_aws import ACCOUNT_ID, REGION, LocalAws
from bwp_sandbox.stack import PROJECT_ROOT, TEMPLATE, load_template

STACK = "bwp-cfn"
BUS = "aws.partner/buywithprime/bwp-cfn"
#: The defaults, plus what has none and two receivers (so the router and what it needs exist).
PARAMETERS = {
    "PartnerEventBusName": BUS,
    "BwpCredentialsSecretName": "bwp-cfn/credentials",
    "PagerDutySecretName": "bwp-cfn/pagerduty",
    "SlackSecretName": "bwp-cfn/slack",
}
NESTED = "AWS::CloudFormation::Stack"


@dataclass(frozen=True)
class DeployedStack:
    """One stack (the root or a nested one) as CloudFormation reports it, with its template."""

    name: str
    template: dict[str, Any]
    parameters: dict[str, str]
    resources: dict[str, dict[str, Any]]  # by logical id: ListStackResources' summary
    outputs: dict[str, str]

    @property
    def resolver(self) -> TemplateResolver:
        """The template's intrinsics for this stack's parameters and physical ids (and the few
        attributes its policies and alarms name)."""
        physical = {
            logical: PhysicalResource(
                summary["PhysicalResourceId"],
                _attributes(summary["ResourceType"], summary["PhysicalResourceId"]),
            )
            for logical, summary in self.resources.items()
        }
        return TemplateResolver(
            self.template,
            self.parameters,
            physical,
            region=REGION,
            account=ACCOUNT_ID,
            stack_name=self.name,
        )

    def expected(self) -> set[str]:
        """The logical ids of the resources whose condition holds for these parameters."""
        resolver = self.resolver
        return {
            logical
            for logical, resource in self.template["Resources"].items()
            if "Condition" not in resource or resolver.condition(resource["Condition"])
        }

    def physical(self, logical_id: str) -> str:
        physical_id: str = self.resources[logical_id]["PhysicalResourceId"]
        return physical_id


@dataclass(frozen=True)
class Deployment:
    root: DeployedStack
    nested: dict[str, DeployedStack]  # by the root's logical id

    def stacks(self) -> Iterator[DeployedStack]:
        yield self.root
        yield from self.nested.values()


def _describe(
    name_or_id: str, template: dict[str, Any], parameters: Mapping[str, str]
) -> DeployedStack:
    """The stack as CloudFormation reports it, with the parameters it was given (its
    conditions are evaluated from those, not from what moto made of them)."""
    cloudformation = admin_client("cloudformation")
    [stack] = cloudformation.describe_stacks(StackName=name_or_id)["Stacks"]
    reported = {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])}
    assert {name: reported[name] for name in parameters} == parameters, stack["StackName"]
    summaries = cloudformation.list_stack_resources(StackName=name_or_id)
    return DeployedStack(
        name=stack["StackName"],
        template=template,
        parameters=dict(parameters),
        resources={r["LogicalResourceId"]: r for r in summaries["StackResourceSummaries"]},
        outputs={o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
    )


def _deployment(stack_name: str, parameters: Mapping[str, str]) -> Deployment:
    """The root stack and its nested stacks, each nested one with the parameters the root's
    template gives it (resolved here, and checked against what the nested stack got)."""
    transformed = transformed_template(TEMPLATE)
    root = _describe(stack_name, transformed, parameters)
    resolver = root.resolver
    nested = {}
    for logical, summary in root.resources.items():
        if summary["ResourceType"] != NESTED:
            continue
        declared = transformed["Resources"][logical]["Properties"]
        nested[logical] = _describe(
            summary["PhysicalResourceId"],
            _long_form(load_template(PROJECT_ROOT / declared["TemplateURL"])),
            {
                name: str(value)
                for name, value in resolver.resolve(declared.get("Parameters", {})).items()
            },
        )
    return Deployment(root, nested)


#: The intrinsic functions whose short form (!GetAtt...) `load_template` keeps by its tag name.
_SHORT = {"GetAtt", "Sub", "If", "Not", "Equals", "And", "Or", "Join", "Select", "Split"}


def _long_form(value: Any) -> Any:
    """A template read with short-form tags, with the functions' full names (Fn::GetAtt...)."""
    if isinstance(value, list):
        return [_long_form(item) for item in value]
    if isinstance(value, dict):
        return {
            (f"Fn::{key}" if key in _SHORT and len(value) == 1 else key): _long_form(item)
            for key, item in value.items()
        }
    return value


def _attributes(kind: str, physical: str) -> dict[str, str]:
    if kind == "AWS::SQS::Queue":
        return {"Arn": _queue_arn(physical), "QueueName": physical.rsplit("/", 1)[-1]}
    if kind == "AWS::Lambda::Function":
        return {"Arn": _function_arn(physical)}
    if kind == "AWS::DynamoDB::Table":
        return {"Arn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{physical}"}
    if kind == "AWS::KMS::Key":
        return {"Arn": f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{physical}"}
    return {}


def _partner_bus(name: str) -> None:
    """What Buy with Prime and the merchant do before the stack: the partner event source, and
    the bus that takes it (`bwp_sandbox.partner_sources`)."""
    events = admin_client("events")
    events.create_partner_event_source(Name=name, Account=ACCOUNT_ID)
    events.create_event_bus(Name=name, EventSourceName=name)


def _capabilities() -> list[str]:
    return sorted(required_capabilities(load_template(), transformed_template(TEMPLATE)))


@pytest.fixture(scope="module")
def deployed(local_aws: LocalAws, sandbox_env: dict[str, str]) -> Deployment:
    local_aws.reset()  # other tests leave resources behind
    _partner_bus(BUS)
    outputs = deploy_with_cloudformation(STACK, PARAMETERS, _capabilities())
    deployment = _deployment(STACK, PARAMETERS)
    assert outputs == deployment.root.outputs
    return deployment


# -- The stack ------------------------------------------------------------------------------


def test_the_stack_completes_with_every_output_its_conditions_allow(deployed: Deployment) -> None:
    [stack] = admin_client("cloudformation").describe_stacks(StackName=STACK)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    resolver = deployed.root.resolver
    declared = load_template()["Outputs"]
    expected = {
        key
        for key, output in declared.items()
        if "Condition" not in output or resolver.condition(output["Condition"])
    }
    assert set(deployed.root.outputs) == expected
    assert all(value and "${" not in value for value in deployed.root.outputs.values())
    # Nested stacks' outputs, through GetAtt and inside Fn::Sub.
    rule_dlq = deployed.nested["RuleDeadLetterQueue"].outputs
    assert deployed.root.outputs["RuleDeadLetterQueueUrl"] == rule_dlq["QueueUrl"]
    if "DashboardUrl" in expected:
        dashboard = admin_client("cloudwatch").get_dashboard(
            DashboardName=deployed.root.physical("Dashboard")
        )["DashboardBody"]
        assert rule_dlq["QueueName"] in dashboard
        json.loads(dashboard)  # every ${...} resolved into valid JSON


def test_every_resource_whose_condition_holds_is_listed_with_a_physical_id(
    deployed: Deployment,
) -> None:
    for stack in deployed.stacks():
        assert set(stack.resources) == stack.expected(), stack.name
        for logical, summary in stack.resources.items():
            assert summary["PhysicalResourceId"], f"{stack.name}/{logical}"
            assert summary["ResourceStatus"] == "CREATE_COMPLETE"
            assert summary["ResourceType"] == stack.template["Resources"][logical]["Type"]
    # The parameters given decide: two receivers make the router; no e-mail, no e-mail DLQ.
    assert "AlertRouterFunction" in deployed.root.resources
    assert "AlertEmailSubscription" not in deployed.root.resources
    assert "AlertEmailDeadLetterQueue" not in deployed.nested


def test_every_resource_exists_in_its_service(deployed: Deployment) -> None:
    for stack in deployed.stacks():
        for logical, summary in stack.resources.items():
            kind = summary["ResourceType"]
            assert kind in _EXISTS, f"no check of {kind} yet: add one"
            properties = stack.template["Resources"][logical].get("Properties", {})
            _EXISTS[kind](stack, summary["PhysicalResourceId"], properties)


# -- Spot checks: as declared ---------------------------------------------------------------


def test_tables_have_their_keys_indexes_ttl_recovery_and_encryption(deployed: Deployment) -> None:
    dynamodb = admin_client("dynamodb")
    for logical, resource in deployed.root.template["Resources"].items():
        if resource["Type"] != "AWS::DynamoDB::Table" or logical not in deployed.root.resources:
            continue
        name, declared = deployed.root.physical(logical), resource["Properties"]
        table = dynamodb.describe_table(TableName=name)["Table"]
        assert table["KeySchema"] == declared["KeySchema"]
        indexes = {index["IndexName"]: index for index in table.get("GlobalSecondaryIndexes", [])}
        for index in declared.get("GlobalSecondaryIndexes", []):
            assert indexes[index["IndexName"]]["KeySchema"] == index["KeySchema"]
        assert table["BillingModeSummary"]["BillingMode"] == declared["BillingMode"]
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if "TimeToLiveSpecification" in declared:
            assert ttl == {
                "TimeToLiveStatus": "ENABLED",
                "AttributeName": declared["TimeToLiveSpecification"]["AttributeName"],
            }
        else:  # ApiBudgetTable: two items, kept for good
            assert ttl["TimeToLiveStatus"] == "DISABLED"
        backups = dynamodb.describe_continuous_backups(TableName=name)
        recovery = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
        assert recovery["PointInTimeRecoveryStatus"] == "ENABLED"
        assert table["SSEDescription"]["Status"] == "ENABLED"


def test_queues_have_their_timeouts_retention_and_redrive_policies(deployed: Deployment) -> None:
    sqs = admin_client("sqs")
    root = deployed.root
    for logical, resource in root.template["Resources"].items():
        if resource["Type"] != "AWS::SQS::Queue" or logical not in root.resources:
            continue
        declared = resource["Properties"]
        attributes = sqs.get_queue_attributes(
            QueueUrl=root.physical(logical), AttributeNames=["All"]
        )["Attributes"]
        for name in ("VisibilityTimeout", "MessageRetentionPeriod"):
            assert attributes[name] == str(root.resolver.resolve(declared[name])), logical
        redrive = json.loads(attributes["RedrivePolicy"])
        dead_letters = declared["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"]
        assert dead_letters[1] == "Outputs.QueueArn"
        assert redrive == {
            "deadLetterTargetArn": deployed.nested[dead_letters[0]].outputs["QueueArn"],
            "maxReceiveCount": int(
                root.resolver.resolve(declared["RedrivePolicy"]["maxReceiveCount"])
            ),
        }
        assert json.loads(attributes["Policy"])["Statement"]  # its QueuePolicy
    for nested in deployed.nested.values():
        if "Queue" not in nested.resources:
            continue
        declared = nested.template["Resources"]["Queue"]["Properties"]
        attributes = sqs.get_queue_attributes(
            QueueUrl=nested.physical("Queue"), AttributeNames=["All"]
        )["Attributes"]
        assert attributes["MessageRetentionPeriod"] == str(declared["MessageRetentionPeriod"])
        # Fn::If with AWS::NoValue in the statement list leaves no null statement behind.
        statements = json.loads(attributes["Policy"])["Statement"]
        writer = nested.resolver.condition("HasWriter")
        assert [s["Sid"] for s in statements] == [
            *(["DeadLettersOfOneResource"] if writer else []),
            "DenyInsecureTransport",
        ]


def test_the_topic_and_its_subscriptions_filter_and_redrive_as_declared(
    deployed: Deployment,
) -> None:
    sns, root = admin_client("sns"), deployed.root
    topic_arn = root.outputs["FailuresTopicArn"]
    attributes = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    assert attributes["KmsMasterKeyId"] == root.outputs["AlertsKeyArn"]
    declared_policy = root.template["Resources"]["FailuresTopicPolicy"]["Properties"]
    assert json.loads(attributes["Policy"]) == root.resolver.resolve(
        declared_policy["PolicyDocument"]
    )
    subscriptions = {
        s["SubscriptionArn"]: s
        for s in sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    }
    declared = {
        logical: resource["Properties"]
        for logical, resource in root.template["Resources"].items()
        if resource["Type"] == "AWS::SNS::Subscription" and logical in root.resources
    }
    assert len(subscriptions) == len(declared) >= 2
    for logical, properties in declared.items():
        arn = root.physical(logical)
        got = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
        queue = properties["Endpoint"]["Fn::GetAtt"][0]
        assert subscriptions[arn]["Endpoint"] == _queue_arn(root.physical(queue))
        assert got["RawMessageDelivery"] == str(properties["RawMessageDelivery"]).lower()
        if "FilterPolicy" in properties:
            assert json.loads(got["FilterPolicy"]) == properties["FilterPolicy"]
        dead_letters = properties["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        assert json.loads(got["RedrivePolicy"]) == {
            "deadLetterTargetArn": deployed.nested[dead_letters].outputs["QueueArn"]
        }


def test_the_partner_bus_rules_target_their_functions_with_dead_letters(
    deployed: Deployment,
) -> None:
    events, root = admin_client("events"), deployed.root
    rules = {rule["Name"]: rule for rule in events.list_rules(EventBusName=BUS)["Rules"]}
    declared = {
        logical: resource["Properties"]
        for logical, resource in root.template["Resources"].items()
        if resource["Type"] == "AWS::Events::Rule" and "EventBusName" in resource["Properties"]
    }
    assert len(declared) >= 2
    for logical, properties in declared.items():
        name = root.resolver.resolve(properties["Name"])
        assert root.physical(logical) == name
        assert json.loads(rules[name]["EventPattern"]) == properties["EventPattern"]
        [target] = events.list_targets_by_rule(Rule=name, EventBusName=BUS)["Targets"]
        [declared_target] = properties["Targets"]
        function = declared_target["Arn"]["Fn::GetAtt"][0]
        assert target["Arn"] == _function_arn(root.physical(function))
        dead_letters = declared_target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
        assert target["DeadLetterConfig"] == {
            "Arn": deployed.nested[dead_letters].outputs["QueueArn"]
        }
        assert target["RetryPolicy"] == declared_target["RetryPolicy"]
    assert root.outputs["RecorderRuleArn"] == rules[f"{STACK}-recorder"]["Arn"]


def test_every_alarm_exists_by_name_with_its_dimension_and_actions(deployed: Deployment) -> None:
    cloudwatch = admin_client("cloudwatch")
    alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms()["MetricAlarms"]}
    topic = deployed.root.resolver.parameter("AlarmTopicArn")
    count = 0
    for nested in deployed.nested.values():
        for logical, resource in nested.template["Resources"].items():
            if resource["Type"] != "AWS::CloudWatch::Alarm":
                continue
            count += 1
            declared = nested.resolver.resolve(resource["Properties"])
            alarm = alarms[declared["AlarmName"]]
            assert nested.physical(logical) == declared["AlarmName"]
            assert alarm["Dimensions"] == declared["Dimensions"]
            assert alarm["MetricName"] == declared["MetricName"]
            assert alarm["AlarmActions"] == alarm["OKActions"] == ([topic] if topic else [])
    assert count >= 10


def test_the_functions_layer_invoke_configs_and_schedule_group(deployed: Deployment) -> None:
    lambda_, root = admin_client("lambda"), deployed.root
    [layer] = [
        summary["PhysicalResourceId"]
        for summary in root.resources.values()
        if summary["ResourceType"] == "AWS::Lambda::LayerVersion"
    ]
    for logical, resource in root.template["Resources"].items():
        if resource["Type"] != "AWS::Lambda::Function" or logical not in root.resources:
            continue
        configuration = lambda_.get_function(FunctionName=root.physical(logical))["Configuration"]
        assert [entry["Arn"] for entry in configuration["Layers"]] == [layer]
        assert configuration["Architectures"] == resource["Properties"]["Architectures"]
        assert configuration["Runtime"] == resource["Properties"]["Runtime"]
    # A Number parameter is text in conditions: RecorderReservedConcurrency "0" reserves nothing.
    reserved = lambda_.get_function_concurrency(FunctionName=root.physical("RecorderFunction"))
    if root.resolver.condition("HasRecorderReservedConcurrency"):
        expected = int(root.resolver.parameter("RecorderReservedConcurrency"))
        assert reserved["ReservedConcurrentExecutions"] == expected
    else:
        assert reserved.get("ReservedConcurrentExecutions") is None
    config = lambda_.get_function_event_invoke_config(
        FunctionName=root.physical("RecorderFunction")
    )
    assert (
        config["DestinationConfig"]["OnFailure"]["Destination"]
        == (deployed.nested["OnFailureQueue"].outputs["QueueArn"])
    )
    group = admin_client("scheduler").get_schedule_group(Name=root.outputs["ScheduleGroupName"])
    assert group["Name"] == root.resolver.resolve(
        root.template["Resources"]["ScheduleGroup"]["Properties"]["Name"]
    )


def test_alarms_notify_the_alarm_topic_when_one_is_given(deployed: Deployment) -> None:
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:bwp-cfn-alarms"
    parameters = {**PARAMETERS, "AlarmTopicArn": topic}
    deploy_with_cloudformation("bwp-cfn-paged", parameters, _capabilities())
    paged = _deployment("bwp-cfn-paged", parameters)
    names = [
        nested.physical(logical)
        for nested in paged.nested.values()
        for logical, summary in nested.resources.items()
        if summary["ResourceType"] == "AWS::CloudWatch::Alarm"
    ]
    alarms = admin_client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
    assert len(alarms) == len(names) >= 10
    assert all(a["AlarmActions"] == a["OKActions"] == [topic] for a in alarms)


def test_a_deleted_stack_leaves_only_what_it_retains(deployed: Deployment) -> None:
    deploy_with_cloudformation("bwp-cfn-deleted", PARAMETERS, _capabilities())
    gone = _deployment("bwp-cfn-deleted", PARAMETERS).root
    admin_client("cloudformation").delete_stack(StackName="bwp-cfn-deleted")
    assert not _stack_exists("bwp-cfn-deleted")
    retained = {
        logical
        for logical, resource in gone.template["Resources"].items()
        if resource.get("DeletionPolicy") == "Retain" and logical in gone.resources
    }
    assert {gone.resources[logical]["ResourceType"] for logical in retained} >= {
        "AWS::DynamoDB::Table"
    }
    for logical in retained:  # the tables, and the layer version (SAM retains it)
        properties = gone.template["Resources"][logical].get("Properties", {})
        _EXISTS[gone.resources[logical]["ResourceType"]](gone, gone.physical(logical), properties)
    deleted = {gone.physical(logical) for logical in set(gone.resources) - retained}
    assert not deleted & set(admin_client("dynamodb").list_tables()["TableNames"])
    functions = admin_client("lambda").list_functions()["Functions"]
    assert not deleted & {function["FunctionName"] for function in functions}
    alarms = admin_client("cloudwatch").describe_alarms(AlarmNamePrefix="bwp-cfn-deleted-")
    assert alarms["MetricAlarms"] == []


# -- What CloudFormation refuses ------------------------------------------------------------


def test_a_deploy_without_auto_expand_is_refused_and_creates_nothing(deployed: Deployment) -> None:
    given = ["CAPABILITY_IAM"]
    assert missing_capabilities(given, _capabilities()) == [AUTO_EXPAND]
    before = _inventory()
    with pytest.raises(ClientError) as refused:
        deploy_with_cloudformation("bwp-cfn-refused", PARAMETERS, given)
    error = refused.value.response["Error"]
    assert error["Code"] == "InsufficientCapabilitiesException"
    assert error["Message"] == f"Requires capabilities : [{AUTO_EXPAND}]"
    assert _inventory() == before
    assert not _stack_exists("bwp-cfn-refused")


def test_a_parameter_value_the_template_does_not_allow_is_refused(deployed: Deployment) -> None:
    declared = load_template()["Parameters"]
    name = next(n for n, p in declared.items() if "AllowedValues" in p)
    before = _inventory()
    with pytest.raises(ClientError) as refused:
        deploy_with_cloudformation(
            "bwp-cfn-invalid", {**PARAMETERS, name: "not-allowed"}, _capabilities()
        )
    error = refused.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert error["Message"] == f"Parameter '{name}' must be one of AllowedValues"
    assert _inventory() == before
    assert not _stack_exists("bwp-cfn-invalid")


def test_a_failed_resource_fails_the_stack_with_its_reason(deployed: Deployment) -> None:
    missing_bus = "aws.partner/buywithprime/never-associated"
    with pytest.raises(StackFailed) as failed:
        deploy_with_cloudformation(
            "bwp-cfn-no-bus", {**PARAMETERS, "PartnerEventBusName": missing_bus}, _capabilities()
        )
    assert failed.value.status == "ROLLBACK_COMPLETE"
    [first, *_] = failed.value.failures
    assert first.stack_name == "bwp-cfn-no-bus"
    assert missing_bus in first.reason
    [stack] = admin_client("cloudformation").describe_stacks(StackName="bwp-cfn-no-bus")["Stacks"]
    assert "Outputs" not in stack


def test_a_nested_stack_that_fails_fails_its_parent_with_the_nested_reason(
    deployed: Deployment,
) -> None:
    # Over CloudFormation's own API, as any client meets it (a plain nested stack needs no
    # capability).
    inner = {
        "Resources": {
            "Rule": {
                "Type": "AWS::Events::Rule",
                "Properties": {"EventBusName": "no-such-bus", "EventPattern": {"source": ["x"]}},
            }
        }
    }
    admin_client("cloudformation").create_stack(
        StackName="bwp-cfn-nested-failure", TemplateBody=json.dumps(_nesting(inner))
    )
    with pytest.raises(StackFailed) as failed:
        wait_for_stack("bwp-cfn-nested-failure")
    assert failed.value.status == "ROLLBACK_COMPLETE"
    parent, nested = failed.value.failures
    assert (parent.stack_name, parent.logical_id) == ("bwp-cfn-nested-failure", "Inner")
    assert parent.reason.startswith("Embedded stack arn:aws:cloudformation:")
    assert nested.logical_id == "Rule"
    assert "no-such-bus" in nested.reason


def test_a_nested_stack_needs_the_capabilities_of_its_own_resources(deployed: Deployment) -> None:
    inner = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}
                },
            }
        }
    }
    admin_client("cloudformation").create_stack(
        StackName="bwp-cfn-nested-iam", TemplateBody=json.dumps(_nesting(inner))
    )
    with pytest.raises(StackFailed) as failed:
        wait_for_stack("bwp-cfn-nested-iam")
    [parent] = failed.value.failures
    assert parent.reason == "Requires capabilities : [CAPABILITY_IAM]"


# -- Helpers --------------------------------------------------------------------------------


def _nesting(inner: dict[str, Any]) -> dict[str, Any]:
    """A template whose one resource is a nested stack of ``inner`` (uploaded to S3)."""
    key = f"tests/{uuid.uuid4().hex}.json"
    admin_client("s3").put_object(Bucket=ARTIFACTS_BUCKET, Key=key, Body=json.dumps(inner))
    url = f"https://s3.{REGION}.amazonaws.com/{ARTIFACTS_BUCKET}/{key}"
    return {"Resources": {"Inner": {"Type": NESTED, "Properties": {"TemplateURL": url}}}}


def _queue_arn(url: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{url.rsplit('/', 1)[-1]}"


def _function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"


def _stack_exists(name: str) -> bool:
    stacks = admin_client("cloudformation").describe_stacks()["Stacks"]
    return name in [stack["StackName"] for stack in stacks]


def _inventory() -> dict[str, int]:
    """How many of each kind of resource the account holds (S3 aside: `sam deploy` uploads
    the artifacts before CloudFormation answers)."""
    return {
        "stacks": len(admin_client("cloudformation").describe_stacks()["Stacks"]),
        "tables": len(admin_client("dynamodb").list_tables()["TableNames"]),
        "queues": len(admin_client("sqs").list_queues().get("QueueUrls", [])),
        "topics": len(admin_client("sns").list_topics()["Topics"]),
        "functions": len(admin_client("lambda").list_functions()["Functions"]),
        "alarms": len(admin_client("cloudwatch").describe_alarms()["MetricAlarms"]),
        "roles": len(admin_client("iam").list_roles()["Roles"]),
        "keys": len(admin_client("kms").list_keys()["Keys"]),
        "rules": len(admin_client("events").list_rules(EventBusName=BUS)["Rules"]),
    }


# -- Each resource type in its service ------------------------------------------------------

Exists = Callable[[DeployedStack, str, Mapping[str, Any]], None]


def _ref(stack: DeployedStack, value: Any) -> str:
    resolved: str = stack.resolver.resolve(value)
    return resolved


def _table(stack: DeployedStack, physical: str, _: Mapping[str, Any]) -> None:
    admin_client("dynamodb").describe_table(TableName=physical)


def _queue(stack: DeployedStack, physical: str, _: Mapping[str, Any]) -> None:
    admin_client("sqs").get_queue_attributes(QueueUrl=physical, AttributeNames=["QueueArn"])


def _queue_policy(stack: DeployedStack, physical: str, properties: Mapping[str, Any]) -> None:
    for queue in properties["Queues"]:
        attributes = admin_client("sqs").get_queue_attributes(
            QueueUrl=_ref(stack, queue), AttributeNames=["Policy"]
        )["Attributes"]
        assert json.loads(attributes["Policy"]) == stack.resolver.resolve(
            properties["PolicyDocument"]
        )


def _topic(stack: DeployedStack, physical: str, _: Mapping[str, Any]) -> None:
    admin_client("sns").get_topic_attributes(TopicArn=physical)


def _topic_policy(stack: DeployedStack, physical: str, properties: Mapping[str, Any]) -> None:
    for topic in properties["Topics"]:
        attributes = admin_client("sns").get_topic_attributes(TopicArn=_ref(stack, topic))
        assert json.loads(attributes["Attributes"]["Policy"]) == stack.resolver.resolve(
            properties["PolicyDocument"]
        )


def _subscription(stack: DeployedStack, physical: str, _: Mapping[str, Any]) -> None:
    admin_client("sns").get_subscription_attributes(SubscriptionArn=physical)


def _alarm(stack: DeployedStack, physical: str, _: Mapping[str, Any]) -> None:
    alarms = admin_client("cloudwatch").describe_alarms(AlarmNames=[physical])["MetricAlarms"]
    assert [alarm["AlarmName"] for alarm in alarms] == [physical]


def _dashboard(stack: DeployedStack, physical: str, _: Mapping[str, Any]) -> None:
    admin_client("cloudwatch").get_dashboard(DashboardName=physical)


def _function(stack: DeployedStack, physical: str, _: Mapping[str, Any]) -> None:
    admin_client("lambda").get_function(FunctionName=physical)


def _layer(stack: DeployedStack, physical: str, _: Mapping[str, Any]) -> None:
    layer, version = physical.rsplit(":", 1)  # moto has no GetLayerVersionByArn
    found = admin_client("lambda").get_layer_version(LayerName=layer, VersionNumber=int(version))
    assert found["LayerVersionArn"] == physical


def _permission(stack: DeployedStack, physical: str, properties: Mapping[str, Any]) -> None:
    function = _ref(stack, properties["FunctionName"])
    policy = json.loads(admin_client("lambda").get_policy(FunctionName=function)["Policy"])
    assert physical in [statement["Sid"] for statement in policy["Statement"]]


def _invoke_config(stack: DeployedStack, physical: str, properties: Mapping[str, Any]) -> None:
    function = _ref(stack, properties["FunctionName"])
    config = admin_client("lambda").get_function_event_invoke_config(FunctionName=function)
    assert config["MaximumRetryAttempts"] == properties["MaximumRetryAttempts"]


def _event_source_mapping(stack: DeployedStack, physical: str, _: Mapping[str, Any]) -> None:
    admin_client("lambda").get_event_source_mapping(UUID=physical)


def _rule(stack: DeployedStack, physical: str, properties: Mapping[str, Any]) -> None:
    bus = _ref(stack, properties.get("EventBusName", "default"))
    admin_client("events").describe_rule(Name=physical, EventBusName=bus)


def _archive(stack: DeployedStack, physical: str, _: Mapping[str, Any]) -> None:
    admin_client("events").describe_archive(ArchiveName=physical)


def _function_url(stack: DeployedStack, physical: str, properties: Mapping[str, Any]) -> None:
    config = admin_client("lambda").get_function_url_config(FunctionName=physical)
    assert config["AuthType"] == properties["AuthType"] == "AWS_IAM"
    assert config["FunctionUrl"].startswith("https://")


def _schedule_group(stack: DeployedStack, physical: str, _: Mapping[str, Any]) -> None:
    admin_client("scheduler").get_schedule_group(Name=physical)


def _role(stack: DeployedStack, physical: str, properties: Mapping[str, Any]) -> None:
    iam = admin_client("iam")
    iam.get_role(RoleName=physical)
    attached = iam.list_attached_role_policies(RoleName=physical)["AttachedPolicies"]
    assert sorted(p["PolicyArn"] for p in attached) == sorted(
        properties.get("ManagedPolicyArns", [])
    )


def _managed_policy(stack: DeployedStack, physical: str, _: Mapping[str, Any]) -> None:
    admin_client("iam").get_policy(PolicyArn=physical)


def _key(stack: DeployedStack, physical: str, properties: Mapping[str, Any]) -> None:
    kms = admin_client("kms")
    assert kms.describe_key(KeyId=physical)["KeyMetadata"]["Enabled"]
    assert kms.get_key_rotation_status(KeyId=physical)["KeyRotationEnabled"] == bool(
        properties.get("EnableKeyRotation", False)
    )


def _alias(stack: DeployedStack, physical: str, _: Mapping[str, Any]) -> None:
    aliases = admin_client("kms").list_aliases()["Aliases"]
    assert physical in [alias["AliasName"] for alias in aliases]


def _log_group(stack: DeployedStack, physical: str, properties: Mapping[str, Any]) -> None:
    groups = admin_client("logs").describe_log_groups(logGroupNamePrefix=physical)["logGroups"]
    [group] = [g for g in groups if g["logGroupName"] == physical]
    assert group["retentionInDays"] == int(_ref(stack, properties["RetentionInDays"]))
    assert "kmsKeyId" in group


def _nested_stack(stack: DeployedStack, physical: str, _: Mapping[str, Any]) -> None:
    [nested] = admin_client("cloudformation").describe_stacks(StackName=physical)["Stacks"]
    assert nested["StackStatus"] == "CREATE_COMPLETE"


_EXISTS: dict[str, Exists] = {
    "AWS::CloudFormation::Stack": _nested_stack,
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::CloudWatch::Dashboard": _dashboard,
    "AWS::DynamoDB::Table": _table,
    "AWS::Events::Archive": _archive,
    "AWS::Events::Rule": _rule,
    "AWS::IAM::ManagedPolicy": _managed_policy,
    "AWS::IAM::Role": _role,
    "AWS::KMS::Alias": _alias,
    "AWS::KMS::Key": _key,
    "AWS::Lambda::EventInvokeConfig": _invoke_config,
    "AWS::Lambda::EventSourceMapping": _event_source_mapping,
    "AWS::Lambda::Function": _function,
    "AWS::Lambda::LayerVersion": _layer,
    "AWS::Lambda::Permission": _permission,
    "AWS::Lambda::Url": _function_url,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::SNS::Subscription": _subscription,
    "AWS::SNS::Topic": _topic,
    "AWS::SNS::TopicPolicy": _topic_policy,
    "AWS::SQS::Queue": _queue,
    "AWS::SQS::QueuePolicy": _queue_policy,
    "AWS::Scheduler::ScheduleGroup": _schedule_group,
}
