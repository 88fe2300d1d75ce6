"""docs/cost.md, "What it costs": the figures are the template's own (`dev/cost`, `make cost`).

The block the page holds must be what the script writes from the template now, so a template
change without `make cost` fails here. Its figures must follow the template: an alarm added
raises the idle cost by exactly an alarm's price, the dashboard switched off lowers it by a
dashboard's, and the counts agree with a count made here from the template as written. The
usage assumptions that the code also knows (metric names, the ledger's keep, the watch's
queries) are held to the code.

The SAM transform is the sandbox's (cached by the template's content); like every test that
reads the stack's roles, the first run on a machine needs the package registry for the pinned
translator. Nothing is skipped: a stale page must fail wherever the suite runs.
"""

from __future__ import annotations

import functools
import re
import shutil
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bwp_privacy.alerting.ledger import INCIDENT_KEEP_SECONDS
from bwp_privacy.cases import OPEN_STATES
from bwp_privacy.common.secrets import SECRET_MAX_AGE_SECONDS
from bwp_privacy.deadline_watch.watch import METRICS as WATCH_METRICS
from bwp_sandbox.stack import PROJECT_ROOT, TEMPLATE, load_template
from cost.__main__ import COST_PAGE, main
from cost.data import STATUSES, Configuration, Usage, load_prices, load_usage
from cost.model import Estimate, estimate
from cost.report import BEGIN, END, cost_block, current_block, write_readme

#: The page `make cost` writes, and the one README links for the figures.
PAGE = COST_PAGE
PRICES = load_prices()
USAGE = load_usage()

#: An alarm declared at the top level, and one more nested alarm application: each is one
#: more alarm for every configuration.
EXTRA_ALARM = """
  CostTestAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: !Sub ${AWS::StackName}-cost-test
      Namespace: AWS/Lambda
      MetricName: Errors
      Dimensions:
        - {Name: FunctionName, Value: !Ref RecorderFunction}
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: 0
      ComparisonOperator: GreaterThanThreshold
"""
EXTRA_ALARM_APP = """
  CostTestAlarmApp:
    Type: AWS::Serverless::Application
    Properties:
      Location: templates/alarm.yaml
      Parameters:
        AlarmName: !Sub ${AWS::StackName}-cost-test
        AlarmDescription: One alarm more, added by a test.
        Namespace: AWS/Lambda
        MetricName: Errors
        DimensionName: FunctionName
        DimensionValue: !Ref RecorderFunction
"""


def _estimates(template: Path, extra: Mapping[str, str] | None = None) -> list[Estimate]:
    return [estimate(template, c, PRICES, USAGE, extra) for c in USAGE.configurations]


def _block(template: Path) -> str:
    return cost_block(template)


def _copy_with(tmp_path: Path, resource: str) -> Path:
    """template.yaml with ``resource`` added, its templates/ beside it."""
    text = TEMPLATE.read_text()
    assert text.count("\nOutputs:\n") == 1
    copy = tmp_path / "template.yaml"
    copy.write_text(text.replace("\nOutputs:\n", resource + "\nOutputs:\n"))
    shutil.copytree(TEMPLATE.parent / "templates", tmp_path / "templates")
    return copy


def test_make_cost_writes_the_page_readme_links() -> None:
    assert PAGE == PROJECT_ROOT / "docs" / "cost.md"
    assert "](docs/cost.md)" in (PROJECT_ROOT / "README.md").read_text()


def test_the_cost_page_holds_what_make_cost_writes_now() -> None:
    written = _block(TEMPLATE)
    assert current_block(PAGE) == written, (
        'docs/cost.md ("What it costs") is not what the template costs now: run `make cost`'
    )


