"""The monthly cost of one configuration: idle, and for a month of failures, line by line.

Counts come from the template (`counts`), prices and usage from the data files (`data`). A line
says what it charges for in the template's own numbers (15 alarms at $0.10), so that a reader
can check it against the stack, and a test against the template.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from bwp_privacy.catalogue import Resubmit, shipped_catalogue
from cost.counts import StackCounts, Table, count_stack
from cost.data import Configuration, Item, Prices, Step, Usage

PROJECT_ROOT = Path(__file__).resolve().parents[2]
KB_PER_GB = Decimal(1024 * 1024)
#: The sign between a count and its price ("15 alarms", "$0.10"): named, as ruff takes the
#: character for a confusable x.
TIMES = "\N{MULTIPLICATION SIGN}"
#: The largest payload SNS and SQS bill as one request.
CHUNK_KB = Decimal(64)
#: The function that takes on-call actions (Slack's buttons, PagerDuty's webhooks): without
#: it, no step `per = "oncall_action"` happens, whichever function carries it out.
ONCALL_FUNCTION = "InboundFunction"
#: A DynamoDB write unit covers 1 KB, a strongly consistent read unit 4 KB.
WRITE_UNIT_KB = Decimal(1)
READ_UNIT_KB = Decimal(4)


class ModelError(ValueError):
    """The usage names something this configuration does not deploy, or is inconsistent."""


@dataclass(frozen=True)
class Line:
    service: str
    what: str
    cost: Decimal
    #: The prices it is figured with (the report flags one that was not checked).
    uses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Estimate:
    configuration: Configuration
    counts: StackCounts
    idle: tuple[Line, ...]
    failures: tuple[Line, ...]
    #: How long a typical case stays open (the deadline watch reads it at every run).
    open_days: Decimal

    @property
    def idle_total(self) -> Decimal:
        return sum((line.cost for line in self.idle), Decimal(0))

    @property
    def failures_total(self) -> Decimal:
        return sum((line.cost for line in self.failures), Decimal(0))


def estimate(
    template: Path,
    configuration: Configuration,
    prices: Prices,
    usage: Usage,
    extra_parameters: Mapping[str, str] | None = None,
) -> Estimate:
    """What ``configuration`` of ``template`` costs, idle and for a month of failures."""
    parameters = {
        **usage.deployment_parameters,
        **configuration.parameters,
        **(extra_parameters or {}),
    }
    counts = count_stack(
        template,
        parameters,
        region=prices.region,
        account=usage.account,
        stack_name=usage.stack_name,
        hours_per_month=prices.hours_per_month,
    )
    failures = _Failures(counts, prices, usage, parameters)
    return Estimate(
        configuration=configuration,
        counts=counts,
        idle=_idle(counts, prices, usage),
        failures=failures.lines(),
        open_days=failures.open_days,
    )


def _idle(counts: StackCounts, prices: Prices, usage: Usage) -> tuple[Line, ...]:
    """What the stack costs in a month with no failure: what exists, and the scheduled runs."""
    month = prices.hours_per_month
    for function in counts.functions.values():
        # prices.toml holds Graviton's GB-second price, the one the template's Globals choose.
        if function.architecture != "arm64":
            raise ModelError(f"{function.name} runs on {function.architecture}: price it")
    lines = [
        Line(
            "KMS",
            f"{_n(counts.kms_keys, 'customer managed key')} {TIMES} {_money(prices['kms_key'])}",
            counts.kms_keys * prices["kms_key"],
            ("kms_key",),
        ),
        Line(
            "CloudWatch alarms",
            f"{_n(counts.alarms, 'alarm')} {TIMES} {_money(prices['cloudwatch_alarm'])}",
            counts.alarms * prices["cloudwatch_alarm"],
            ("cloudwatch_alarm",),
        ),
        Line(
            "CloudWatch dashboard",
            f"{_n(counts.dashboards, 'dashboard')} {TIMES} "
            f"{_money(prices['cloudwatch_dashboard'])}",
            counts.dashboards * prices["cloudwatch_dashboard"],
            ("cloudwatch_dashboard",),
        ),
        Line(
            "Secrets Manager",
            f"{_n(len(counts.secrets), 'secret')} the stack reads {TIMES} "
            f"{_money(prices['secret'])}",
            len(counts.secrets) * prices["secret"],
            ("secret",),
        ),
    ]
    # The event sources poll their queues with long polls whether or not a message waits.
    polls = (
        counts.sqs_event_sources
        * usage.sqs_pollers_per_mapping
        * month
        * 3600
        / usage.sqs_long_poll_seconds
    )
    lines.append(
        Line(
            "SQS",
            f"{_n(counts.sqs_event_sources, 'event source')} polling: {polls:,.0f} empty receives",
            polls * prices["sqs_request"],
            ("sqs_request",),
        )
    )
    runs = Decimal(0)
    gb_seconds = traces = log_kb = kms = rru = Decimal(0)
    metrics = Decimal(0)
    series = 0
    for schedule in counts.schedules:
        function = counts.functions[schedule.function]
        spend = usage.functions.get(schedule.function)
        scheduled = usage.scheduled.get(schedule.function)
        if spend is None or scheduled is None:
            raise ModelError(f"usage.toml has no figures for the scheduled {schedule.function}")
        cold = Decimal(1) / usage.watch_cold_every_runs
        billed_ms = cold * spend.cold_ms + (1 - cold) * spend.warm_ms
        runs += schedule.runs_per_month
        gb_seconds += schedule.runs_per_month * billed_ms / 1000 * function.memory_mb / 1024
        traces += schedule.runs_per_month * usage.traces_per_invocation * function.traced
        log_kb += schedule.runs_per_month * spend.log_kb
        kms += schedule.runs_per_month * usage.kms_requests_per_invocation * function.log_encrypted
        rru += schedule.runs_per_month * scheduled.queries * scheduled.empty_query_rru
        # Sent at every run, evenly spaced: billed for every hour that has a run (all of them
        # for a run at least hourly), so each is a whole custom metric-month or a share of one.
        metrics += len(scheduled.metrics) * min(Decimal(1), schedule.runs_per_month / month)
        series += len(scheduled.metrics)
    lines += [
        Line(
            "CloudWatch metrics",
            f"{_n(series, 'custom metric')} sent every run {TIMES} "
            f"{_money(prices['cloudwatch_custom_metric'])}",
            metrics * prices["cloudwatch_custom_metric"],
            ("cloudwatch_custom_metric",),
        ),
        Line(
            "Lambda",
            f"{runs:,.0f} scheduled runs, {gb_seconds:,.0f} GB-s",
            runs * prices["lambda_request"] + gb_seconds * prices["lambda_gb_second"],
            ("lambda_request", "lambda_gb_second"),
        ),
        Line("X-Ray", f"{traces:,.0f} traces", traces * prices["xray_trace"], ("xray_trace",)),
        _logs_line(log_kb, counts, prices),
        Line(
            "DynamoDB",
            f"{rru:,.0f} read units of index queries",
            rru * prices["dynamodb_read_request_unit"],
            ("dynamodb_read_request_unit",),
        ),
        Line(
            "KMS",
            f"{kms:,.0f} requests for log encryption",
            kms * prices["kms_request"],
            ("kms_request",),
        ),
    ]
    return tuple(lines)


def _logs_line(log_kb: Decimal, counts: StackCounts, prices: Prices) -> Line:
    """Ingestion, and the storage a steady month of it keeps (LogRetentionDays of it)."""
    gb = log_kb / KB_PER_GB
    days = max((f.log_retention_days for f in counts.functions.values()), default=0)
    kept = gb * days / _days_per_month(prices)
    return Line(
        "CloudWatch Logs",
        f"{gb * 1024:,.1f} MB ingested, {kept * 1024:,.0f} MB kept for {days} days",
        gb * prices["logs_ingestion"] + kept * prices["logs_storage"],
        ("logs_ingestion", "logs_storage"),
    )


def _days_per_month(prices: Prices) -> Decimal:
    return prices.hours_per_month / 24


class _Failures:
    """A month of ``usage.failures`` failures, each a case carried to its end."""

    def __init__(
        self, counts: StackCounts, prices: Prices, usage: Usage, parameters: Mapping[str, str]
    ) -> None:
        self.counts, self.prices, self.usage = counts, prices, usage
        self.receivers = [
            receiver
            for receiver in usage.receivers.values()
            if parameters.get(receiver.parameter, "")
        ]
        attempts = usage.attempts
        # How often each kind of step happens in one case (usage.toml explains each).
        self.per = {
            "case": 1,
            "failure_event": attempts,
            "refailure": attempts - 1,
            "attempt": attempts,
            "oncall_action": usage.oncall_actions,
        }
        self.tasks = attempts + 1  # the failed task and each attempt's
        self.invocations: dict[str, Decimal] = defaultdict(Decimal)
        self.wru = self.rru = self.partner = self.archived_kb = Decimal(0)
        self.publishes = self.emails = self.sqs = self.kms = self.secrets = Decimal(0)
        self.schedules = Decimal(0)
        # GB held in a steady month, by table: the items themselves, and their copies in the
        # indexes (point-in-time recovery backs up the table's own data only).
        self.stored_gb: dict[str, Decimal] = defaultdict(Decimal)
        self.indexed_gb: dict[str, Decimal] = defaultdict(Decimal)
        self.metrics: dict[str, Decimal] = defaultdict(Decimal)
        self.open_days = Decimal(0)
        self.watch_rru = Decimal(0)

    def lines(self) -> tuple[Line, ...]:
        cases = Decimal(self.usage.failures)
        for step in self.usage.steps:
            if step.function not in self.counts.functions:
                continue  # not deployed in this configuration (the router without receivers)
            if step.per == "oncall_action" and ONCALL_FUNCTION not in self.counts.functions:
                continue  # no on-call action comes where nothing takes them (the reaction's part)
            self._step(step, cases * self.per[step.per])
        self._watch_reads(cases)
        return self._priced()

    # ---- counting ---------------------------------------------------------------------------

    def _step(self, step: Step, times: Decimal) -> None:
        self.invocations[step.function] += times
        # Each invocation's logs go to a log group the stack's key encrypts (when it does).
        function = self.counts.functions[step.function]
        self.kms += times * self.usage.kms_requests_per_invocation * function.log_encrypted
        for event in step.partner_events:
            self.partner += times
            if event.detail_type in self.counts.archive_detail_types:
                self.archived_kb += times * event.kb
        for read in step.reads:
            self.rru += times * _read_units(read)
        for write in step.writes:
            self.wru += times * self._write_units(write)
        for published in step.publishes:
            self._publish(published.detail_type, published.kb, times)
        for stored in step.stored:
            self._store(stored, times, self._kept_days(stored))
        self.secrets += times * step.secret_reads * self.usage.secret_reads_per_use
        self.schedules += times * step.schedule_invocations
        self.sqs += times * step.sqs_requests
        for metric in step.metrics:
            self.metrics[metric] += times
        if step.deliveries:
            self._deliver(step.deliveries, times)

    def _deliver(self, kind: str, times: Decimal) -> None:
        """Each receiver's share of a routed message: a ledger claim and write-back, and for
        an alert sent its audit entry and its secret read."""
        delivery = self.usage.delivery
        ledger = Item("DeliveryLedgerTable", delivery.ledger_kb, "ledger claim or write-back")
        audit = Item("AuditTable", delivery.audit_kb, "alert entry")
        for receiver in self.receivers:
            if kind == "failure":
                sends, metrics = Decimal(receiver.failure_alerts), delivery.sent_metrics
            elif receiver.resolve == "sent":
                sends, metrics = Decimal(1), delivery.resolved_metrics
            else:
                sends, metrics = Decimal(0), delivery.not_needed_metrics
            touched = sends if kind == "failure" else Decimal(1)
            self.wru += times * touched * 2 * self._write_units(ledger)
            self.wru += times * sends * self._write_units(audit)
            self.secrets += times * sends * self.usage.secret_reads_per_use
            self._store(audit, times * sends, self.counts.days(delivery.audit_kept))
            if kind == "resolve":
                # Every receiver is asked about the resolve: each keeps an item for the case.
                self._store(ledger, times, delivery.ledger_kept_days)
            if touched:
                for metric in metrics:
                    self.metrics[metric.replace("receiver", f"receiver={receiver.name}")] += times

    def _publish(self, detail_type: str, kb: Decimal, times: Decimal) -> None:
        chunks = Decimal(math.ceil(kb / CHUNK_KB))
        self.publishes += times * chunks
        if self.counts.topics_encrypted:
            self.kms += times * self.usage.kms_requests_per_publish
        for subscription in self.counts.subscriptions:
            if not subscription.takes(detail_type):
                continue
            if subscription.protocol == "sqs":
                self.sqs += times * chunks * self.usage.sqs_requests_per_delivery
            elif subscription.protocol == "email":
                self.emails += times
            else:
                raise ModelError(f"{subscription.name}: no price for {subscription.protocol}")

    def _write_units(self, item: Item) -> Decimal:
        """A write costs a unit per KB, twice in a transaction, plus one per index it is in."""
        table = self._table(item.table)
        units = Decimal(math.ceil(item.kb / WRITE_UNIT_KB))
        total = units * (2 if item.transactional else 1)
        if item.indexed:
            total += units * table.gsis_all + table.gsis_other
        return total * (self.tasks if item.per_task else 1)

    def _store(self, item: Item, times: Decimal, days: int) -> None:
        """Items written each month and kept ``days``: a steady month holds ``days`` worth."""
        table = self._table(item.table)
        held = times * item.kb / KB_PER_GB * days / _days_per_month(self.prices)
        self.stored_gb[item.table] += held
        if item.indexed:
            self.indexed_gb[item.table] += held * table.gsis_all

    def _kept_days(self, item: Item) -> int:
        if not item.kept:
            raise ModelError(f"{item.table} item {item.what!r}: say how long it is kept")
        if item.kept not in self.counts.parameters:
            raise ModelError(f"{item.table}: kept = {item.kept!r} is no template parameter")
        return self.counts.days(item.kept)

    def _table(self, name: str) -> Table:
        table = self.counts.tables.get(name)
        if table is None:
            raise ModelError(f"usage.toml names {name}, which this configuration does not deploy")
        return table

    def _watch_reads(self, cases: Decimal) -> None:
        """The deadline watch reads every open case from the index at each run."""
        # The shipped catalogue's deletion action for the code (a test's copy of the template
        # has no functions/; the catalogue ships with the library).
        playbook = shipped_catalogue().action(self.usage.playbook, "deletion")
        if not isinstance(playbook, Resubmit):
            raise ModelError(
                f"catalogue: {self.usage.playbook} does not resubmit a deletion (its action: "
                f"{playbook.action})"
            )
        if self.usage.attempts > playbook.max_attempts:
            raise ModelError(
                f"usage.toml: {self.usage.attempts} attempts, the playbook allows "
                f"{playbook.max_attempts}"
            )
        open_days = (
            Decimal(playbook.first_delay.total_seconds())
            + (self.usage.attempts - 1) * Decimal(playbook.interval.total_seconds())
        ) / 86400 + self.usage.completes_after_days
        self.open_days += open_days
        for schedule in self.counts.schedules:
            scheduled = self.usage.scheduled.get(schedule.function)
            if scheduled is None:
                continue
            runs_per_day = schedule.runs_per_month / _days_per_month(self.prices)
            # An eventually consistent index read: half a unit per 4 KB returned.
            per_run = scheduled.case_read_kb / READ_UNIT_KB / 2
            self.watch_rru += cases * open_days * runs_per_day * per_run

    # ---- pricing ---------------------------------------------------------------------------

    def _priced(self) -> tuple[Line, ...]:
        p, usage = self.prices, self.usage
        requests = sum(self.invocations.values(), Decimal(0))
        gb_seconds = traces = log_kb = Decimal(0)
        for name, times in self.invocations.items():
            function = self.counts.functions[name]
            spend = usage.functions.get(name)
            if spend is None:
                raise ModelError(f"usage.toml has no [functions.{name}]")
            cold = usage.failure_cold_fraction
            billed_ms = cold * spend.cold_ms + (1 - cold) * spend.warm_ms
            gb_seconds += times * billed_ms / 1000 * function.memory_mb / 1024
            traces += times * usage.traces_per_invocation * function.traced
            log_kb += times * spend.log_kb
        own = sum(self.stored_gb.values(), Decimal(0))
        stored = own + sum(self.indexed_gb.values(), Decimal(0))
        pitr = sum(
            (gb for table, gb in self.stored_gb.items() if self._table(table).pitr), Decimal(0)
        )
        archive_gb = self.archived_kb / KB_PER_GB
        archive_kept = archive_gb * self.counts.archive_retention_days / _days_per_month(p)
        metric_months = sum(
            (self._metric_share(times) for times in self.metrics.values()), Decimal(0)
        )
        lines = [
            Line(
                "Lambda",
                f"{requests:,.0f} invocations, {gb_seconds:,.0f} GB-s",
                requests * p["lambda_request"] + gb_seconds * p["lambda_gb_second"],
                ("lambda_request", "lambda_gb_second"),
            ),
            Line(
                "DynamoDB requests",
                f"{self.wru:,.0f} write units, {self.rru + self.watch_rru:,.0f} read units "
                f"({self.watch_rru:,.0f} of them the deadline watch's, reading open cases)",
                self.wru * p["dynamodb_write_request_unit"]
                + (self.rru + self.watch_rru) * p["dynamodb_read_request_unit"],
                ("dynamodb_write_request_unit", "dynamodb_read_request_unit"),
            ),
            Line(
                "DynamoDB storage",
                f"{stored * 1024:,.0f} MB held, {(stored - own) * 1024:,.0f} MB of it in "
                f"indexes; {pitr * 1024:,.0f} MB backed up (PITR)",
                stored * p["dynamodb_storage"] + pitr * p["dynamodb_pitr"],
                ("dynamodb_storage", "dynamodb_pitr"),
            ),
            Line(
                "EventBridge",
                f"{self.partner:,.0f} partner events, {archive_gb * 1024:,.1f} MB archived",
                self.partner * p["eventbridge_partner_event"]
                + archive_gb * p["eventbridge_archive_processing"]
                + archive_kept * p["eventbridge_archive_storage"],
                (
                    "eventbridge_partner_event",
                    "eventbridge_archive_processing",
                    "eventbridge_archive_storage",
                ),
            ),
            Line(
                "EventBridge Scheduler",
                f"{self.schedules:,.0f} invocations",
                self.schedules * p["scheduler_invocation"],
                ("scheduler_invocation",),
            ),
            Line(
                "SNS",
                f"{self.publishes:,.0f} publishes"
                + (f", {self.emails:,.0f} e-mails" if self.emails else ""),
                self.publishes * p["sns_publish"] + self.emails * p["sns_email_delivery"],
                ("sns_publish", "sns_email_delivery") if self.emails else ("sns_publish",),
            ),
            Line("SQS", f"{self.sqs:,.0f} requests", self.sqs * p["sqs_request"], ("sqs_request",)),
            Line("KMS", f"{self.kms:,.0f} requests", self.kms * p["kms_request"], ("kms_request",)),
            Line(
                "Secrets Manager",
                f"{self.secrets:,.0f} GetSecretValue calls",
                self.secrets * p["secrets_api_call"],
                ("secrets_api_call",),
            ),
            Line(
                "CloudWatch metrics",
                f"{_n(len(self.metrics), 'custom metric')}, billed {metric_months:.1f} "
                "metric-months",
                metric_months * p["cloudwatch_custom_metric"],
                ("cloudwatch_custom_metric",),
            ),
            _logs_line(log_kb, self.counts, p),
            Line("X-Ray", f"{traces:,.0f} traces", traces * p["xray_trace"], ("xray_trace",)),
        ]
        return tuple(lines)

    def _metric_share(self, times: Decimal) -> Decimal:
        """The part of a month a metric is billed for: the hours it is sent in. Sent ``times``
        times at random over the month's hours, the share of hours with at least one is
        1 - e^(-times/hours)."""
        hours = self.prices.hours_per_month
        return 1 - (-times / hours).exp()


def _read_units(item: Item) -> Decimal:
    """A strongly consistent read: a unit per 4 KB."""
    return Decimal(math.ceil(item.kb / READ_UNIT_KB))


def _money(value: Decimal) -> str:
    return f"${value:,.2f}"


def _n(count: int, thing: str) -> str:
    return f"{count} {thing}{'' if count == 1 else 's'}"
