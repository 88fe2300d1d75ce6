"""The numbers the storm is modelled with: read from the template (its defaults, as a merchant
deploying it unchanged gets them), each overridable as a merchant sets a parameter, and each
kept with where it came from (the report prints both).

A parameter the model needs and the template lacks is an error naming it, unless the command
line gives its value: a default made up here would pretend to be the template's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bwp_sandbox.stack import TEMPLATE, load_template

#: Lambda's default concurrency quota of an account (a raised quota is common; --account-
#: concurrency sets it). Not in the template: the account's, not the stack's.
DEFAULT_ACCOUNT_CONCURRENCY = 1000


class SettingsError(ValueError):
    """The template lacks a number the model needs, or holds one it cannot read."""


@dataclass(frozen=True)
class Settings:
    """Every number of the run; ``sources`` says where each came from (by field name)."""

    failures: int
    storm_hours: float
    seed: int
    before: bool
    recorder_timeout_s: int
    recorder_memory_mb: int
    reaction_timeout_s: int
    reaction_memory_mb: int
    router_timeout_s: int
    router_memory_mb: int
    recorder_max_retries: int
    recorder_max_event_age_s: int
    reaction_max_retries: int
    reaction_max_event_age_s: int
    reaction_batch_size: int
    reaction_max_concurrency: int
    router_batch_size: int
    router_window_s: int
    router_max_concurrency: int
    #: Reserved concurrency; 0: unreserved (the function draws on the account's pool).
    recorder_reserved: int
    reaction_reserved: int
    api_requests_per_second: float
    attempt_window_minutes: int
    account_concurrency: int
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    def rows(self) -> list[tuple[str, str, str]]:
        """(name, value, source) of every number, in the order of the fields."""
        skip = {"sources"}
        return [
            (name, _shown(getattr(self, name)), self.sources.get(name, ""))
            for name in self.__dataclass_fields__
            if name not in skip
        ]


#: The command line's flag of each parameter (named in errors).
FLAGS = {
    "recorder_reserved": "--recorder-concurrency",
    "reaction_reserved": "--reaction-concurrency",
    "api_requests_per_second": "--budget",
    "attempt_window_minutes": "--attempt-window",
}

#: Command-line overrides: field name -> value (None: not given).
Overrides = Mapping[str, Any]


def load_settings(overrides: Overrides | None = None, template_path: Path = TEMPLATE) -> Settings:
    """The template's numbers with ``overrides`` applied (each marked "command line")."""
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    reader = _TemplateReader(load_template(template_path), template_path.name, given)
    recorder = reader.function("RecorderFunction")
    reaction = reader.function("ReactionFunction")
    router = reader.function("AlertRouterFunction")
    values: dict[str, tuple[Any, str]] = {
        "failures": (given.get("failures", 100_000), "issue 28: 100,000 failures in an hour"),
        "storm_hours": (given.get("storm_hours", 1.0), "issue 28: in an hour"),
        "seed": (given.get("seed", 28), "the model's seed"),
        "before": (bool(given.get("before", False)), "--before: the design before the budget"),
        "recorder_timeout_s": reader.function_number(recorder, "RecorderFunction", "Timeout"),
        "recorder_memory_mb": reader.function_number(recorder, "RecorderFunction", "MemorySize"),
        "reaction_timeout_s": reader.function_number(reaction, "ReactionFunction", "Timeout"),
        "reaction_memory_mb": reader.function_number(reaction, "ReactionFunction", "MemorySize"),
        "router_timeout_s": reader.function_number(router, "AlertRouterFunction", "Timeout"),
        "router_memory_mb": reader.function_number(router, "AlertRouterFunction", "MemorySize"),
        "recorder_max_retries": reader.path(
            recorder, "RecorderFunction", "EventInvokeConfig", "MaximumRetryAttempts"
        ),
        "recorder_max_event_age_s": reader.path(
            recorder, "RecorderFunction", "EventInvokeConfig", "MaximumEventAgeInSeconds"
        ),
        "reaction_max_retries": reader.path(
            reaction, "ReactionFunction", "EventInvokeConfig", "MaximumRetryAttempts"
        ),
        "reaction_max_event_age_s": reader.path(
            reaction, "ReactionFunction", "EventInvokeConfig", "MaximumEventAgeInSeconds"
        ),
        "reaction_batch_size": reader.path(
            reaction, "ReactionFunction", "Events", "Failures", "Properties", "BatchSize"
        ),
        "reaction_max_concurrency": reader.path(
            reaction,
            "ReactionFunction",
            "Events",
            "Failures",
            "Properties",
            "ScalingConfig",
            "MaximumConcurrency",
        ),
        "router_batch_size": reader.path(
            router, "AlertRouterFunction", "Events", "Failures", "Properties", "BatchSize"
        ),
        "router_window_s": reader.path(
            router,
            "AlertRouterFunction",
            "Events",
            "Failures",
            "Properties",
            "MaximumBatchingWindowInSeconds",
            override="router_window_s",
        ),
        "router_max_concurrency": reader.path(
            router,
            "AlertRouterFunction",
            "Events",
            "Failures",
            "Properties",
            "ScalingConfig",
            "MaximumConcurrency",
            override="router_max_concurrency",
        ),
        "recorder_reserved": reader.parameter("RecorderReservedConcurrency", "recorder_reserved"),
        "reaction_reserved": reader.parameter("ReactionReservedConcurrency", "reaction_reserved"),
        "api_requests_per_second": reader.parameter(
            "ApiRequestsPerSecond", "api_requests_per_second"
        ),
        "attempt_window_minutes": reader.parameter(
            "AttemptWindowMinutes", "attempt_window_minutes"
        ),
        "account_concurrency": (
            given.get("account_concurrency", DEFAULT_ACCOUNT_CONCURRENCY),
            "command line"
            if "account_concurrency" in given
            else "Lambda's default account quota (not the stack's)",
        ),
    }
    for name in ("failures", "storm_hours", "seed", "before"):
        if name in given:
            values[name] = (values[name][0], "command line")
    settings = Settings(
        **{name: value for name, (value, _) in values.items()},
        sources={name: source for name, (_, source) in values.items()},
    )
    if settings.before:
        # The design before issue 28: no pacer, attempts at their second.
        settings = replace(
            settings,
            attempt_window_minutes=0,
            sources={
                **settings.sources,
                "attempt_window_minutes": "--before: FlexibleTimeWindow OFF",
                "api_requests_per_second": settings.sources["api_requests_per_second"]
                + " (--before: not enforced, only compared against)",
            },
        )
    return settings


