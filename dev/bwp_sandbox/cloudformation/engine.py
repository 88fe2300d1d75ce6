"""moto's CloudFormation, patched in-process where it is silent or wrong for template.yaml.

Each patch plays what CloudFormation documents, named in a one-line comment where it is made:
capabilities and parameter values refused before anything is created; a failed resource
failing its stack (CREATE_FAILED with the reason, then a rollback) where moto answered HTTP 500
and left the stack CREATE_IN_PROGRESS; resource events; nested stacks' outputs (in GetAtt and in
Fn::Sub) and ARNs; conditions compared as text; AWS::NoValue dropped from lists; generated
names that fit their type. `resources` adds the types moto skips, `services` puts right what
moto's models of the others drop. The moto server of `bwp_sandbox.local_aws` runs in this
process, so a boto3 call over HTTP meets all of this, as it would meet AWS.

Importing this module loads moto's CloudFormation (seconds): `bwp_sandbox.cloudformation.hook`
imports it only when moto's CloudFormation is loaded anyway.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.exceptions import CloudFormationError, ValidationError
from moto.cloudformation.models import Event, Stack, cloudformation_backends
from moto.cloudformation.responses import CloudFormationResponse
from moto.cloudformation.utils import get_stack_from_s3_url
from moto.utilities.utils import get_partition

from bwp_sandbox.capabilities import AUTO_EXPAND, missing_capabilities, required_capabilities
from bwp_sandbox.cloudformation import resources, services

_LOCK = threading.Lock()
#: The capabilities of the CreateStack (or UpdateStack...) request being served: its nested
#: stacks are held to them, as CloudFormation holds them.
_ACKNOWLEDGED: ContextVar[frozenset[str] | None] = ContextVar("acknowledged", default=None)
_FAILED = ("CREATE_FAILED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_FAILED", "ROLLBACK_COMPLETE")


class InsufficientCapabilities(CloudFormationError):
    """What CloudFormation answers a request that does not acknowledge what the template needs
    (HTTP 400, botocore's InsufficientCapabilitiesException)."""

    code = "InsufficientCapabilitiesException"

    def __init__(self, missing: list[str]) -> None:
        super().__init__(f"Requires capabilities : [{', '.join(missing)}]")


class NestedStackFailed(RuntimeError):
    """A nested stack that did not complete: the parent's resource fails, naming it."""

    def __init__(self, stack: Stack, failed: list[str]) -> None:
        super().__init__(
            f"Embedded stack {stack.stack_id} was not successfully created: "
            f"The following resource(s) failed to create: [{', '.join(failed)}]. "
        )
        self.physical_resource_id = stack.stack_id


class ResourceFailed(Exception):
    """A resource of a stack could not be created: its logical id and CloudFormation's reason."""

    def __init__(self, logical_id: str, reason: str) -> None:
        super().__init__(f"{logical_id}: {reason}")
        self.logical_id = logical_id
        self.reason = reason


def apply() -> None:
    """Patch the in-process moto (idempotent); `bwp_sandbox.cloudformation.install` calls it
    once moto's CloudFormation is loaded."""
    with _LOCK:
        if getattr(Stack, "_bwp_cloudformation", False):
            return
        _register_models()
        _check_capabilities()
        _check_parameters()
        _fail_stacks_like_cloudformation()
        _nested_stacks()
        _conditions()
        _intrinsics()
        _names()
        services.apply()
        Stack._bwp_cloudformation = True  # type: ignore[attr-defined]


def _register_models() -> None:
    # The classes registered themselves as CloudFormationModel subclasses when `resources`
    # was imported; moto caches its model map on first use, so drop the caches.
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
    # Were moto to model one of these types itself, ours would still be the one used: the
    # map is built in definition order, and ours are defined after moto's.
    assert all(parsing.get_model_map()[kind] is model for kind, model in resources.MODELS.items())


# -- Capabilities ---------------------------------------------------------------------------


def _check_capabilities() -> None:
    """CreateStack, UpdateStack and CreateChangeSet refuse a template whose needs the request
    does not acknowledge; moto reads no Capabilities at all."""
    for action in ("create_stack", "update_stack", "create_change_set"):
        original = getattr(CloudFormationResponse, action)
        setattr(CloudFormationResponse, action, _refusing(original))


def _refusing(original: Callable[[CloudFormationResponse], Any]) -> Any:
    @functools.wraps(original)
    def action(self: CloudFormationResponse) -> Any:
        given = frozenset(self._get_param("Capabilities", []))
        body = self._get_param("TemplateBody")
        url = self._get_param("TemplateURL")
        if url and not body:
            body = self._get_stack_from_s3_url(url)
        if body:
            _refuse_missing(Stack.parse_template(body), given)
        acknowledged = _ACKNOWLEDGED.set(given)  # for the nested stacks it creates
        try:
            return original(self)
        finally:
            _ACKNOWLEDGED.reset(acknowledged)

    return action


def _refuse_missing(template: dict[str, Any], given: frozenset[str]) -> None:
    missing = missing_capabilities(given, _needed(template))
    if missing:
        # AWS: InsufficientCapabilitiesException, before anything is created.
        raise InsufficientCapabilities(missing)


def _needed(template: dict[str, Any]) -> set[str]:
    """What CloudFormation asks of this template: CAPABILITY_AUTO_EXPAND for a macro (the SAM
    transform), not for a plain nested stack; the IAM capabilities for its IAM resources."""
    resources = template.get("Resources") or {}
    plain = {
        "Resources": {
            logical: resource
            for logical, resource in resources.items()
            if resource.get("Type") != "AWS::CloudFormation::Stack"
        }
    }
    needed = required_capabilities(plain)
    if template.get("Transform"):
        needed.add(AUTO_EXPAND)
    return needed


# -- Parameters -----------------------------------------------------------------------------


def _check_parameters() -> None:
    """A stack (or nested stack) refuses parameter values its template does not allow, as
    CloudFormation does before creating anything; moto took any value and any name."""
    original = parsing.ResourceMap.load_parameters

    def load_parameters(self: parsing.ResourceMap) -> None:
        declared: dict[str, Any] = self._template.get("Parameters") or {}
        unknown = sorted(set(self.input_parameters) - set(declared))
        if unknown:
            raise ValidationError(
                message=f"Parameters: [{', '.join(unknown)}] do not exist in the template"
            )
        missing = [
            name
            for name, declaration in declared.items()
            if name not in self.input_parameters and "Default" not in declaration
        ]
        if missing:
            raise ValidationError(message=f"Parameters: [{', '.join(missing)}] must have values")
        for name, declaration in declared.items():
            value = self.input_parameters.get(name, declaration.get("Default"))
            _check_parameter(name, declaration, _text(value))
        original(self)

    parsing.ResourceMap.load_parameters = load_parameters  # type: ignore[method-assign]


def _check_parameter(name: str, declaration: dict[str, Any], value: str) -> None:
    """CloudFormation's checks of one value, with its messages (ConstraintDescription, when
    the template gives one, in place of the rule broken)."""
    broken = _broken_rule(declaration, value)
    if broken is None:
        return
    described = declaration.get("ConstraintDescription")
    if described:
        raise ValidationError(
            message=f"Parameter '{name}' failed to satisfy constraint: {described}"
        )
    raise ValidationError(message=f"Parameter '{name}' {broken}")


def _broken_rule(declaration: dict[str, Any], value: str) -> str | None:
    allowed = declaration.get("AllowedValues")
    if allowed is not None and value not in [_text(item) for item in allowed]:
        return "must be one of AllowedValues"
    if declaration.get("Type", "String") == "Number":
        try:
            number = float(value)
        except ValueError:
            return "must be a number"
        if "MinValue" in declaration and number < float(declaration["MinValue"]):
            return f"must be a number not less than {_text(declaration['MinValue'])}"
        if "MaxValue" in declaration and number > float(declaration["MaxValue"]):
            return f"must be a number not greater than {_text(declaration['MaxValue'])}"
        return None
    pattern = declaration.get("AllowedPattern")
    if pattern is not None and re.fullmatch(pattern, value) is None:
        return f"must match pattern {pattern}"
    if "MinLength" in declaration and len(value) < int(declaration["MinLength"]):
        return f"must contain at least {declaration['MinLength']} characters"
    if "MaxLength" in declaration and len(value) > int(declaration["MaxLength"]):
        return f"must contain at most {declaration['MaxLength']} characters"
    return None


# -- A failed resource fails its stack ------------------------------------------------------


def _fail_stacks_like_cloudformation() -> None:
    original_create = parsing.parse_and_create_resource
    original_resources = Stack.create_resources

    def parse_and_create_resource(
        logical_id: str,
        resource_json: dict[str, Any],
        resources_map: parsing.ResourceMap,
        account_id: str,
        region_name: str,
    ) -> Any:
        stack = cloudformation_backends[account_id][region_name].stacks.get(resources_map.stack_id)
        kind = resource_json.get("Type", "")
        condition = resource_json.get("Condition")
        if condition and not resources_map.lazy_condition_map[condition]:
            return None
        _event(stack, logical_id, kind, "CREATE_IN_PROGRESS")
        try:
            created = original_create(
                logical_id, resource_json, resources_map, account_id, region_name
            )
            if created is None and kind not in parsing.NULL_MODELS:
                # AWS creates every resource whose condition holds; moto skips the types it
                # lacks with a warning. Say so, rather than leave a hole in the stack.
                raise NotImplementedError(f"moto has no CloudFormation model for {kind}")
        except ResourceFailed:
            raise  # a resource this one refers to failed first: that one is the cause
        except Exception as error:
            reason = _reason(error)
            physical = _physical_id(error)  # a nested stack that failed: where its reasons are
            _event(stack, logical_id, kind, "CREATE_FAILED", reason=reason, physical=physical)
            raise ResourceFailed(logical_id, reason) from error
        _event(stack, logical_id, kind, "CREATE_COMPLETE", physical=_physical_id(created))
        return created

    def create_resources(self: Stack) -> None:
        try:
            original_resources(self)
        except ResourceFailed as failed:
            # AWS: the stack fails and rolls back what it created (ROLLBACK_COMPLETE); moto
            # answered HTTP 500 and left the stack CREATE_IN_PROGRESS.
            _roll_back(self, f"The following resource(s) failed to create: [{failed.logical_id}]. ")

    original_outputs = Stack.outputs

    def outputs(self: Stack) -> list[dict[str, Any]] | None:
        # AWS shows no outputs for a stack that failed; moto computed them, creating anew
        # each resource they name that the rollback had deleted.
        if self.status in _FAILED:
            return None
        shown: list[dict[str, Any]] | None = original_outputs.fget(self)  # type: ignore[attr-defined]
        return shown

    parsing.parse_and_create_resource = parse_and_create_resource
    Stack.create_resources = create_resources  # type: ignore[method-assign]
    Stack.outputs = property(outputs)  # type: ignore[method-assign,assignment]


def _roll_back(stack: Stack, reason: str) -> None:
    stack.status = "ROLLBACK_IN_PROGRESS"
    stack._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=reason)
    try:
        stack.resource_map.delete()
    except Exception as error:  # a rollback that fails is a state of the stack, not a crash
        stack.status = "ROLLBACK_FAILED"
        stack._add_stack_event("ROLLBACK_FAILED", resource_status_reason=str(error))
        return
    stack.status = "ROLLBACK_COMPLETE"
    stack._add_stack_event("ROLLBACK_COMPLETE")


