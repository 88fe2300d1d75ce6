"""The resource types of template.yaml that moto's CloudFormation skips, played in moto's own
service backends.

moto 5.2 has no CloudFormation model for AWS::CloudWatch::Alarm, AWS::SNS::Subscription,
AWS::SNS::TopicPolicy, AWS::SQS::QueuePolicy, AWS::Scheduler::ScheduleGroup or
AWS::Lambda::EventInvokeConfig: it warns and creates nothing, so a stack "deployed" there has
no alarms, no subscriptions and no policies. Each class below creates the real thing in the
backend the service's API reads (an alarm is in DescribeAlarms, a subscription in
ListSubscriptionsByTopic...), with the Ref and GetAtt values CloudFormation documents.

moto finds models through ``CloudFormationModel.__subclasses__()``: defining a class here
registers it, once the model caches are cleared (`bwp_sandbox.cloudformation.engine.apply`).
Each class is a direct subclass for that reason (an intermediate base would hide them).

A property this sandbox does not play fails the resource, naming it, rather than being
dropped: a template that grows one fails here first, not silently in a test.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

from moto.awslambda.exceptions import UnknownEventConfig, UnknownFunctionException
from moto.awslambda.models import lambda_backends
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.common_models import CloudFormationModel
from moto.core.utils import unix_time
from moto.scheduler.models import scheduler_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends


class UnplayedProperty(ValueError):
    """A declared property the sandbox would otherwise drop."""


def _only(kind: str, properties: Mapping[str, Any], played: frozenset[str]) -> None:
    unknown = sorted(set(properties) - played)
    if unknown:
        raise UnplayedProperty(f"{kind}: the sandbox does not play {', '.join(unknown)}")


def _json(value: Any) -> str:
    """CloudFormation takes policies as JSON objects; the service APIs take JSON text."""
    return value if isinstance(value, str) else json.dumps(value)


def _queue_name(url_or_arn: str) -> str:
    """The queue a URL (a Ref of AWS::SQS::Queue) or an ARN names."""
    return url_or_arn.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]


class CloudWatchAlarm(CloudFormationModel):
    """AWS::CloudWatch::Alarm, a metric alarm: Ref is its name, GetAtt Arn its ARN."""

    _PLAYED = frozenset(
        {
            "AlarmName",
            "AlarmDescription",
            "ActionsEnabled",
            "AlarmActions",
            "OKActions",
            "InsufficientDataActions",
            "Namespace",
            "MetricName",
            "Dimensions",
            "Statistic",
            "ExtendedStatistic",
            "Period",
            "EvaluationPeriods",
            "DatapointsToAlarm",
            "Threshold",
            "ComparisonOperator",
            "TreatMissingData",
            "EvaluateLowSampleCountPercentile",
            "Unit",
        }
    )

    def __init__(self, name: str, arn: str) -> None:
        self.name = name
        self.arn = arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Arn":
            return self.arn
        raise UnformattedGetAttTemplateException()

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> CloudWatchAlarm:
        properties = cloudformation_json["Properties"]
        _only(cls.cloudformation_type(), properties, cls._PLAYED)
        # CloudFormation passes numbers as text; PutMetricAlarm takes numbers.
        period = properties.get("Period")
        datapoints = properties.get("DatapointsToAlarm")
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=resource_name,
            namespace=properties.get("Namespace"),
            metric_name=properties.get("MetricName"),
            comparison_operator=properties["ComparisonOperator"],
            evaluation_periods=int(properties["EvaluationPeriods"]),
            period=int(period) if period is not None else None,  # type: ignore[arg-type]
            threshold=float(properties["Threshold"]),
            statistic=properties.get("Statistic"),
            extended_statistic=properties.get("ExtendedStatistic"),
            description=properties.get("AlarmDescription"),
            dimensions=list(properties.get("Dimensions", [])),
            alarm_actions=list(properties.get("AlarmActions", [])),
            ok_actions=list(properties.get("OKActions", [])),
            insufficient_data_actions=list(properties.get("InsufficientDataActions", [])),
            datapoints_to_alarm=int(datapoints) if datapoints is not None else None,
            unit=properties.get("Unit"),
            # CloudFormation's default, as PutMetricAlarm's: actions enabled.
            actions_enabled=str(properties.get("ActionsEnabled", True)).lower() == "true",
            treat_missing_data=properties.get("TreatMissingData"),
            evaluate_low_sample_count_percentile=properties.get("EvaluateLowSampleCountPercentile"),
        )
        return cls(alarm.name, alarm.alarm_arn)

    def delete(self, account_id: str, region_name: str) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([self.name])


class SnsSubscription(CloudFormationModel):
    """AWS::SNS::Subscription: Ref is the subscription's ARN."""

    #: Subscription attributes CloudFormation sets from properties of the same name.
    _ATTRIBUTES = (
        "RawMessageDelivery",
        "FilterPolicyScope",
        "FilterPolicy",
        "RedrivePolicy",
        "DeliveryPolicy",
        "SubscriptionRoleArn",
    )
    _PLAYED = frozenset({"TopicArn", "Protocol", "Endpoint", "Region", *_ATTRIBUTES})

    def __init__(self, arn: str) -> None:
        self.arn = arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::Subscription"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Arn":
            return self.arn
        raise UnformattedGetAttTemplateException()

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> SnsSubscription:
        properties = cloudformation_json["Properties"]
        _only(cls.cloudformation_type(), properties, cls._PLAYED)
        backend = sns_backends[account_id][properties.get("Region", region_name)]
        subscription = backend.subscribe(
            properties["TopicArn"], properties["Endpoint"], properties["Protocol"]
        )
        # In this order: SNS reads a filter policy in the scope already set.
        for name in cls._ATTRIBUTES:
            if name not in properties:
                continue
            value = properties[name]
            if name == "RawMessageDelivery":
                # moto delivers raw on any truthy value, the text "false" too: only set true.
                if str(value).lower() != "true":
                    continue
                value = "true"
            elif isinstance(value, (dict, list)):
                value = json.dumps(value)
            backend.set_subscription_attributes(subscription.arn, name, value)
        return cls(subscription.arn)

    def delete(self, account_id: str, region_name: str) -> None:
        region = self.arn.split(":")[3] or region_name
        sns_backends[account_id][region].unsubscribe(self.arn)


