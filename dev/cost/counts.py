"""What one configuration of the stack deploys, counted from the template itself.

The template is read as CloudFormation deploys it: after the SAM transform (the cached one the
sandbox uses, `bwp_sandbox.iam.sam`), with the configuration's parameter values and the
template's conditions evaluated (`TemplateResolver`, the sandbox's evaluator), and each nested
stack (`templates/alarm.yaml`, `templates/dead-letter-queue.yaml`) opened and counted with the
parameters its parent passes. So an alarm added anywhere, a condition changed or a dashboard
switched off changes the count, and with it the cost.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from bwp_sandbox.iam.intrinsics import TemplateResolver, UnresolvedError
from bwp_sandbox.iam.sam import transformed_template
from bwp_sandbox.stack import load_template

TOP_LEVEL = "top level"
_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)\}")
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_MINUTES = {"minute": 1, "hour": 60, "day": 1440}
#: Short-form tags as the YAML loader keeps them (`!If` -> {"If": ...}) and their long form,
#: which the resolver reads: the nested templates are not transformed, so they keep the short.
_SHORT_FORMS = frozenset(
    ("If", "Sub", "Equals", "Not", "And", "Or", "Select", "Split", "Join", "GetAtt", "FindInMap")
)


class CountError(ValueError):
    """The template holds something the counter cannot price; the message says what."""


@dataclass(frozen=True)
class Function:
    name: str
    memory_mb: int
    architecture: str
    traced: bool
    #: Days its log group keeps logs, and whether a stack key encrypts them.
    log_retention_days: int
    log_encrypted: bool


@dataclass(frozen=True)
class Table:
    name: str
    #: Global secondary indexes projecting every attribute (an item in one costs its full size
    #: again per write and in storage), and the others (keys only or some attributes).
    gsis_all: int
    gsis_other: int
    pitr: bool


@dataclass(frozen=True)
class Schedule:
    function: str
    expression: str
    runs_per_month: Decimal


@dataclass(frozen=True)
class Subscription:
    name: str
    protocol: str
    #: The detail types its filter policy lets through; None: every message.
    detail_types: frozenset[str] | None

    def takes(self, detail_type: str) -> bool:
        return self.detail_types is None or detail_type in self.detail_types


@dataclass(frozen=True)
class StackCounts:
    """What one configuration deploys, and the parameter values it runs with."""

    template: Path
    parameters: Mapping[str, str]
    kms_keys: int
    kms_rotating: int
    #: Alarms by where they are declared: "top level" or a nested template's path.
    alarms_by_origin: Mapping[str, int]
    dashboards: int
    functions: Mapping[str, Function]
    schedules: tuple[Schedule, ...]
    tables: Mapping[str, Table]
    #: The template parameters naming a secret some role may read (GetSecretValue).
    secrets: tuple[str, ...]
    queues: int
    sqs_event_sources: int
    topics: int
    topics_encrypted: int
    subscriptions: tuple[Subscription, ...]
    archives: int
    archive_detail_types: frozenset[str]
    archive_retention_days: int
    log_groups: int

    @property
    def alarms(self) -> int:
        return sum(self.alarms_by_origin.values())

    def days(self, parameter: str) -> int:
        """A retention parameter's value (RetentionDays...), as the stack has it."""
        return int(self.parameters[parameter])


@dataclass(frozen=True)
class _Resource:
    origin: str
    name: str
    type: str
    properties: Mapping[str, Any]
    resolver: TemplateResolver


