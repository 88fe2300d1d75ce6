"""CloudFormation's intrinsic functions and conditions, resolved against a local deployment.

The transformed template still holds ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::If`` and the
rest; CloudFormation resolves them at deploy time from the stack's parameters and the physical
resources it created. This does the same for the resources the sandbox creates, so the role
and the environment a local function runs with are the ones the template gives it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class UnresolvedError(ValueError):
    """A reference the local deployment cannot answer: it names what is missing."""


@dataclass(frozen=True)
class PhysicalResource:
    """What ``Ref`` and ``Fn::GetAtt`` return for a resource the sandbox created."""

    ref: str
    attributes: Mapping[str, str] = field(default_factory=dict)


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()
_SUB = re.compile(r"\$\{([^}]*)\}")


class TemplateResolver:
    """Resolves intrinsic functions of one template for one set of parameter values."""

    def __init__(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, str],
        resources: Mapping[str, PhysicalResource],
        *,
        region: str,
        account: str,
        stack_name: str,
    ) -> None:
        declared: Mapping[str, Any] = template.get("Parameters", {})
        unknown = sorted(set(parameters) - set(declared))
        if unknown:
            raise UnresolvedError(f"the template declares no parameter {', '.join(unknown)}")
        self._parameters: dict[str, str] = {}
        for name, spec in declared.items():
            if name in parameters:
                self._parameters[name] = _checked(name, spec, str(parameters[name]))
            elif "Default" in spec:
                self._parameters[name] = str(spec["Default"])
        self._conditions: Mapping[str, Any] = template.get("Conditions", {})
        self._resources = resources
        self._pseudo = {
            "AWS::Region": region,
            "AWS::AccountId": account,
            "AWS::Partition": "aws",
            "AWS::StackName": stack_name,
            "AWS::URLSuffix": "amazonaws.com",
        }
        self._evaluated: dict[str, bool] = {}

    def parameter(self, name: str) -> str:
        """A parameter's value as the stack has it (given, or the template's default)."""
        if name not in self._parameters:
            raise UnresolvedError(f"parameter {name} has no value and no default")
        return self._parameters[name]

    def condition(self, name: str) -> bool:
        """A named condition of the template, evaluated once."""
        if name not in self._evaluated:
            if name not in self._conditions:
                raise UnresolvedError(f"the template declares no condition {name}")
            self._evaluated[name] = self._truth(self._conditions[name])
        return self._evaluated[name]

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic function applied; AWS::NoValue entries removed."""
        resolved = self._resolve(value)
        return None if resolved is NO_VALUE else resolved

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self._resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            [(key, argument)] = value.items()
            function = _FUNCTIONS.get(key)
            if function is not None:
                return function(self, argument)
        resolved = {key: self._resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self._pseudo:
            return self._pseudo[name]
        if name in self._parameters:
            return self._parameters[name]
        if name in self._resources:
            return self._resources[name].ref
        raise UnresolvedError(f"Ref {name}: not a parameter, and not a resource deployed locally")

    def _get_att(self, argument: Any) -> str:
        resource, attribute = (
            argument.split(".", 1) if isinstance(argument, str) else (argument[0], argument[1])
        )
        physical = self._resources.get(resource)
        if physical is None or attribute not in physical.attributes:
            raise UnresolvedError(f"Fn::GetAtt {resource}.{attribute}: not deployed locally")
        return physical.attributes[attribute]

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {name: self._resolve(value) for name, value in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in values:
                return str(values[name])
            if "." in name and name.split(".", 1)[0] in self._resources:
                return self._get_att(name)
            return str(self._ref(name))

        return _SUB.sub(replace, text)

    def _if(self, argument: Any) -> Any:
        name, when_true, when_false = argument
        return self._resolve(when_true if self.condition(name) else when_false)

    def _truth(self, value: Any) -> bool:
        if isinstance(value, dict) and len(value) == 1:
            [(key, argument)] = value.items()
            if key == "Fn::Equals":
                left, right = (self._resolve(item) for item in argument)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self._truth(argument[0])
            if key == "Fn::And":
                return all(self._truth(item) for item in argument)
            if key == "Fn::Or":
                return any(self._truth(item) for item in argument)
            if key == "Condition":
                return self.condition(argument)
        raise UnresolvedError(f"not a condition: {value!r}")


def _checked(name: str, spec: Mapping[str, Any], value: str) -> str:
    """A parameter value, refused as CloudFormation refuses it (allowed values, pattern,
    range), so no local deployment runs with a value AWS would not accept."""
    allowed = spec.get("AllowedValues")
    if allowed is not None and value not in [str(v) for v in allowed]:
        raise UnresolvedError(f"parameter {name}: {value!r} is not one of {allowed}")
    pattern = spec.get("AllowedPattern")
    if pattern is not None and re.fullmatch(pattern, value) is None:
        raise UnresolvedError(f"parameter {name}: {value!r} does not match {pattern}")
    if spec.get("Type") == "Number":
        try:
            number = float(value)
        except ValueError:
            raise UnresolvedError(f"parameter {name}: {value!r} is not a number") from None
        low, high = spec.get("MinValue"), spec.get("MaxValue")
        if (low is not None and number < float(low)) or (high is not None and number > float(high)):
            raise UnresolvedError(f"parameter {name}: {value} is outside [{low}, {high}]")
    return value


def _join(resolver: TemplateResolver, argument: Any) -> str:
    delimiter, items = argument
    return str(delimiter).join(str(item) for item in resolver._resolve(items))


def _select(resolver: TemplateResolver, argument: Any) -> Any:
    index, items = argument
    return resolver._resolve(items)[int(resolver._resolve(index))]


def _split(resolver: TemplateResolver, argument: Any) -> list[str]:
    delimiter, text = argument
    return str(resolver._resolve(text)).split(str(delimiter))


_FUNCTIONS: dict[str, Any] = {
    "Ref": lambda r, a: r._ref(a),
    "Fn::GetAtt": lambda r, a: r._get_att(a),
    "Fn::Sub": lambda r, a: r._sub(a),
    "Fn::If": lambda r, a: r._if(a),
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Condition": lambda r, a: r.condition(a),
}