class SnsTopicPolicy(CloudFormationModel):
    """AWS::SNS::TopicPolicy: the Policy attribute of each topic; Ref is a generated id."""

    _PLAYED = frozenset({"Topics", "PolicyDocument"})

    def __init__(self, policy_id: str, topics: list[str]) -> None:
        self.policy_id = policy_id
        self.topics = topics

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::TopicPolicy"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Id"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Id":
            return self.policy_id
        raise UnformattedGetAttTemplateException()

    @property
    def physical_resource_id(self) -> str:
        return self.policy_id

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> SnsTopicPolicy:
        properties = cloudformation_json["Properties"]
        _only(cls.cloudformation_type(), properties, cls._PLAYED)
        backend = sns_backends[account_id][region_name]
        topics = list(properties["Topics"])
        for topic_arn in topics:
            backend.set_topic_attribute(topic_arn, "policy", _json(properties["PolicyDocument"]))
        return cls(resource_name, topics)

    def delete(self, account_id: str, region_name: str) -> None:
        # SNS puts the topic's default policy back when the stack's policy goes.
        backend = sns_backends[account_id][region_name]
        for topic_arn in self.topics:
            topic = backend.topics.get(topic_arn)
            if topic is not None:
                topic._policy_json = topic._create_default_topic_policy(
                    region_name, account_id, topic.name
                )


class SqsQueuePolicy(CloudFormationModel):
    """AWS::SQS::QueuePolicy: the Policy attribute of each queue; Ref is a generated id."""

    _PLAYED = frozenset({"Queues", "PolicyDocument"})

    def __init__(self, policy_id: str, queues: list[str]) -> None:
        self.policy_id = policy_id
        self.queues = queues

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SQS::QueuePolicy"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Id"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Id":
            return self.policy_id
        raise UnformattedGetAttTemplateException()

    @property
    def physical_resource_id(self) -> str:
        return self.policy_id

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> SqsQueuePolicy:
        properties = cloudformation_json["Properties"]
        _only(cls.cloudformation_type(), properties, cls._PLAYED)
        backend = sqs_backends[account_id][region_name]
        queues = list(properties["Queues"])
        for url in queues:
            # Set on the queue directly: moto's SetQueueAttributes clears a queue's policy
            # whenever a call does not name it, which is not what SQS does.
            backend.get_queue(_queue_name(url)).policy = _json(properties["PolicyDocument"])
        return cls(resource_name, queues)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = sqs_backends[account_id][region_name]
        for url in self.queues:
            queue = backend.queues.get(_queue_name(url))
            if queue is not None:
                queue.policy = None