def count_stack(
    template: Path,
    parameters: Mapping[str, str],
    *,
    region: str,
    account: str,
    stack_name: str,
    hours_per_month: Decimal,
) -> StackCounts:
    """Count what ``template`` deploys with ``parameters`` (the others take their default)."""
    transformed = transformed_template(template)
    resolver = TemplateResolver(
        transformed,
        parameters,
        {},
        region=region,
        account=account,
        stack_name=stack_name,
    )
    resources = list(_deployed(template, transformed, resolver, TOP_LEVEL, region, account))
    by_type: dict[str, list[_Resource]] = {}
    for resource in resources:
        by_type.setdefault(resource.type, []).append(resource)

    def of(kind: str) -> list[_Resource]:
        return by_type.get(kind, [])

    top_names = {r.name: r.type for r in resources if r.origin == TOP_LEVEL}
    functions = _functions(of("AWS::Lambda::Function"), of("AWS::Logs::LogGroup"))
    archives = of("AWS::Events::Archive")
    archive_types: set[str] = set()
    for archive in archives:
        pattern = archive.properties.get("EventPattern") or {}
        archive_types.update(pattern.get("detail-type", []))
    topics = of("AWS::SNS::Topic")
    declared = transformed.get("Parameters", {})
    return StackCounts(
        template=template,
        parameters={name: resolver.parameter(name) for name in declared if _has(resolver, name)},
        kms_keys=len(of("AWS::KMS::Key")),
        kms_rotating=sum(
            1 for key in of("AWS::KMS::Key") if key.properties.get("EnableKeyRotation") is True
        ),
        alarms_by_origin=dict(Counter(r.origin for r in of("AWS::CloudWatch::Alarm"))),
        dashboards=len(of("AWS::CloudWatch::Dashboard")),
        functions=functions,
        schedules=_schedules(of("AWS::Events::Rule"), functions, hours_per_month),
        tables={t.name: _table(t) for t in of("AWS::DynamoDB::Table")},
        secrets=_secrets(of("AWS::IAM::Role"), set(declared)),
        queues=len(of("AWS::SQS::Queue")),
        sqs_event_sources=sum(
            1
            for mapping in of("AWS::Lambda::EventSourceMapping")
            if top_names.get(_get_att_target(mapping.properties.get("EventSourceArn")) or "")
            == "AWS::SQS::Queue"
        ),
        topics=len(topics),
        topics_encrypted=sum(1 for t in topics if "KmsMasterKeyId" in t.properties),
        subscriptions=tuple(_subscription(s) for s in of("AWS::SNS::Subscription")),
        archives=len(archives),
        archive_detail_types=frozenset(archive_types),
        archive_retention_days=max(
            (int(a.resolver.resolve(a.properties.get("RetentionDays", 0))) for a in archives),
            default=0,
        ),
        log_groups=len(of("AWS::Logs::LogGroup")),
    )


def _deployed(
    path: Path,
    template: Mapping[str, Any],
    resolver: TemplateResolver,
    origin: str,
    region: str,
    account: str,
) -> Iterator[_Resource]:
    """Every resource whose condition holds, nested stacks' resources included (each nested
    template is read with the parameters its parent passes it)."""
    for name, resource in template.get("Resources", {}).items():
        condition = resource.get("Condition")
        if condition is not None and not resolver.condition(condition):
            continue
        properties = resource.get("Properties") or {}
        yield _Resource(origin, name, resource["Type"], properties, resolver)
        if resource["Type"] in ("AWS::CloudFormation::Stack", "AWS::Serverless::Application"):
            location = properties.get("TemplateURL", properties.get("Location"))
            if not isinstance(location, str) or "://" in location:
                raise CountError(f"{name}: nested template {location!r} is not a local file")
            nested_path = path.parent / location
            nested = _long_form(load_template(nested_path))
            passed = _lenient(resolver, properties.get("Parameters") or {})
            nested_resolver = TemplateResolver(
                nested,
                passed,
                {},
                region=region,
                account=account,
                stack_name=f"{resolver.resolve({'Ref': 'AWS::StackName'})}-{name}",
            )
            yield from _deployed(nested_path, nested, nested_resolver, location, region, account)


def _lenient(resolver: TemplateResolver, parameters: Mapping[str, Any]) -> dict[str, str]:
    """The parameters a parent passes, those it can resolve without deploying anything: a
    reference to one of its resources (a function's name) is left to the default, and only a
    condition that reads it would fail (it raises, naming it)."""
    passed: dict[str, str] = {}
    for key, value in parameters.items():
        try:
            resolved = resolver.resolve(value)
        except UnresolvedError:
            continue
        if resolved is not None:
            passed[key] = str(resolved)
    return passed


