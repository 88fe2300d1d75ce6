"""The Markdown block docs/cost.md ("What it costs") holds, and its rewrite between the markers.

The block is a pure function of the template, the two data files and the catalogue: no clock,
no network. So tests/template/test_cost.py can compare the page with a fresh rendering and fail
when the template changed and `make cost` was not run.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from cost.counts import TOP_LEVEL, StackCounts
from cost.data import Prices, Usage, load_prices, load_usage
from cost.model import Estimate, Line, estimate

BEGIN = "<!-- cost:begin"
END = "<!-- cost:end -->"
#: The mark of a figure that uses a price nobody could check (prices.toml: "not checked").
UNCHECKED = "†"
#: The line of the custom metrics (explained below the table when it is the largest).
METRICS_SERVICE = "CloudWatch metrics"
#: The template parameter that leaves the dashboard out.
DASHBOARD_PARAMETER = "EnableDashboard"


class ReadmeError(ValueError):
    """The page (docs/cost.md) has no cost markers, or more than one pair."""


def render(
    estimates: Sequence[Estimate],
    without_dashboard: Sequence[Estimate],
    prices: Prices,
    usage: Usage,
) -> str:
    """The block: idle cost, cost per month of failures, prices, counts, assumptions.

    ``without_dashboard`` holds the same configurations with EnableDashboard=false, counted
    from the template again (the saving is what the template's condition removes)."""
    template = estimates[0].counts.template.name
    out: list[str] = []
    add = out.append
    add(
        f"What the stack costs a month in **{prices.region}**, at on-demand list prices read on "
        f"{prices.read_on}, free tiers left out. `make cost` writes this section "
        f"(`python -m cost`, in `dev/cost/`): the counts are {template}'s own, after the SAM "
        "transform, with its conditions and nested stacks (`templates/`), so a new alarm "
        "changes the figure; prices are `dev/cost/prices.toml`, usage `dev/cost/usage.toml`."
        f" {UNCHECKED}: uses a price that could not be checked."
    )
    add("")
    runs = "; ".join(
        f"{s.function} still runs, `{s.expression}`" for s in estimates[0].counts.schedules
    )
    add(f"**Idle** (no failure at all{'; ' + runs if runs else ''}):")
    add("")
    add(_table_of(estimates, "idle", prices))
    saving = []
    for with_it, without in zip(estimates, without_dashboard, strict=True):
        saved = with_it.idle_total - without.idle_total
        saving.append(
            f"{with_it.configuration.title}: {_money(without.idle_total)} (saves {_money(saved)})"
        )
    add("")
    add(
        f"With `{DASHBOARD_PARAMETER}=false`: "
        + "; ".join(saving)
        + ". The first three dashboards of an account are free: in an account with fewer, "
        "the dashboard costs nothing."
    )
    if any(e.counts.kms_rotating for e in estimates):
        add(
            "The key rotates every year: each rotation adds "
            f"{_money(prices['kms_rotated_key'])} a month (AWS charges the first two only, "
            "which was not checked here)."
        )
    add("")
    failures = f"{usage.failures:,}"
    attempts = (
        "1 attempt, which completes"
        if usage.attempts == 1
        else f"{usage.attempts} attempts, the last of which completes"
    )
    add(
        f"**Per {failures} failures** (a month in which {failures} `{usage.playbook}` failures "
        f"arrive, each case carried to its end: {attempts}; storage is what such months keep "
        "once the retention is full):"
    )
    add("")
    add(_table_of(estimates, "failures", prices))
    largest = max(estimates[-1].failures, key=lambda line: line.cost)
    if largest.service == METRICS_SERVICE and largest.cost * 2 > estimates[-1].failures_total:
        add("")
        add(
            "Custom metrics are most of it: each metric name and dimension set the functions "
            f"send (EMF) is a metric at {_money(prices['cloudwatch_custom_metric'])} a month, "
            f"prorated by the hours it is sent in, so {failures} failures a month keep most of "
            "them billed nearly every hour; fewer failures cost less than in proportion."
        )
    # The counts, prices and assumptions behind the figures: folded, so that the page's reader
    # meets the figures and goes on to the next section.
    add("")
    add(f"<details><summary><b>Counts read from {template}</b></summary>")
    add("")
    add(_counts(estimates))
    add("")
    add("</details>")
    add("")
    add(
        f"<details><summary><b>Prices</b> ({prices.region}, read on {prices.read_on}; free"
        " tiers left out)</summary>"
    )
    add("")
    add("| | price | AWS's page | checked on |")
    add("|---|---:|---|---|")
    for item in prices.items.values():
        checked = {
            "aws page": _link(item.checked_against),
            "third party": f"a third-party page, {_link(item.checked_against)}",
            "not checked": f"**not checked** {UNCHECKED}",
        }[item.status]
        add(f"| {item.unit} | {_price(item.price)} | {_link(item.source)} | {checked} |")
    add("")
    add(f"Free tiers left out: {prices.free_tiers}.")
    add("")
    add("</details>")
    add("")
    add(
        "<details><summary><b>Assumptions</b> (<code>dev/cost/usage.toml</code>, each with "
        "its reason)</summary>"
    )
    add("")
    add(
        f"- open cases: a case stays open {estimates[0].open_days:.0f} days (the delays of "
        f"the catalogue's {usage.playbook} for {usage.attempts} attempts, then the "
        "completion), and the deadline watch reads it at every run"
    )
    for key, reason in usage.reasons:
        add(f"- {key}: {reason}")
    add(
        "- not counted: the COMPLETED events of tasks that never failed (each a partner event, "
        "a reaction run, a read and a kept write), data transfer, the dashboard's metric "
        "reads, the alarms' notifications, and Buy with Prime itself"
    )
    add("")
    add("</details>")
    # Blank lines around the block: the markers are HTML comments, the block starts and ends
    # with Markdown of its own.
    return "\n" + "\n".join(out) + "\n\n"


def _table_of(estimates: Sequence[Estimate], part: str, prices: Prices) -> str:
    titles = [e.configuration.title for e in estimates]
    rows = ["| | " + " | ".join(titles) + " |", "|---|" + "---:|" * len(titles)]
    columns: list[tuple[Line, ...]] = [getattr(e, part) for e in estimates]
    services = list(dict.fromkeys(line.service for column in columns for line in column))
    for service in services:
        cells = []
        flagged = False
        for column in columns:
            found = [line for line in column if line.service == service]
            cost = sum((line.cost for line in found), Decimal(0))
            what = "; ".join(line.what for line in found)
            flagged |= any(
                prices.items[key].status == "not checked" for line in found for key in line.uses
            )
            cells.append(f"{_money(cost)}: {what}" if found else "—")
        name = service + (f" {UNCHECKED}" if flagged else "")
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    totals = [_money(sum((line.cost for line in column), Decimal(0))) for column in columns]
    rows.append("| **total** | " + " | ".join(f"**{total}**" for total in totals) + " |")
    return "\n".join(rows)


def _counts(estimates: Sequence[Estimate]) -> str:
    titles = [e.configuration.title for e in estimates]
    rows = ["| | " + " | ".join(titles) + " |", "|---|" + "---|" * len(titles)]
    for label, cell in _COUNT_ROWS:
        rows.append(f"| {label} | " + " | ".join(cell(e.counts) for e in estimates) + " |")
    return "\n".join(rows)


def _alarms(counts: StackCounts) -> str:
    parts = [
        f"{n} in {origin}" if origin != TOP_LEVEL else f"{n} at the top level"
        for origin, n in sorted(counts.alarms_by_origin.items())
    ]
    return f"{counts.alarms}: " + ", ".join(parts)


def _functions(counts: StackCounts) -> str:
    return ", ".join(
        f"{f.name} {f.memory_mb} MB {f.architecture}" + (" traced" if f.traced else "")
        for f in counts.functions.values()
    )


def _tables(counts: StackCounts) -> str:
    described = []
    for table in counts.tables.values():
        notes = []
        if table.gsis_all:
            notes.append(f"{table.gsis_all} GSI{'s' if table.gsis_all != 1 else ''} ALL")
        if table.gsis_other:
            notes.append(f"{table.gsis_other} other GSI{'s' if table.gsis_other != 1 else ''}")
        if table.pitr:
            notes.append("PITR")
        described.append(table.name + (f" ({', '.join(notes)})" if notes else ""))
    return ", ".join(described)


def _schedules(counts: StackCounts) -> str:
    return ", ".join(
        f"{s.function} `{s.expression}`: {s.runs_per_month:,.0f} runs a month"
        for s in counts.schedules
    )


def _subscriptions(counts: StackCounts) -> str:
    subscriptions = len(counts.subscriptions)
    return (
        f"{counts.topics} topic{'s' if counts.topics != 1 else ''}"
        + (" (the stack's key)" if counts.topics_encrypted else "")
        + f", {subscriptions} subscription{'s' if subscriptions != 1 else ''}: "
        + ", ".join(s.name for s in counts.subscriptions)
    )


_COUNT_ROWS = (
    ("KMS keys", lambda c: f"{c.kms_keys}" + (" (rotating yearly)" if c.kms_rotating else "")),
    ("CloudWatch alarms", _alarms),
    ("CloudWatch dashboards", lambda c: str(c.dashboards)),
    ("Lambda functions", _functions),
    ("schedules", _schedules),
    ("DynamoDB tables (on demand)", _tables),
    ("secrets the roles read", lambda c: ", ".join(c.secrets)),
    (
        "SQS queues",
        lambda c: f"{c.queues}, {c.sqs_event_sources} polled by Lambda",
    ),
    ("SNS", _subscriptions),
    (
        "EventBridge archive",
        lambda c: (
            f"{c.archives}, {c.archive_retention_days} days: "
            + ", ".join(sorted(c.archive_detail_types))
        ),
    ),
    (
        "log groups",
        lambda c: (
            f"{c.log_groups}, "
            + ", ".join(sorted({f"{f.log_retention_days} days" for f in c.functions.values()}))
            + (" (the stack's key)" if any(f.log_encrypted for f in c.functions.values()) else "")
        ),
    ),
    (
        "retention",
        lambda c: (
            f"RetentionDays {c.parameters.get('RetentionDays', '?')}, "
            f"LogRetentionDays {c.parameters.get('LogRetentionDays', '?')}"
        ),
    ),
)


def _money(value: Decimal) -> str:
    if value == 0:
        return "$0"
    if value >= Decimal("0.995"):
        return f"${value:,.2f}"
    if value >= Decimal("0.01"):
        return f"${value:.2f}"
    if value >= Decimal("0.001"):
        return f"${value:.3f}"
    return "<$0.001"


def _price(value: Decimal) -> str:
    """A unit price as AWS quotes small ones: per million when that is a round figure."""
    per_million = value * 1_000_000
    if value < Decimal("0.001") and per_million == per_million.quantize(Decimal("0.001")):
        decimals = 2 if per_million == per_million.quantize(Decimal("0.01")) else 3
        return f"${per_million:.{decimals}f} per million"
    if value == value.quantize(Decimal("0.01")):
        return f"${value:.2f}"
    return f"${value.normalize():f}"


def _link(url: str) -> str:
    """A page as a Markdown link named by its host and path."""
    shown = url.split("://", 1)[-1].rstrip("/")
    if len(shown) > 48:
        shown = shown[:45].rstrip("/") + "…"
    return f"[{shown}]({url})"


def cost_block(template: Path, prices: Prices | None = None, usage: Usage | None = None) -> str:
    """The block for ``template`` with the data files (or the given ones)."""
    prices = prices or load_prices()
    usage = usage or load_usage()
    estimates = [estimate(template, c, prices, usage) for c in usage.configurations]
    without = [
        estimate(template, c, prices, usage, {DASHBOARD_PARAMETER: "false"})
        for c in usage.configurations
    ]
    return render(estimates, without, prices, usage)


def write_readme(readme: Path, block: str) -> bool:
    """Put ``block`` between the page's markers (kept as they are); True if it changed."""
    text = readme.read_text()
    lines = text.splitlines(keepends=True)
    begin, end = _markers(lines, readme)
    updated = "".join([*lines[: begin + 1], block, *lines[end:]])
    if updated == text:
        return False
    readme.write_text(updated)
    return True


def current_block(readme: Path) -> str:
    """What the page holds between its markers."""
    lines = readme.read_text().splitlines(keepends=True)
    begin, end = _markers(lines, readme)
    return "".join(lines[begin + 1 : end])


def _markers(lines: Sequence[str], readme: Path) -> tuple[int, int]:
    begins = [n for n, line in enumerate(lines) if line.startswith(BEGIN)]
    ends = [n for n, line in enumerate(lines) if line.rstrip("\n") == END]
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        raise ReadmeError(
            f"{readme.name}: expected one line starting {BEGIN!r} and, after it, one {END!r}"
        )
    return begins[0], ends[0]