class SchedulerScheduleGroup(CloudFormationModel):
    """AWS::Scheduler::ScheduleGroup: Ref is its name; GetAtt Arn, State and its dates."""

    _PLAYED = frozenset({"Name", "Tags"})

    def __init__(self, name: str, arn: str, created: float) -> None:
        self.name = name
        self.arn = arn
        self.created = created

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Scheduler::ScheduleGroup"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "State", "CreationDate", "LastModificationDate")

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name == "Arn":
            return self.arn
        if attribute_name == "State":
            return "ACTIVE"
        if attribute_name in ("CreationDate", "LastModificationDate"):
            return self.created
        raise UnformattedGetAttTemplateException()

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> SchedulerScheduleGroup:
        properties = cloudformation_json["Properties"]
        _only(cls.cloudformation_type(), properties, cls._PLAYED)
        group = scheduler_backends[account_id][region_name].create_schedule_group(
            resource_name, list(properties.get("Tags", []))
        )
        return cls(group.name, group.arn, group.created_on or unix_time())

    def delete(self, account_id: str, region_name: str) -> None:
        scheduler_backends[account_id][region_name].schedule_groups.pop(self.name, None)


class LambdaEventInvokeConfig(CloudFormationModel):
    """AWS::Lambda::EventInvokeConfig, in moto's Lambda backend (GetFunctionEventInvokeConfig
    reads it); Ref is a generated id."""

    _CONFIG = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
    _PLAYED = frozenset({"FunctionName", "Qualifier", *_CONFIG})

    def __init__(self, config_id: str, function_name: str) -> None:
        self.config_id = config_id
        self.function_name = function_name

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::EventInvokeConfig"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @property
    def physical_resource_id(self) -> str:
        return self.config_id

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> LambdaEventInvokeConfig:
        properties = cloudformation_json["Properties"]
        _only(cls.cloudformation_type(), properties, cls._PLAYED)
        config: dict[str, Any] = {}
        for name in cls._CONFIG:
            if name in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
                if name in properties:
                    config[name] = int(properties[name])
            elif properties.get(name):  # SAM writes an empty DestinationConfig: none
                config[name] = properties[name]
        function_name = properties["FunctionName"]
        lambda_backends[account_id][region_name].put_function_event_invoke_config(
            function_name, config
        )
        return cls(resource_name, function_name)

    def delete(self, account_id: str, region_name: str) -> None:
        # Gone with its function when that was deleted first, which CloudFormation accepts.
        with contextlib.suppress(UnknownFunctionException, UnknownEventConfig):
            lambda_backends[account_id][region_name].delete_function_event_invoke_config(
                self.function_name
            )


class LambdaUrl(CloudFormationModel):
    """AWS::Lambda::Url, in moto's Lambda backend (GetFunctionUrlConfig reads it); Ref is the
    function's ARN, GetAtt FunctionUrl and FunctionArn (moto serves no URL: the sandbox plays
    them, `bwp_sandbox.function_urls`)."""

    _PLAYED = frozenset({"TargetFunctionArn", "AuthType", "Cors", "InvokeMode", "Qualifier"})

    def __init__(self, function_arn: str, url: str) -> None:
        self.function_arn = function_arn
        self.url = url

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Url"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("FunctionUrl", "FunctionArn")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "FunctionUrl":
            return self.url
        if attribute_name == "FunctionArn":
            return self.function_arn
        raise UnformattedGetAttTemplateException()

    @property
    def physical_resource_id(self) -> str:
        return self.function_arn

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> LambdaUrl:
        properties = cloudformation_json["Properties"]
        _only(cls.cloudformation_type(), properties, cls._PLAYED)
        config = {k: properties[k] for k in ("AuthType", "Cors", "InvokeMode") if k in properties}
        made = lambda_backends[account_id][region_name].create_function_url_config(
            properties["TargetFunctionArn"], config
        )
        return cls(made.function.function_arn, made.url + "/")

    def delete(self, account_id: str, region_name: str) -> None:
        # Gone with its function when that was deleted first, which CloudFormation accepts.
        with contextlib.suppress(UnknownFunctionException):
            lambda_backends[account_id][region_name].delete_function_url_config(self.function_arn)


#: The models this module adds, by CloudFormation type.
MODELS: dict[str, type[CloudFormationModel]] = {
    model.cloudformation_type(): model
    for model in (
        CloudWatchAlarm,
        SnsSubscription,
        SnsTopicPolicy,
        SqsQueuePolicy,
        SchedulerScheduleGroup,
        LambdaEventInvokeConfig,
        LambdaUrl,
    )
}
