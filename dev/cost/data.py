"""The two data files, read into typed values: the prices (`prices.toml`) and the usage
assumptions (`usage.toml`).

Every number is a Decimal (TOML floats are parsed as such), so that a figure moves by exactly
a price when a count moves by one: a test adds an alarm and expects the idle cost to rise by
$0.10, not by $0.1000000000000000055.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PRICES = HERE / "prices.toml"
USAGE = HERE / "usage.toml"

#: How a price was checked (prices.toml explains each).
STATUSES = ("aws page", "third party", "not checked")
#: How often a step of a case happens (usage.toml explains each).
PERS = ("case", "failure_event", "refailure", "attempt", "oncall_action")


class DataError(ValueError):
    """A data file is malformed: the message names the file and the key."""


@dataclass(frozen=True)
class Price:
    key: str
    price: Decimal
    unit: str
    source: str
    status: str
    checked_against: str


@dataclass(frozen=True)
class Prices:
    region: str
    read_on: str
    hours_per_month: Decimal
    items: Mapping[str, Price]
    free_tiers: str

    def __getitem__(self, key: str) -> Decimal:
        return self.items[key].price


@dataclass(frozen=True)
class Event:
    """A partner event received, or a message published, of one detail type."""

    detail_type: str
    kb: Decimal


@dataclass(frozen=True)
class Item:
    """A DynamoDB item read, written or stored."""

    table: str
    kb: Decimal
    what: str
    indexed: bool = False
    transactional: bool = False
    per_task: bool = False
    kept: str = ""


@dataclass(frozen=True)
class Step:
    name: str
    per: str
    function: str
    reason: str
    partner_events: tuple[Event, ...]
    reads: tuple[Item, ...]
    writes: tuple[Item, ...]
    publishes: tuple[Event, ...]
    stored: tuple[Item, ...]
    metrics: tuple[str, ...]
    secret_reads: int
    schedule_invocations: int
    deliveries: str
    #: SQS requests of the step's own messages (a send and the event source's delete), beside
    #: those of the topic's subscriptions.
    sqs_requests: int = 0


@dataclass(frozen=True)
class FunctionUsage:
    warm_ms: Decimal
    cold_ms: Decimal
    log_kb: Decimal
    reason: str


@dataclass(frozen=True)
class Scheduled:
    metrics: tuple[str, ...]
    queries: int
    empty_query_rru: Decimal
    case_read_kb: Decimal
    reasons: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Receiver:
    name: str
    parameter: str
    failure_alerts: int
    resolve: str
    reason: str


@dataclass(frozen=True)
class Delivery:
    ledger_kb: Decimal
    ledger_kept_days: int
    audit_kb: Decimal
    audit_kept: str
    sent_metrics: tuple[str, ...]
    resolved_metrics: tuple[str, ...]
    not_needed_metrics: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Configuration:
    key: str
    title: str
    parameters: Mapping[str, str]


@dataclass(frozen=True)
class Usage:
    failures: int
    playbook: str
    attempts: int
    completes_after_days: Decimal
    #: On-call actions (a Slack button, a PagerDuty event) taken on one case, where the
    #: configuration deploys the inbound function.
    oncall_actions: int
    stack_name: str
    account: str
    deployment_parameters: Mapping[str, str]
    configurations: tuple[Configuration, ...]
    failure_cold_fraction: Decimal
    watch_cold_every_runs: int
    traces_per_invocation: int
    functions: Mapping[str, FunctionUsage]
    scheduled: Mapping[str, Scheduled]
    sqs_pollers_per_mapping: int
    sqs_long_poll_seconds: int
    kms_requests_per_invocation: int
    kms_requests_per_publish: int
    sqs_requests_per_delivery: int
    secret_reads_per_use: int
    steps: tuple[Step, ...]
    receivers: Mapping[str, Receiver]
    delivery: Delivery
    #: Each assumption's one-line reason, in the file's order, for the output.
    reasons: tuple[tuple[str, str], ...]

    def configuration(self, key: str) -> Configuration:
        for found in self.configurations:
            if found.key == key:
                return found
        raise DataError(f"usage.toml: no configuration {key!r}")


def load_prices(path: Path = PRICES) -> Prices:
    raw = _toml(path)
    items: dict[str, Price] = {}
    for key, spec in _table(raw, "prices", path).items():
        where = f"{path.name}: prices.{key}"
        status = _str(spec, "status", where)
        if status not in STATUSES:
            raise DataError(f"{where}.status: {status!r} is not one of {STATUSES}")
        items[key] = Price(
            key=key,
            price=_decimal(spec, "price", where),
            unit=_str(spec, "unit", where),
            source=_str(spec, "source", where),
            status=status,
            checked_against=str(spec.get("checked_against", "")),
        )
    return Prices(
        region=_str(raw, "region", path.name),
        read_on=_str(raw, "read_on", path.name),
        hours_per_month=_decimal(raw, "hours_per_month", path.name),
        items=items,
        free_tiers=" ".join(_str(_table(raw, "free_tiers", path), "text", path.name).split()),
    )


def load_usage(path: Path = USAGE) -> Usage:
    raw = _toml(path)
    name = path.name
    month, case = _table(raw, "month", path), _table(raw, "case", path)
    deployment, lam = _table(raw, "deployment", path), _table(raw, "lambda", path)
    idle, messages = _table(raw, "idle", path), _table(raw, "messages", path)
    delivery = _table(raw, "delivery", path)
    attempts = _int(case, "attempts", f"{name}: case")
    if attempts < 1:
        raise DataError(f"{name}: case.attempts must be 1 or more")
    reasons = [
        ("failures", _str(month, "reason", f"{name}: month")),
        ("playbook", _str(case, "playbook_reason", f"{name}: case")),
        ("attempts", _str(case, "attempts_reason", f"{name}: case")),
        ("completion", _str(case, "completes_after_days_reason", f"{name}: case")),
        ("on-call actions", _str(case, "oncall_actions_reason", f"{name}: case")),
        ("cold starts", _str(lam, "failure_cold_fraction_reason", f"{name}: lambda")),
        ("watch cold starts", _str(lam, "watch_cold_every_runs_reason", f"{name}: lambda")),
        ("traces", _str(lam, "traces_reason", f"{name}: lambda")),
        ("SQS polling", _str(idle, "sqs_reason", f"{name}: idle")),
        ("KMS for logs", _str(idle, "kms_reason", f"{name}: idle")),
        ("KMS for the topic", _str(messages, "kms_reason", f"{name}: messages")),
        ("SQS per message", _str(messages, "sqs_reason", f"{name}: messages")),
        ("secrets", _str(messages, "secret_reason", f"{name}: messages")),
        ("storage", _str(_table(raw, "storage", path), "reason", name)),
        ("deliveries", _str(delivery, "reason", f"{name}: delivery")),
    ]
    functions = {
        key: FunctionUsage(
            warm_ms=_decimal(spec, "warm_ms", f"{name}: functions.{key}"),
            cold_ms=_decimal(spec, "cold_ms", f"{name}: functions.{key}"),
            log_kb=_decimal(spec, "log_kb", f"{name}: functions.{key}"),
            reason=_str(spec, "reason", f"{name}: functions.{key}"),
        )
        for key, spec in _table(raw, "functions", path).items()
    }
    reasons += [(f"{key} duration", spec.reason) for key, spec in functions.items()]
    scheduled: dict[str, Scheduled] = {}
    for key, spec in _table(raw, "scheduled", path).items():
        where = f"{name}: scheduled.{key}"
        scheduled[key] = Scheduled(
            metrics=tuple(_list(spec, "metrics", where)),
            queries=_int(spec, "queries", where),
            empty_query_rru=_decimal(spec, "empty_query_rru", where),
            case_read_kb=_decimal(spec, "case_read_kb", where),
            reasons=tuple(
                (label, _str(spec, field, where))
                for label, field in (
                    ("its metrics", "metrics_reason"),
                    ("its queries", "queries_reason"),
                    ("an empty query", "empty_query_rru_reason"),
                    ("an open case", "case_read_kb_reason"),
                )
            ),
        )
        reasons += [(f"{key}, {label}", reason) for label, reason in scheduled[key].reasons]
    steps = tuple(_step(spec, f"{name}: steps[{n}]") for n, spec in enumerate(raw["steps"]))
    reasons += [(step.name, step.reason) for step in steps]
    receivers = {
        key: Receiver(
            name=key,
            parameter=_str(spec, "parameter", f"{name}: receivers.{key}"),
            failure_alerts=_int(spec, "failure_alerts", f"{name}: receivers.{key}"),
            resolve=_choice(spec, "resolve", ("sent", "not needed"), f"{name}: receivers.{key}"),
            reason=_str(spec, "reason", f"{name}: receivers.{key}"),
        )
        for key, spec in _table(raw, "receivers", path).items()
    }
    reasons += [(f"{key} alerts", receiver.reason) for key, receiver in receivers.items()]
    where = f"{name}: delivery"
    return Usage(
        failures=_int(month, "failures", f"{name}: month"),
        playbook=_str(case, "playbook", f"{name}: case"),
        attempts=attempts,
        completes_after_days=_decimal(case, "completes_after_days", f"{name}: case"),
        oncall_actions=_int(case, "oncall_actions", f"{name}: case"),
        stack_name=_str(deployment, "stack_name", f"{name}: deployment"),
        account=_str(deployment, "account", f"{name}: deployment"),
        deployment_parameters=_strings(deployment.get("parameters", {})),
        configurations=tuple(
            Configuration(
                key=key,
                title=_str(spec, "title", f"{name}: configurations.{key}"),
                parameters=_strings(spec.get("parameters", {})),
            )
            for key, spec in _table(raw, "configurations", path).items()
        ),
        failure_cold_fraction=_decimal(lam, "failure_cold_fraction", f"{name}: lambda"),
        watch_cold_every_runs=_int(lam, "watch_cold_every_runs", f"{name}: lambda"),
        traces_per_invocation=_int(lam, "traces_per_invocation", f"{name}: lambda"),
        functions=functions,
        scheduled=scheduled,
        sqs_pollers_per_mapping=_int(idle, "sqs_pollers_per_mapping", f"{name}: idle"),
        sqs_long_poll_seconds=_int(idle, "sqs_long_poll_seconds", f"{name}: idle"),
        kms_requests_per_invocation=_int(idle, "kms_requests_per_invocation", f"{name}: idle"),
        kms_requests_per_publish=_int(messages, "kms_requests_per_publish", f"{name}: messages"),
        sqs_requests_per_delivery=_int(messages, "sqs_requests_per_delivery", f"{name}: messages"),
        secret_reads_per_use=_int(messages, "secret_reads_per_use", f"{name}: messages"),
        steps=steps,
        receivers=receivers,
        delivery=Delivery(
            ledger_kb=_decimal(delivery, "ledger_kb", where),
            ledger_kept_days=_int(delivery, "ledger_kept_days", where),
            audit_kb=_decimal(delivery, "audit_kb", where),
            audit_kept=_str(delivery, "audit_kept", where),
            sent_metrics=tuple(_list(delivery, "sent_metrics", where)),
            resolved_metrics=tuple(_list(delivery, "resolved_metrics", where)),
            not_needed_metrics=tuple(_list(delivery, "not_needed_metrics", where)),
            reason=_str(delivery, "reason", where),
        ),
        reasons=tuple((key, " ".join(text.split())) for key, text in reasons),
    )


def _step(spec: Mapping[str, Any], where: str) -> Step:
    return Step(
        name=_str(spec, "name", where),
        per=_choice(spec, "per", PERS, where),
        function=_str(spec, "function", where),
        reason=_str(spec, "reason", where),
        partner_events=tuple(
            _event(e, f"{where}.partner_events") for e in spec.get("partner_events", [])
        ),
        reads=tuple(_item(i, f"{where}.reads") for i in spec.get("reads", [])),
        writes=tuple(_item(i, f"{where}.writes") for i in spec.get("writes", [])),
        publishes=tuple(_event(e, f"{where}.publishes") for e in spec.get("publishes", [])),
        stored=tuple(_item(i, f"{where}.stored") for i in spec.get("stored", [])),
        metrics=tuple(_list(spec, "metrics", where)) if "metrics" in spec else (),
        secret_reads=int(spec.get("secret_reads", 0)),
        schedule_invocations=int(spec.get("schedule_invocations", 0)),
        deliveries=_choice(spec, "deliveries", ("", "failure", "resolve"), where)
        if "deliveries" in spec
        else "",
        sqs_requests=int(spec.get("sqs_requests", 0)),
    )


def _event(spec: Mapping[str, Any], where: str) -> Event:
    return Event(detail_type=_str(spec, "detail_type", where), kb=_decimal(spec, "kb", where))


def _item(spec: Mapping[str, Any], where: str) -> Item:
    return Item(
        table=_str(spec, "table", where),
        kb=_decimal(spec, "kb", where),
        what=str(spec.get("what", "")),
        indexed=bool(spec.get("indexed", False)),
        transactional=bool(spec.get("transactional", False)),
        per_task=bool(spec.get("per_task", False)),
        kept=str(spec.get("kept", "")),
    )


def _toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle, parse_float=Decimal)
    except tomllib.TOMLDecodeError as error:
        raise DataError(f"{path.name}: {error}") from None


def _table(raw: Mapping[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise DataError(f"{path.name}: [{key}] is missing")
    return value


def _str(spec: Mapping[str, Any], key: str, where: str) -> str:
    value = spec.get(key)
    if not isinstance(value, str) or not value:
        raise DataError(f"{where}.{key}: a non-empty string is needed")
    return value


def _int(spec: Mapping[str, Any], key: str, where: str) -> int:
    value = spec.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise DataError(f"{where}.{key}: a whole number is needed")
    return value


def _decimal(spec: Mapping[str, Any], key: str, where: str) -> Decimal:
    value = spec.get(key)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise DataError(f"{where}.{key}: a number is needed")


def _list(spec: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = spec.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataError(f"{where}.{key}: a list of strings is needed")
    return value


def _choice(spec: Mapping[str, Any], key: str, allowed: tuple[str, ...], where: str) -> str:
    value = _str(spec, key, where) if allowed[0] else str(spec.get(key, ""))
    if value not in allowed:
        raise DataError(f"{where}.{key}: {value!r} is not one of {allowed}")
    return value


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise DataError("usage.toml: parameters must be a table of strings")
    return {str(key): str(item) for key, item in value.items()}