@pytest.mark.parametrize("resource", [EXTRA_ALARM, EXTRA_ALARM_APP], ids=["top-level", "nested"])
def test_an_alarm_more_costs_exactly_an_alarm_more(tmp_path: Path, resource: str) -> None:
    before = _estimates(TEMPLATE)
    after = _estimates(_copy_with(tmp_path, resource))
    for old, new in zip(before, after, strict=True):
        assert new.counts.alarms == old.counts.alarms + 1, new.configuration.title
        assert new.idle_total - old.idle_total == PRICES["cloudwatch_alarm"]
        assert new.failures_total == old.failures_total


def test_the_dashboard_switched_off_saves_exactly_its_price() -> None:
    for on, off in zip(
        _estimates(TEMPLATE), _estimates(TEMPLATE, {"EnableDashboard": "false"}), strict=True
    ):
        assert on.counts.dashboards == 1
        assert off.counts.dashboards == 0
        assert on.idle_total - off.idle_total == PRICES["cloudwatch_dashboard"]
    assert "With `EnableDashboard=false`" in current_block(PAGE)


def test_counts_agree_with_a_count_of_the_template_as_written() -> None:
    raw = load_template(TEMPLATE)
    for configuration, counted in zip(USAGE.configurations, _estimates(TEMPLATE), strict=True):
        values = _parameter_values(raw, configuration, USAGE)
        holds = _conditions(raw, values)
        deployed = {
            name: resource
            for name, resource in raw["Resources"].items()
            if holds(resource.get("Condition"))
        }

        counts = counted.counts
        of = functools.partial(_of_type, deployed)
        alarms = (
            of("AWS::CloudWatch::Alarm")
            + of("AWS::Serverless::Application", "templates/alarm.yaml")
            + of("AWS::Serverless::Application", "templates/dead-letter-queue.yaml")
        )
        assert counts.alarms == alarms, configuration.title
        assert counts.dashboards == of("AWS::CloudWatch::Dashboard")
        assert counts.kms_keys == of("AWS::KMS::Key")
        assert len(counts.functions) == of("AWS::Serverless::Function")
        assert counts.queues == of("AWS::SQS::Queue") + of(
            "AWS::Serverless::Application", "templates/dead-letter-queue.yaml"
        )
        assert counts.archives == of("AWS::Events::Archive")
        tables = {n: r for n, r in deployed.items() if r["Type"] == "AWS::DynamoDB::Table"}
        assert set(counts.tables) == set(tables)
        for name, table in tables.items():
            indexes = table["Properties"].get("GlobalSecondaryIndexes", [])
            assert counts.tables[name].gsis_all == sum(
                1 for i in indexes if i["Projection"]["ProjectionType"] == "ALL"
            )
        # The credentials secret, and a secret per receiver whose parameter is set.
        secrets = {"BwpCredentialsSecretName"} | {
            name
            for name in raw["Parameters"]
            if name.endswith("SecretName") and name != "BwpCredentialsSecretName" and values[name]
        }
        assert set(counts.secrets) == secrets
        for schedule in counts.schedules:
            assert schedule.expression == "rate(5 minutes)"
            assert schedule.runs_per_month == PRICES.hours_per_month * 12


def test_the_usage_figures_the_code_knows_are_the_code_s() -> None:
    """A metric renamed, a watch query added or a cache age changed must change usage.toml."""
    code = "\n".join(
        path.read_text()
        for root in (PROJECT_ROOT / "shared" / "bwp_privacy", PROJECT_ROOT / "functions")
        for path in root.rglob("*.py")
    )
    metrics = [m for step in USAGE.steps for m in step.metrics]
    delivery = USAGE.delivery
    metrics += [*delivery.sent_metrics, *delivery.resolved_metrics, *delivery.not_needed_metrics]
    for metric in metrics:
        match = re.fullmatch(r"(\w+)\{([\w,]+)\}", metric)
        assert match is not None, f"usage.toml: {metric!r} is not Name{{dimension,...}}"
        name, dimensions = match.groups()
        assert f'"{name}"' in code, f"usage.toml names {name}, which no function sends"
        assert "service" in dimensions.split(","), metric  # Powertools' default dimension
    watch = USAGE.scheduled["DeadlineWatchFunction"]
    assert [m.split("{")[0] for m in watch.metrics] == list(WATCH_METRICS.values())
    assert watch.queries == len(OPEN_STATES)
    assert delivery.ledger_kept_days == INCIDENT_KEEP_SECONDS // 86400
    assert f"{SECRET_MAX_AGE_SECONDS} s" in dict(USAGE.reasons)["secrets"]
    assert USAGE.attempts >= 1
    assert set(USAGE.functions) >= {step.function for step in USAGE.steps}


