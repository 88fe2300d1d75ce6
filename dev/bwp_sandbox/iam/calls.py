"""From an HTTP request to the AWS API to what IAM authorizes: the action, the resource ARN,
the condition context, and who is asking (the access key of the SigV4 signature).

One place maps each API call the project makes to the resources IAM checks, as the service
authorization reference documents them, including the checks a call makes on other
resources: publishing to a KMS-encrypted topic needs kms:GenerateDataKey and kms:Decrypt on
its key, creating a schedule needs iam:PassRole on the schedule's role. A call this table
does not know is refused for a function's role, so no call can pass unchecked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

ACCOUNT = "123456789012"  # moto's default account
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")


@dataclass(frozen=True)
class Check:
    """One authorization IAM makes for a call: an action on a resource, with its context."""

    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AwsCall:
    """A request as IAM sees it. ``unknown`` says why its resources could not be derived."""

    access_key: str | None
    service: str
    operation: str
    region: str
    protocol: str  # json, query or rest
    checks: tuple[Check, ...] = ()
    unknown: str | None = None

    @property
    def name(self) -> str:
        return f"{self.service}:{self.operation}"


class Resources:
    """Looks up what a call's parameters do not say (a secret's full ARN, a topic's key)."""

    def secret_arn(self, secret_id: str, region: str) -> str:
        return (
            secret_id
            if secret_id.startswith("arn:")
            else _arn("secretsmanager", region, f"secret:{secret_id}")
        )

    def topic_key_arn(self, topic_arn: str, region: str) -> str | None:
        return None

    def secret_key_arn(self, secret_id: str, region: str) -> str | None:
        """The customer managed key a secret is encrypted with (None: an AWS managed key)."""
        return None

    def key_arn(self, key_id: str, region: str) -> str:
        return key_id if key_id.startswith("arn:") else _arn("kms", region, f"key/{key_id}")


def read_call(
    environ: Mapping[str, Any], body: bytes, resources: Resources | None = None
) -> AwsCall | None:
    """The call a WSGI request makes, or None when it is not a signed AWS API request."""
    match = _CREDENTIAL.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    if match is None:
        return None
    access_key, region, service = match.groups()
    lookups = resources or Resources()
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if target:
        operation = target.rsplit(".", 1)[-1]
        params = _json(body)
        protocol = "json"
    else:
        form = parse_qs(body.decode("utf-8", "replace")) if body else {}
        if "Action" in form:
            operation, protocol = form["Action"][0], "query"
            params = {key: values[0] for key, values in form.items()}
        else:
            operation, params = _rest(service, environ, body)
            protocol = "rest"
    call = AwsCall(access_key, service, operation, region, protocol)
    mapper = _MAPPERS.get((service, operation)) or _MAPPERS.get((service, "*"))
    if mapper is None:
        return _unknown(
            call, "this call is not in the sandbox IAM's table (bwp_sandbox/iam/calls.py)"
        )
    try:
        checks = mapper(params, region, lookups)
    except (KeyError, TypeError, ValueError, IndexError) as error:
        return _unknown(call, f"its parameters name no resource ({type(error).__name__}: {error})")
    return AwsCall(access_key, service, operation, region, protocol, tuple(checks))


def _unknown(call: AwsCall, why: str) -> AwsCall:
    return AwsCall(
        call.access_key, call.service, call.operation, call.region, call.protocol, unknown=why
    )


