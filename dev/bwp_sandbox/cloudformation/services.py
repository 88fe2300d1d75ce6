"""moto's CloudFormation models of template.yaml's resource types, fixed where a resource moto
creates differs from the one AWS creates from the same properties.

Most differences are one property dropped or read under the API's name instead of the
template's (CloudFormation's KmsKeyId is CreateLogGroup's kmsKeyId...), or a JSON object kept
where the service keeps text. Each fix wraps moto's own ``create_from_cloudformation_json``
(`_around_create`): the properties are put right before moto reads them, or what moto left
out is applied to the resource it made, each with a one-line comment naming AWS's behaviour.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable
from typing import Any

from moto.awslambda.models import LambdaFunction, LayerVersion, Permission, lambda_backends
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table
from moto.events.models import Archive
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.exceptions import NotFoundException
from moto.iam.models import AWSManagedPolicy, Role, iam_backends
from moto.kms.models import Key
from moto.logs.models import LogGroup
from moto.utilities.utils import get_partition

#: Puts a resource's properties right before moto reads them: (properties, resource name).
Before = Callable[[dict[str, Any], str], None]
#: Completes what moto made: (the resource, its properties, account, region).
After = Callable[[Any, dict[str, Any], str, str], None]


def apply() -> None:
    """Apply every fix (once: `bwp_sandbox.cloudformation.engine.apply` guards it)."""
    _around_create(Archive, before=_archive_pattern)
    # AWS: an archive's physical id (and Ref) is its name; moto listed it with none.
    Archive.physical_resource_id = property(lambda self: self.name)  # type: ignore[attr-defined]
    _lambda()
    _around_create(Key, before=_key_policy)
    _around_create(Table, before=_table_encryption, after=_table_settings)
    _around_create(Role, after=_attach_managed_policies)
    _detach_before_delete()
    _around_create(LogGroup, before=_log_group_key)


def _around_create(
    model: type[Any], *, before: Before | None = None, after: After | None = None
) -> None:
    original = model.create_from_cloudformation_json.__func__

    def create_from_cloudformation_json(
        cls: type[Any],
        /,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        properties = cloudformation_json.setdefault("Properties", {})
        if before is not None:
            before(properties, resource_name)
        created = original(
            cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        if after is not None:
            after(created, properties, account_id, region_name)
        return created

    model.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)


def _true(value: Any) -> bool:
    """A template's boolean, which may come as text ("true") through a parameter."""
    return str(value).lower() == "true"


# -- EventBridge ----------------------------------------------------------------------------


def _archive_pattern(properties: dict[str, Any], _: str) -> None:
    if isinstance(properties.get("EventPattern"), dict):
        # AWS: an archive's EventPattern is a JSON object in a template (as a rule's is); moto
        # passed the object on where CreateArchive takes text, and failed.
        properties["EventPattern"] = json.dumps(properties["EventPattern"])


# -- Lambda ---------------------------------------------------------------------------------

#: AWS::Lambda::Function properties that CreateFunction names otherwise.
_FUNCTION_RENAMED = {"KmsKeyArn": "KMSKeyArn", "SnapStartConfig": "SnapStart"}