class _TemplateReader:
    def __init__(self, template: dict[str, Any], name: str, given: Mapping[str, Any]) -> None:
        self._template = template
        self._name = name
        self._given = given

    def function(self, logical_id: str) -> dict[str, Any]:
        resource = self._template.get("Resources", {}).get(logical_id)
        if not isinstance(resource, dict):
            raise SettingsError(f"{self._name}: no resource {logical_id}")
        properties: dict[str, Any] = resource.get("Properties", {})
        return properties

    def function_number(
        self, properties: dict[str, Any], logical_id: str, key: str
    ) -> tuple[Any, str]:
        """The function's own value, else the Globals' (as SAM applies them)."""
        if key in properties:
            return self._resolve(properties[key], f"{self._name}: {logical_id}.{key}")
        globals_ = self._template.get("Globals", {}).get("Function", {})
        if key not in globals_:
            raise SettingsError(f"{self._name}: neither {logical_id} nor Globals sets {key}")
        return self._resolve(globals_[key], f"{self._name}: Globals.Function.{key}")

    def path(
        self, properties: dict[str, Any], logical_id: str, *keys: str, override: str = ""
    ) -> tuple[Any, str]:
        if override and override in self._given:
            return self._given[override], "command line"
        node: Any = properties
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                raise SettingsError(f"{self._name}: {logical_id} has no {'.'.join(keys)}")
            node = node[key]
        return self._resolve(node, f"{self._name}: {logical_id}.{'.'.join(keys)}")

    def parameter(self, name: str, override: str) -> tuple[Any, str]:
        if override in self._given:
            return self._given[override], f"command line (parameter {name})"
        spec = self._template.get("Parameters", {}).get(name)
        if not isinstance(spec, dict) or "Default" not in spec:
            raise SettingsError(
                f"{self._name} has no parameter {name} with a default (merge main for it, or "
                f"give {FLAGS[override]})"
            )
        return _number(spec["Default"]), f"{self._name}: parameter {name}, default"

    def _resolve(self, value: Any, where: str) -> tuple[Any, str]:
        if isinstance(value, dict) and set(value) == {"Ref"}:
            name = value["Ref"]
            spec = self._template.get("Parameters", {}).get(name, {})
            if "Default" not in spec:
                raise SettingsError(f"{where}: !Ref {name} has no default")
            return _number(spec["Default"]), f"{where} = !Ref {name} (default)"
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value, where
        raise SettingsError(f"{where}: {value!r} is not a number the model can read")


def _number(raw: Any) -> int | float:
    text = str(raw)
    try:
        return int(text)
    except ValueError:
        return float(text)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:g}" if isinstance(value, float) else str(value)