def _json(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    loaded = json.loads(body)
    return loaded if isinstance(loaded, dict) else {}


def _arn(service: str, region: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


# -- REST services: the operation comes from the method and the path ---------------------------

_SCHEDULE = re.compile(r"^/schedules/([^/]+)$")
_SCHEDULE_GROUP = re.compile(r"^/schedule-groups/([^/]+)$")
_INVOKE = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")
_INVOKE_ASYNC = re.compile(r"^/2014-11-13/functions/([^/]+)/invoke-async/?$")


def _rest(service: str, environ: Mapping[str, Any], body: bytes) -> tuple[str, dict[str, Any]]:
    method = str(environ.get("REQUEST_METHOD", "GET"))
    path = unquote(str(environ.get("PATH_INFO", "")))
    query = {k: v[0] for k, v in parse_qs(str(environ.get("QUERY_STRING", ""))).items()}
    params: dict[str, Any] = {**query, **_json(body)} if body[:1] == b"{" else dict(query)
    if service == "scheduler":
        if match := _SCHEDULE.match(path):
            params["Name"] = match.group(1)
            verbs = {
                "POST": "CreateSchedule",
                "PUT": "UpdateSchedule",
                "DELETE": "DeleteSchedule",
                "GET": "GetSchedule",
            }
            return verbs.get(method, method), params
        if match := _SCHEDULE_GROUP.match(path):
            params["Name"] = match.group(1)
            verbs = {
                "POST": "CreateScheduleGroup",
                "DELETE": "DeleteScheduleGroup",
                "GET": "GetScheduleGroup",
            }
            return verbs.get(method, method), params
        if path == "/schedules" and method == "GET":
            return "ListSchedules", params
    if service == "lambda" and (match := _INVOKE.match(path)) and method == "POST":
        params["FunctionName"] = match.group(1)
        return "Invoke", params
    if service == "lambda" and (match := _INVOKE_ASYNC.match(path)) and method == "POST":
        params["FunctionName"] = match.group(1)
        return "InvokeAsync", params
    return f"{method} {urlsplit(path).path}", params


# -- the table ---------------------------------------------------------------------------------

Mapper = Callable[[dict[str, Any], str, Resources], list[Check]]


def _table(name: str, region: str, index: str | None = None) -> str:
    if name.startswith("arn:"):
        return name
    return _arn("dynamodb", region, f"table/{name}" + (f"/index/{index}" if index else ""))


def _dynamodb(action: str) -> Mapper:
    def checks(params: dict[str, Any], region: str, _: Resources) -> list[Check]:
        table = _table(params["TableName"], region, params.get("IndexName"))
        return [Check(f"dynamodb:{action}", table)]

    return checks


def _resource_arn(action: str) -> Mapper:
    """A call that names its table (or stream) by ARN, as the resource policy calls do."""

    def checks(params: dict[str, Any], region: str, _: Resources) -> list[Check]:
        return [Check(action, _table(params["ResourceArn"], region))]

    return checks


def _batch_write(params: dict[str, Any], region: str, _: Resources) -> list[Check]:
    return [Check("dynamodb:BatchWriteItem", _table(t, region)) for t in params["RequestItems"]]


def _batch_get(params: dict[str, Any], region: str, _: Resources) -> list[Check]:
    return [Check("dynamodb:BatchGetItem", _table(t, region)) for t in params["RequestItems"]]


#: A transaction is authorized item by item, as the action each item performs.
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def _transact(params: dict[str, Any], region: str, _: Resources) -> list[Check]:
    checks = []
    for item in params["TransactItems"]:
        [(kind, detail)] = item.items()
        checks.append(
            Check(f"dynamodb:{_TRANSACT_ACTIONS[kind]}", _table(detail["TableName"], region))
        )
    return checks


#: A PartiQL statement is authorized as its verb, on the table it names (DynamoDB
#: developer guide, "IAM policies with PartiQL for DynamoDB").
_PARTIQL = re.compile(
    r'^\s*(?:(INSERT)\s+INTO|(UPDATE)|(DELETE)\s+FROM|(SELECT)\b.*?\bFROM)\s+"([^"]+)"',
    re.IGNORECASE | re.DOTALL,
)


def _statement(statement: str, region: str) -> Check:
    match = _PARTIQL.match(statement)
    if match is None:
        # Unknown shape: authorized as the widest verb, so that nothing passes unchecked.
        return Check("dynamodb:PartiQLUpdate", _table("*", region))
    verb = next(v for v in match.groups()[:4] if v)
    return Check(f"dynamodb:PartiQL{verb.capitalize()}", _table(match.group(5), region))


def _execute_statement(params: dict[str, Any], region: str, _: Resources) -> list[Check]:
    return [_statement(params["Statement"], region)]


def _batch_statements(params: dict[str, Any], region: str, _: Resources) -> list[Check]:
    found: dict[tuple[str, str], Check] = {}
    for statement in params["Statements"]:
        check = _statement(statement["Statement"], region)
        found.setdefault((check.action, check.resource), check)
    return list(found.values())


def _queue(params: dict[str, Any], region: str) -> str:
    url = params.get("QueueUrl")
    name = url.rstrip("/").rsplit("/", 1)[-1] if url else params["QueueName"]
    return _arn("sqs", region, name)


def _sqs(action: str) -> Mapper:
    def checks(params: dict[str, Any], region: str, _: Resources) -> list[Check]:
        return [Check(f"sqs:{action}", _queue(params, region))]

    return checks


def _publish(params: dict[str, Any], region: str, lookups: Resources) -> list[Check]:
    topic = params.get("TopicArn") or params["TargetArn"]
    checks = [Check("sns:Publish", topic)]
    key = lookups.topic_key_arn(topic, region)
    if key:
        # SNS encrypts with the publisher's permissions (SNS developer guide, "Encryption at rest").
        via = {"kms:ViaService": f"sns.{region}.amazonaws.com"}
        checks += [Check("kms:GenerateDataKey", key, via), Check("kms:Decrypt", key, via)]
    return checks


def _secret(params: dict[str, Any], region: str, lookups: Resources) -> list[Check]:
    secret = params["SecretId"]
    checks = [Check("secretsmanager:GetSecretValue", lookups.secret_arn(secret, region))]
    key = lookups.secret_key_arn(secret, region)
    if key:
        # Secrets Manager decrypts with the reader's permission on a customer managed key
        # (Secrets Manager user guide, "Secret encryption and decryption").
        via = {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
        checks.append(Check("kms:Decrypt", key, via))
    return checks


def _parameter_arn(name: str, region: str) -> str:
    # A hierarchical name (/a/b) has one slash after "parameter" in its ARN, not two.
    return name if name.startswith("arn:") else _arn("ssm", region, f"parameter/{name.lstrip('/')}")


def _get_parameter(params: dict[str, Any], region: str, _: Resources) -> list[Check]:
    return [Check("ssm:GetParameter", _parameter_arn(params["Name"], region))]


def _get_parameters(params: dict[str, Any], region: str, _: Resources) -> list[Check]:
    return [Check("ssm:GetParameters", _parameter_arn(n, region)) for n in params["Names"]]


def _bus(name: str | None, region: str) -> str:
    name = name or "default"
    return name if name.startswith("arn:") else _arn("events", region, f"event-bus/{name}")


def _put_events(params: dict[str, Any], region: str, _: Resources) -> list[Check]:
    buses = dict.fromkeys(_bus(e.get("EventBusName"), region) for e in params["Entries"])
    return [Check("events:PutEvents", bus) for bus in buses]


def _schedule(action: str) -> Mapper:
    def checks(params: dict[str, Any], region: str, _: Resources) -> list[Check]:
        group = params.get("GroupName") or params.get("groupName") or "default"
        schedule = _arn("scheduler", region, f"schedule/{group}/{params['Name']}")
        found = [Check(f"scheduler:{action}", schedule)]
        role = (params.get("Target") or {}).get("RoleArn")
        if action in ("CreateSchedule", "UpdateSchedule") and role:
            context = {"iam:PassedToService": "scheduler.amazonaws.com"}
            found.append(Check("iam:PassRole", role, context))
        return found

    return checks


def _function_arn(params: dict[str, Any], region: str) -> str:
    """The ARN IAM checks an invocation on: a version's or an alias's is its own resource
    (``function:name:qualifier``), whether named in FunctionName or as the Qualifier."""
    name = str(params["FunctionName"])
    if name.startswith("arn:"):
        arn = name
    elif ":function:" in name:  # a partial ARN: 123456789012:function:name
        arn = f"arn:aws:lambda:{region}:{name}"
    else:
        arn = _arn("lambda", region, f"function:{name}")
    qualifier = params.get("Qualifier")
    if qualifier and arn.count(":") == 6:  # not qualified in the name already
        arn = f"{arn}:{qualifier}"
    return arn


def _invoke(action: str) -> Mapper:
    def checks(params: dict[str, Any], region: str, _: Resources) -> list[Check]:
        # The Invoke API is never the function URL: Lambda sets the key to true only for a
        # request to the URL (policies with BoolIfExists refuse a request without it too).
        via_url = {"lambda:InvokedViaFunctionUrl": "false"}
        return [Check(action, _function_arn(params, region), via_url)]

    return checks


def _kms(action: str) -> Mapper:
    def checks(params: dict[str, Any], region: str, lookups: Resources) -> list[Check]:
        return [Check(f"kms:{action}", lookups.key_arn(params["KeyId"], region))]

    return checks


_MAPPERS: dict[tuple[str, str], Mapper] = {
    **{
        ("dynamodb", op): _dynamodb(op)
        for op in (
            "GetItem",
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            "Query",
            "Scan",
            "DescribeTable",
            "DeleteTable",
            "UpdateTimeToLive",
            "UpdateTable",
            "UpdateContinuousBackups",
        )
    },
    ("dynamodb", "PutResourcePolicy"): _resource_arn("dynamodb:PutResourcePolicy"),
    ("dynamodb", "DeleteResourcePolicy"): _resource_arn("dynamodb:DeleteResourcePolicy"),
    ("dynamodb", "DeleteBackup"): lambda params, region, _: [
        Check("dynamodb:DeleteBackup", params["BackupArn"])
    ],
    ("dynamodb", "BatchWriteItem"): _batch_write,
    ("dynamodb", "BatchGetItem"): _batch_get,
    ("dynamodb", "TransactWriteItems"): _transact,
    ("dynamodb", "TransactGetItems"): _transact,
    ("dynamodb", "ExecuteStatement"): _execute_statement,
    ("dynamodb", "BatchExecuteStatement"): _batch_statements,
    # Batch SQS calls are authorized as their single-message action.
    ("sqs", "SendMessage"): _sqs("SendMessage"),
    ("sqs", "SendMessageBatch"): _sqs("SendMessage"),
    ("sqs", "ReceiveMessage"): _sqs("ReceiveMessage"),
    ("sqs", "DeleteMessage"): _sqs("DeleteMessage"),
    ("sqs", "DeleteMessageBatch"): _sqs("DeleteMessage"),
    ("sqs", "ChangeMessageVisibility"): _sqs("ChangeMessageVisibility"),
    ("sqs", "ChangeMessageVisibilityBatch"): _sqs("ChangeMessageVisibility"),
    ("sqs", "GetQueueAttributes"): _sqs("GetQueueAttributes"),
    ("sqs", "GetQueueUrl"): _sqs("GetQueueUrl"),
    ("sns", "Publish"): _publish,
    ("secretsmanager", "GetSecretValue"): _secret,
    ("ssm", "GetParameter"): _get_parameter,
    ("ssm", "GetParameters"): _get_parameters,
    ("events", "PutEvents"): _put_events,
    ("scheduler", "CreateSchedule"): _schedule("CreateSchedule"),
    ("scheduler", "UpdateSchedule"): _schedule("UpdateSchedule"),
    ("scheduler", "DeleteSchedule"): _schedule("DeleteSchedule"),
    ("scheduler", "GetSchedule"): _schedule("GetSchedule"),
    ("lambda", "Invoke"): _invoke("lambda:InvokeFunction"),
    # The deprecated asynchronous API, authorized as its own action.
    ("lambda", "InvokeAsync"): _invoke("lambda:InvokeAsync"),
    ("kms", "GenerateDataKey"): _kms("GenerateDataKey"),
    ("kms", "Decrypt"): _kms("Decrypt"),
    # Answers who is calling, to anyone: IAM never denies it.
    ("sts", "GetCallerIdentity"): lambda params, region, _: [],
}