def _long_form(value: Any) -> Any:
    """Short-form tags as the resolver reads them: {"If": ...} -> {"Fn::If": ...}."""
    if isinstance(value, list):
        return [_long_form(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        [(key, argument)] = value.items()
        if key in _SHORT_FORMS:
            if key == "GetAtt" and isinstance(argument, str):
                argument = argument.split(".", 1)
            return {f"Fn::{key}": _long_form(argument)}
    return {key: _long_form(item) for key, item in value.items()}


def _has(resolver: TemplateResolver, name: str) -> bool:
    try:
        resolver.parameter(name)
    except UnresolvedError:
        return False
    return True


def _functions(functions: list[_Resource], log_groups: list[_Resource]) -> dict[str, Function]:
    # A function's log group is the one its LoggingConfig names, or else the one named
    # /aws/lambda/${Function}: the template declares each, with a retention and the stack's key.
    by_name = {group.name: group for group in log_groups}
    named: dict[str, _Resource] = {}
    for group in log_groups:
        name = group.properties.get("LogGroupName")
        text = name.get("Fn::Sub") if isinstance(name, dict) else None
        found = _SUB_NAME.findall(text) if isinstance(text, str) else []
        if found:
            named[found[-1]] = group
    counted: dict[str, Function] = {}
    for function in functions:
        chosen = (function.properties.get("LoggingConfig") or {}).get("LogGroup")
        own: _Resource | None
        if isinstance(chosen, dict) and "Ref" in chosen:
            own = by_name.get(str(chosen["Ref"]))
        else:
            own = named.get(function.name)
        if own is None:
            raise CountError(
                f"{function.name} has no log group of its own: Lambda's default one keeps "
                "its logs forever, which no monthly figure can price"
            )
        properties = function.properties
        counted[function.name] = Function(
            name=function.name,
            memory_mb=int(function.resolver.resolve(properties.get("MemorySize", 128))),
            architecture=str((properties.get("Architectures") or ["x86_64"])[0]),
            traced=(properties.get("TracingConfig") or {}).get("Mode") == "Active",
            log_retention_days=int(own.resolver.resolve(own.properties["RetentionInDays"])),
            log_encrypted="KmsKeyId" in own.properties,
        )
    return counted


def _schedules(
    rules: list[_Resource], functions: Mapping[str, Function], hours_per_month: Decimal
) -> tuple[Schedule, ...]:
    found: list[Schedule] = []
    for rule in rules:
        expression = rule.properties.get("ScheduleExpression")
        if expression is None or rule.properties.get("State", "ENABLED") != "ENABLED":
            continue
        match = _RATE.match(str(expression))
        if match is None:
            raise CountError(f"{rule.name}: cannot count the runs of {expression!r}")
        minutes = int(match.group(1)) * _MINUTES[match.group(2).rstrip("s")]
        for target in rule.properties.get("Targets", []):
            function = _get_att_target(target.get("Arn"))
            if function is not None and function in functions:
                runs = hours_per_month * 60 / minutes
                found.append(Schedule(function, str(expression), runs))
    return tuple(found)


def _table(table: _Resource) -> Table:
    indexes = table.properties.get("GlobalSecondaryIndexes") or []
    projecting_all = sum(
        1 for index in indexes if (index.get("Projection") or {}).get("ProjectionType") == "ALL"
    )
    pitr = table.properties.get("PointInTimeRecoverySpecification") or {}
    return Table(
        name=table.name,
        gsis_all=projecting_all,
        gsis_other=len(indexes) - projecting_all,
        pitr=str(table.resolver.resolve(pitr.get("PointInTimeRecoveryEnabled", False))).lower()
        == "true",
    )


def _secrets(roles: list[_Resource], parameters: set[str]) -> tuple[str, ...]:
    """The parameters naming a secret that some role of this configuration may read: the
    roles' GetSecretValue statements after their conditions (a receiver's grant exists only
    when the receiver does)."""
    names: set[str] = set()
    for role in roles:
        for policy in role.properties.get("Policies") or []:
            document = _chosen(policy.get("PolicyDocument") or {}, role.resolver)
            for statement in document.get("Statement") or []:
                actions = statement.get("Action")
                actions = [actions] if isinstance(actions, str) else actions or []
                if "secretsmanager:GetSecretValue" not in actions:
                    continue
                for text in _sub_texts(statement.get("Resource")):
                    names.update(n for n in _SUB_NAME.findall(text) if n in parameters)
    return tuple(sorted(names))


def _chosen(value: Any, resolver: TemplateResolver) -> Any:
    """``value`` with each Fn::If replaced by its branch and AWS::NoValue dropped; every other
    function kept as written (a role's ARNs are not resolvable without a deployment)."""
    if isinstance(value, list):
        items = [_chosen(item, resolver) for item in value]
        return [item for item in items if item is not _NO_VALUE]
    if not isinstance(value, dict):
        return value
    if value == {"Ref": "AWS::NoValue"}:
        return _NO_VALUE
    if len(value) == 1 and "Fn::If" in value:
        name, when_true, when_false = value["Fn::If"]
        return _chosen(when_true if resolver.condition(name) else when_false, resolver)
    chosen = {key: _chosen(item, resolver) for key, item in value.items()}
    return {key: item for key, item in chosen.items() if item is not _NO_VALUE}


_NO_VALUE = object()


def _sub_texts(value: Any) -> Iterator[str]:
    if isinstance(value, list):
        for item in value:
            yield from _sub_texts(item)
    elif isinstance(value, dict) and "Fn::Sub" in value:
        text = value["Fn::Sub"]
        yield text if isinstance(text, str) else str(text[0])


def _subscription(subscription: _Resource) -> Subscription:
    policy = subscription.properties.get("FilterPolicy")
    detail_types = None
    if isinstance(policy, dict) and "detailType" in policy:
        detail_types = frozenset(str(value) for value in policy["detailType"])
    return Subscription(
        name=subscription.name,
        protocol=str(subscription.properties.get("Protocol")),
        detail_types=detail_types,
    )


def _get_att_target(value: Any) -> str | None:
    """The resource an ``Fn::GetAtt [Name, Arn]`` points at."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return str(target[0] if isinstance(target, list) else target.split(".", 1)[0])
    return None