def test_every_price_names_its_page_date_and_how_it_was_checked() -> None:
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", PRICES.read_on)
    assert PRICES.region == "us-east-1"
    for item in PRICES.items.values():
        assert item.source.startswith("https://aws.amazon.com/"), item.key
        assert item.status in STATUSES, item.key
        assert (item.status == "not checked") != bool(item.checked_against), item.key
        assert item.price > 0, item.key
    block = current_block(PAGE)
    unchecked = [i for i in PRICES.items.values() if i.status == "not checked"]
    assert block.count("**not checked**") == len(unchecked)
    assert PRICES.read_on in block


def test_the_readme_is_rewritten_between_its_markers_only(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    begin = f"{BEGIN} (written by `make cost`) -->\n"
    readme.write_text(f"# title\n\n{begin}old figures\n{END}\n\nafter\n")
    block = _block(TEMPLATE)
    assert main(["--write-readme", "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith(f"# title\n\n{begin}")
    assert text.endswith(f"{END}\n\nafter\n")
    assert "old figures" not in text
    assert current_block(readme) == block
    assert not write_readme(readme, block)  # already current


def test_python_m_cost_prints_the_block_of_the_template_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = _copy_with(tmp_path, EXTRA_ALARM)
    block = _block(copy)
    assert main(["--template", str(copy)]) == 0
    printed = capsys.readouterr().out
    assert printed == block
    assert printed != _block(TEMPLATE)


def _of_type(resources: Mapping[str, Any], kind: str, location: str | None = None) -> int:
    """How many of ``resources`` are of ``kind`` (and, for an application, at ``location``)."""
    return sum(
        1
        for r in resources.values()
        if r["Type"] == kind and (location is None or r["Properties"].get("Location") == location)
    )


# ---- an evaluator of the conditions as written, independent of the cost package's ---------


def _parameter_values(
    raw: Mapping[str, Any], configuration: Configuration, usage: Usage
) -> dict[str, str]:
    given = {**usage.deployment_parameters, **configuration.parameters}
    return {
        name: str(given.get(name, spec.get("Default", "")))
        for name, spec in raw["Parameters"].items()
    }


def _conditions(raw: Mapping[str, Any], values: Mapping[str, str]) -> Callable[[str | None], bool]:
    declared = raw.get("Conditions", {})

    def value(node: Any) -> str:
        if isinstance(node, dict) and "Ref" in node:
            return values[node["Ref"]]
        assert isinstance(node, str | int), f"not handled here: {node!r}"
        return str(node)

    def truth(node: Any) -> bool:
        [(key, argument)] = node.items()
        if key == "Equals":
            return value(argument[0]) == value(argument[1])
        if key == "Not":
            return not truth(argument[0])
        if key == "Or":
            return any(truth(item) for item in argument)
        if key == "And":
            return all(truth(item) for item in argument)
        if key == "Condition":
            return truth(declared[argument])
        raise AssertionError(f"not handled here: {node!r}")

    def holds(name: str | None) -> bool:
        return name is None or truth(declared[name])

    return holds


def test_figures_are_decimal_exact() -> None:
    """Sums of prices stay exact (a float would make the alarm test's equality luck)."""
    for counted in _estimates(TEMPLATE):
        assert isinstance(counted.idle_total, Decimal)
        assert counted.idle_total > 0
        assert counted.failures_total > 0