def _lambda() -> None:
    original_init = LambdaFunction.__init__
    original_configuration = LambdaFunction.get_configuration

    def create_function(
        cls: type[LambdaFunction],
        /,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> LambdaFunction:
        # AWS creates the function with every property given (CreateFunction's parameters);
        # moto kept seven and dropped Layers, Architectures, TracingConfig, LoggingConfig and
        # Tags among others.
        properties = cloudformation_json["Properties"]
        spec = {_FUNCTION_RENAMED.get(key, key): value for key, value in properties.items()}
        spec["FunctionName"] = resource_name
        if isinstance(spec.get("Tags"), list):
            spec["Tags"] = {tag["Key"]: tag["Value"] for tag in spec["Tags"]}
        if "ZipFile" in spec["Code"]:  # inline source, zipped as moto's own path does
            source = cls._create_zipfile_from_plaintext_code(spec["Code"]["ZipFile"])
            spec["Code"] = {**spec["Code"], "ZipFile": base64.b64encode(source)}
        function: LambdaFunction = lambda_backends[account_id][region_name].create_function(spec)
        return function

    def init(self: LambdaFunction, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        spec = kwargs["spec"] if "spec" in kwargs else args[1]
        self._bwp_logging_config = dict(spec.get("LoggingConfig") or {})  # type: ignore[attr-defined]

    def get_configuration(self: LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
        configuration: dict[str, Any] = original_configuration(self, *args, **kwargs)
        # AWS: every function has a LoggingConfig (/aws/lambda/<name> as text unless it names
        # another group or format); moto kept none, so GetFunction could not tell where a
        # function logs.
        configuration["LoggingConfig"] = {
            "LogFormat": "Text",
            "LogGroup": f"/aws/lambda/{self.function_name}",
            **getattr(self, "_bwp_logging_config", {}),
        }
        return configuration

    LambdaFunction.create_from_cloudformation_json = classmethod(create_function)  # type: ignore[method-assign,assignment]
    LambdaFunction.__init__ = init  # type: ignore[method-assign]
    LambdaFunction.get_configuration = get_configuration  # type: ignore[method-assign]
    _around_create(LayerVersion, after=_layer_architectures)
    # AWS: Ref of a layer version is its ARN; moto had no physical id, so a function's Layers
    # got moto's object in place of the ARN.
    LayerVersion.physical_resource_id = property(lambda self: self.arn)  # type: ignore[attr-defined]
    _around_create(Permission, before=_statement_id, after=_keep_statement_id)
    Permission.physical_resource_id = property(  # type: ignore[attr-defined]
        lambda self: getattr(self, "_bwp_statement_id", "")
    )


def _layer_architectures(layer: LayerVersion, properties: dict[str, Any], *_: str) -> None:
    # AWS keeps a layer's CompatibleArchitectures; moto's CloudFormation dropped them.
    layer.compatible_architectures = list(properties.get("CompatibleArchitectures", []))


def _statement_id(properties: dict[str, Any], resource_name: str) -> None:
    # AWS: a permission's physical id is its statement id in the function's policy; moto gave
    # the statement a random id, and the resource none.
    properties.setdefault("StatementId", resource_name)


def _keep_statement_id(permission: Permission, properties: dict[str, Any], *_: str) -> None:
    permission._bwp_statement_id = properties["StatementId"]  # type: ignore[attr-defined]


# -- KMS ------------------------------------------------------------------------------------


def _key_policy(properties: dict[str, Any], _: str) -> None:
    if isinstance(properties.get("KeyPolicy"), dict):
        # AWS: KeyPolicy is a JSON object in a template; moto kept the object where KMS keeps
        # text, and every later call on the key (DescribeKey...) failed with an HTTP 500.
        properties["KeyPolicy"] = json.dumps(properties["KeyPolicy"])


# -- DynamoDB -------------------------------------------------------------------------------


def _table_encryption(properties: dict[str, Any], _: str) -> None:
    sse = properties.get("SSESpecification")
    if isinstance(sse, dict) and "SSEEnabled" in sse:
        # AWS: the template's SSEEnabled is the API's Enabled; moto read Enabled only, so
        # DescribeTable showed no encryption.
        rest = {key: value for key, value in sse.items() if key != "SSEEnabled"}
        properties["SSESpecification"] = {"Enabled": _true(sse["SSEEnabled"]), **rest}


def _table_settings(
    table: Table, properties: dict[str, Any], account_id: str, region_name: str
) -> None:
    backend = dynamodb_backends[account_id][region_name]
    ttl = properties.get("TimeToLiveSpecification")
    if ttl:
        # AWS turns TTL on as declared; moto's CloudFormation ignored it.
        backend.update_time_to_live(
            table.name, {"AttributeName": ttl["AttributeName"], "Enabled": _true(ttl["Enabled"])}
        )
    recovery = properties.get("PointInTimeRecoverySpecification")
    if recovery:
        # AWS turns point-in-time recovery on as declared; moto's CloudFormation ignored it.
        enabled = _true(recovery.get("PointInTimeRecoveryEnabled", False))
        backend.update_continuous_backups(table.name, {"PointInTimeRecoveryEnabled": enabled})


# -- IAM ------------------------------------------------------------------------------------


def _attach_managed_policies(
    role: Role, properties: dict[str, Any], account_id: str, region_name: str
) -> None:
    backend = iam_backends[account_id][get_partition(region_name)]
    for arn in properties.get("ManagedPolicyArns", []):
        # AWS attaches a role's ManagedPolicyArns (SAM's AWSLambdaBasicExecutionRole...);
        # moto dropped them, and knows AWS's own policies only when told to load them all.
        if arn not in backend.managed_policies:
            backend.managed_policies[arn] = _aws_managed_policy(arn, account_id, region_name)
        backend.attach_role_policy(arn, role.name)


def _detach_before_delete() -> None:
    original = Role.delete_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def delete_from_cloudformation_json(
        cls: type[Role],
        /,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        # AWS detaches the role's ManagedPolicyArns when it deletes the role; moto refused
        # the deletion (DeleteConflict), so no stack of template.yaml could be deleted.
        backend = iam_backends[account_id][get_partition(region_name)]
        role = backend.get_role(resource_name)
        for arn in list(role.managed_policies):
            backend.detach_role_policy(arn, resource_name)
        original(cls, resource_name, cloudformation_json, account_id, region_name)

    Role.delete_from_cloudformation_json = classmethod(delete_from_cloudformation_json)  # type: ignore[method-assign,assignment]


def _aws_managed_policy(arn: str, account_id: str, region_name: str) -> AWSManagedPolicy:
    """One of AWS's own managed policies, from moto's copy of them (IAM's NoSuchEntity for an
    ARN that names none)."""
    name = arn.rsplit("/", 1)[-1]
    data = _aws_managed_policies().get(name)
    policy = (
        None if data is None else AWSManagedPolicy.from_data(name, account_id, region_name, data)
    )
    if policy is None or policy.arn != arn:
        raise NotFoundException(f"Policy {arn} does not exist or is not attachable.")
    return policy


@functools.cache
def _aws_managed_policies() -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(aws_managed_policies_data)
    return parsed


# -- CloudWatch Logs ------------------------------------------------------------------------


def _log_group_key(properties: dict[str, Any], _: str) -> None:
    if "KmsKeyId" in properties:
        # AWS encrypts the group with the template's KmsKeyId; moto read the API's kmsKeyId
        # only, and dropped the key.
        properties["kmsKeyId"] = properties.pop("KmsKeyId")