def _event(
    stack: Stack | None,
    logical_id: str,
    kind: str,
    status: str,
    reason: str | None = None,
    physical: str = "",
) -> None:
    """A resource's event in its stack's DescribeStackEvents (moto records the stack's only)."""
    if stack is None:  # a stack set's hidden stack: no events to keep
        return
    stack.events.append(
        Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=logical_id,
            physical_resource_id=physical,
            resource_type=kind,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        )
    )


def _reason(error: Exception) -> str:
    """The message a service's error carries (moto's REST errors print their HTTP body)."""
    message = getattr(error, "message", None)
    return str(message) if message else str(error) or type(error).__name__


def _physical_id(created: Any) -> str:
    physical = getattr(created, "physical_resource_id", "")
    return physical if isinstance(physical, str) else ""


# -- Nested stacks --------------------------------------------------------------------------


def _nested_stacks() -> None:
    original_create = Stack.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def get_cfn_attribute(self: Stack, attribute_name: str) -> Any:
        # AWS: GetAtt Nested.Outputs.Name is the nested stack's output; moto has no GetAtt.
        if attribute_name.startswith("Outputs."):
            key = attribute_name.removeprefix("Outputs.")
            output = self.output_map.get(key) if key in self.output_map.outputs else None
            if output is None:
                raise ValueError(f"Output '{key}' not found in stack '{self.stack_id}'")
            return output.value
        raise ValueError(f"Template error: unsupported attribute {attribute_name} of a stack")

    def create_from_cloudformation_json(
        cls: type[Stack],
        /,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Stack:
        given = _ACKNOWLEDGED.get()
        if given is not None:
            # AWS: a nested stack needs what its own template needs, acknowledged by the
            # request that creates its root (CAPABILITY_IAM for its roles...).
            url = cloudformation_json["Properties"]["TemplateURL"]
            body = get_stack_from_s3_url(url, account_id, get_partition(region_name))
            _refuse_missing(Stack.parse_template(body), given)
        nested: Stack = original_create(
            cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        if nested.status != "CREATE_COMPLETE":
            # AWS: the parent's resource fails with the nested stack, naming its failures.
            failed = [
                event.logical_resource_id
                for event in nested.events
                if event.resource_status == "CREATE_FAILED"
            ]
            raise NestedStackFailed(nested, failed)
        return nested

    def stack_resources(self: Stack) -> list[Any]:
        # AWS lists the resources the stack created; moto lists None for each one whose
        # condition is false (and asks the model again, each time).
        return [
            self.resource_map[logical_id]
            for logical_id in self.resource_map.resources
            if logical_id in self.resource_map._parsed_resources
        ]

    Stack.get_cfn_attribute = get_cfn_attribute  # type: ignore[attr-defined]
    Stack.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[method-assign,assignment]
    # AWS: Ref of a nested stack, and its physical id, is its stack ARN; moto gives its name.
    Stack.physical_resource_id = property(lambda self: self.stack_id)  # type: ignore[method-assign,assignment]
    Stack.stack_resources = property(stack_resources)  # type: ignore[method-assign,assignment]


# -- Generated names ------------------------------------------------------------------------

#: The longest name each type takes, where a stack name and a logical id can exceed it.
_NAME_LIMITS = {
    "AWS::Events::Archive": 48,
    "AWS::Events::Rule": 64,
    "AWS::IAM::Role": 64,
    "AWS::Lambda::Function": 64,
    "AWS::Scheduler::ScheduleGroup": 64,
    "AWS::SQS::Queue": 80,
    "AWS::IAM::ManagedPolicy": 128,
    "AWS::CloudFormation::Stack": 128,
}


def _names() -> None:
    original = parsing.generate_resource_name

    def generate_resource_name(resource_type: str, stack_name: str, logical_id: str) -> str:
        name: str = original(resource_type, stack_name, logical_id)
        limit = _NAME_LIMITS.get(resource_type)
        if limit is None or len(name) <= limit:
            return name
        # AWS: a name CloudFormation makes fits the type (the stack name and logical id are
        # cut, the random tail kept); moto's went past it, so an archive of any stack named
        # over nine characters failed to create.
        prefix, tail = name.rsplit("-", 1)
        return f"{prefix[: limit - len(tail) - 1].rstrip('-')}-{tail}"

    parsing.generate_resource_name = generate_resource_name


# -- Conditions -----------------------------------------------------------------------------


def _conditions() -> None:
    original = parsing.parse_condition

    def parse_condition(
        condition: Any, resources_map: parsing.ResourceMap, condition_map: dict[str, Any]
    ) -> bool:
        if isinstance(condition, dict) and list(condition) == ["Fn::Equals"]:
            left, right = (
                parsing.clean_json(value, resources_map) for value in condition["Fn::Equals"]
            )
            if _scalar(left) and _scalar(right):
                # AWS: a parameter is text wherever it is used, a Number too (Ref of 0 equals
                # "0"); moto made Number parameters ints, so 0 never equalled "0".
                return _text(left) == _text(right)
        result: bool = original(condition, resources_map, condition_map)
        return result

    parsing.parse_condition = parse_condition


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- Fn::Sub and AWS::NoValue ---------------------------------------------------------------


def _intrinsics() -> None:
    original = parsing.clean_json

    def clean_json(resource_json: Any, resources_map: parsing.ResourceMap) -> Any:
        if isinstance(resource_json, dict) and "Fn::GetAtt" in resource_json:
            target = resource_json["Fn::GetAtt"]
            if isinstance(target, str):  # the short form's text, "Resource.Attribute"
                target = target.split(".")
            if (isinstance(target, list) and len(target) > 2) or isinstance(
                resource_json["Fn::GetAtt"], str
            ):
                # AWS: ${Nested.Outputs.Name} in Fn::Sub is GetAtt Nested "Outputs.Name" (an
                # attribute may hold dots); moto split it at every dot and lost "Name".
                resource_json = {**resource_json, "Fn::GetAtt": [target[0], ".".join(target[1:])]}
        cleaned = original(resource_json, resources_map)
        if isinstance(cleaned, list):
            # AWS: Ref AWS::NoValue in a list (an Fn::If's branch) removes the item; moto left
            # a null there (a policy with a null statement).
            return [item for item in cleaned if item is not None]
        return cleaned

    parsing.clean_json = clean_json
