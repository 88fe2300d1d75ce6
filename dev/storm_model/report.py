"""The storm's figures: a summary (what the tests check) and the report (console or Markdown),
which prints every number the run used and where it came from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storm_model import api, lambdas, storm
from storm_model.costs import LEFT_OUT, storm_costs
from storm_model.scenario import ASSUMPTIONS
from storm_model.storm import Storm, last_end_s, open_states
from storm_model.tables import PARTITION_WCU_LIMIT

DAY = 86_400.0


@dataclass(frozen=True)
class Summary:
    failures: int
    budget: float
    paced: bool
    peak_requests_per_second: float
    p99_requests_per_second: float
    peak_graphql_per_second: float
    peak_tokens_per_second: float
    peak_second: int | None
    requests: int
    budget_refusals: int
    recorded_hours: float
    last_end_days: float
    states: dict[str, int]
    late: int
    parked: int
    lost_failures: int
    double_starts: int
    start_replays: int
    attempts_started: int
    pages: int
    slack_webhook_messages: int
    slack_bot_threads: int
    busiest_partition: str
    busiest_partition_wcu: float
    cost_dollars: float

    @property
    def within_budget(self) -> bool:
        return self.peak_requests_per_second <= self.budget


def summarise(run: Storm) -> Summary:
    both = run.api.all_requests()
    peaks = run.tables.peaks()
    busiest = peaks[0] if peaks else ("", 0.0, 0.0)
    outcomes = run.outcomes
    functions = (run.recorder, run.reaction, run.router)
    return Summary(
        failures=run.settings.failures,
        budget=run.settings.api_requests_per_second,
        paced=run.api.paced,
        peak_requests_per_second=both.peak(),
        p99_requests_per_second=both.percentile(99),
        peak_graphql_per_second=run.api.counts.graphql.peak(),
        peak_tokens_per_second=run.api.counts.tokens.peak(),
        peak_second=both.peak_second(),
        requests=int(both.total),
        budget_refusals=run.api.counts.budget_spent,
        recorded_hours=outcomes.last_first_recorded_at / 3600,
        last_end_days=last_end_s(run) / DAY,
        states=open_states(run),
        late=len(outcomes.late),
        parked=sum(f.stats.parked for f in functions),
        lost_failures=outcomes.lost_failures,
        double_starts=_double_starts(run),
        start_replays=outcomes.start_replays,
        attempts_started=outcomes.attempts_started,
        pages=run.alerts.pagerduty_incidents,
        slack_webhook_messages=run.alerts.slack_webhook_messages,
        slack_bot_threads=run.alerts.slack_bot_threads,
        busiest_partition=busiest[0],
        busiest_partition_wcu=busiest[1],
        cost_dollars=sum(line.dollars for line in storm_costs(run)),
    )


def _double_starts(run: Storm) -> int:
    """Attempts of a case that started more than one task: counted on the cases themselves
    (each linked task's attempt number), so a start the model let through twice would show."""
    doubles = 0
    for case in run.cases.values():
        attempts = [task.attempt for task in case.tasks if task.attempt > 0]
        doubles += len(attempts) - len(set(attempts))
    return doubles


Row = tuple[str, ...]
#: Partitions listed by name (the busiest); the rest are summed up in one line.
LISTED_PARTITIONS = 8


class _Page:
    """Console text or Markdown, the same tables."""

    def __init__(self, markdown: bool) -> None:
        self.markdown = markdown
        self.lines: list[str] = []

    def line(self, text: str) -> None:
        self.lines.append(text)

    def heading(self, text: str) -> None:
        self.lines.append(f"\n### {text}\n" if self.markdown else f"\n== {text} ==")

    def table(self, headers: Row, rows: Sequence[Row]) -> None:
        if self.markdown:
            self.lines.append("| " + " | ".join(headers) + " |")
            self.lines.append("|" + "---|" * len(headers))
            self.lines.extend("| " + " | ".join(row) + " |" for row in rows)
            return
        widths = [max(len(row[i]) for row in (headers, *rows)) for i in range(len(headers))]
        for row in (headers, *rows):
            self.lines.append("  ".join(x.ljust(w) for x, w in zip(row, widths, strict=True)))

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def render(run: Storm, *, markdown: bool = False) -> str:
    s = summarise(run)
    page = _Page(markdown)
    mode = "before (no pacer, FlexibleTimeWindow OFF)" if run.settings.before else "after"
    page.line(
        f"Storm model: {s.failures:,} PERSONAL_DATA_DELETION_TASK_FAILED events of one merchant "
        f"in {run.settings.storm_hours:g} h, design {mode}, seed {run.settings.seed}"
    )
    page.heading("Verdict")
    verdicts: list[Row] = [
        (
            "API requests per second never above the budget",
            f"{'yes' if s.within_budget else 'NO'} (peak {s.peak_requests_per_second:g}, "
            f"budget {s.budget:g})",
        ),
        ("cases ended or escalated after their legal deadline", f"{s.late:,}"),
        ("events parked in OnFailure", f"{s.parked:,} ({s.lost_failures:,} storm failures)"),
        ("double starts (two tasks for one attempt)", f"{s.double_starts:,}"),
    ]
    page.table(("check", "result"), verdicts)
    _api(page, run, s)
    _cases(page, run, s)
    _functions(page, run)
    _alerts(page, run, s)
    _partitions(page, run)
    _costs(page, run, s)
    page.heading("Numbers used")
    page.table(("number", "value", "from"), run.settings.rows())
    page.heading("Assumptions")
    for line in (*ASSUMPTIONS, *MODEL_ASSUMPTIONS):
        page.line(f"- {line}")
    return page.text()


def _api(page: _Page, run: Storm, s: Summary) -> None:
    page.heading("Buy with Prime API")
    budget = f"{s.budget:g}" + ("" if s.paced else " (not enforced)")
    rows: list[Row] = [
        ("requests (GraphQL + token)", f"{s.requests:,}"),
        ("peak requests in one second (GraphQL + token)", f"{s.peak_requests_per_second:g}"),
        ("p99 of the busy seconds", f"{s.p99_requests_per_second:g}"),
        ("peak GraphQL requests in one second", f"{s.peak_graphql_per_second:g}"),
        ("peak token requests in one second", f"{s.peak_tokens_per_second:g}"),
        ("token requests", f"{int(run.api.counts.tokens.total):,}"),
        ("the peak's second (from the first failure)", _when(s.peak_second)),
        ("budget (ApiRequestsPerSecond)", budget),
        ("slots refused (BudgetSpent: the invocation fails, retried)", f"{s.budget_refusals:,}"),
        ("seconds spent waiting for slots (billed)", f"{run.api.counts.waited_s:,.0f}"),
    ]
    page.table(("figure", "value"), rows)


def _cases(page: _Page, run: Storm, s: Summary) -> None:
    page.heading("Cases")
    rows: list[Row] = [
        ("every storm failure recorded after", f"{s.recorded_hours:.2f} h"),
        ("last case ended or escalated after", f"{s.last_end_days:.1f} days"),
        ("attempts started (new tasks)", f"{s.attempts_started:,}"),
        ("start retries answered with the attempt's task (client token)", f"{s.start_replays:,}"),
        ("Scheduler invocations", f"{run.outcomes.schedules_fired:,}"),
        ("inputs that changed nothing (stale or repeated)", f"{run.outcomes.stale_inputs:,}"),
    ]
    rows += [(f"cases {state}", f"{count:,}") for state, count in sorted(s.states.items())]
    page.table(("figure", "value"), rows)


def _functions(page: _Page, run: Storm) -> None:
    page.heading("Functions")
    rows: list[Row] = []
    for function in (run.recorder, run.reaction, run.router):
        st = function.stats
        rows.append(
            (
                function.name,
                f"{st.invocations:,}",
                f"{st.cold_starts:,}",
                f"{st.peak_concurrency:,}",
                f"{st.throttles:,}",
                f"{st.errors:,}",
                f"{st.parked:,}",
                f"{st.gb_seconds:,.0f}",
            )
        )
    headers = ("function", "invocations", "cold", "peak conc.", "throttles", "errors")
    page.table((*headers, "OnFailure", "GB-s"), rows)


def _alerts(page: _Page, run: Storm, s: Summary) -> None:
    page.heading("Alerts")
    alerts = run.alerts
    rows: list[Row] = [
        ("PagerDuty incidents (pages: one per escalated case, dedup_key = case)", f"{s.pages:,}"),
        ("PagerDuty events (triggers and resolves)", f"{alerts.pagerduty_events:,}"),
        (
            "Slack webhook: messages (one per group per router batch)",
            f"{s.slack_webhook_messages:,}",
        ),
        ("Slack bot: threads (one per case)", f"{s.slack_bot_threads:,}"),
        ("Slack bot: messages and edits", f"{alerts.slack_bot_messages:,}"),
        ("router batches", f"{alerts.router_batches:,}"),
    ]
    page.table(("figure", "value"), rows)


def _partitions(page: _Page, run: Storm) -> None:
    page.heading("DynamoDB: peak write units in one second, per index partition")
    peaks = run.tables.peaks()
    rows: list[Row] = [
        (name, f"{peak:,.0f}", f"{PARTITION_WCU_LIMIT:,}", f"{total:,.0f}")
        for name, peak, total in peaks[:LISTED_PARTITIONS]
    ]
    rest = peaks[LISTED_PARTITIONS:]
    if rest:
        rows.append(
            (
                f"{len(rest)} more partitions",
                f"at most {max(p for _, p, _ in rest):,.0f}",
                f"{PARTITION_WCU_LIMIT:,}",
                f"{sum(t for _, _, t in rest):,.0f}",
            )
        )
    page.table(("partition", "peak WCU/s", "limit", "total WCU"), rows)


def _costs(page: _Page, run: Storm, s: Summary) -> None:
    page.heading("Cost of the storm (list prices, dev/cost/prices.toml; free tiers left out)")
    rows: list[Row] = [
        (line.what, f"{line.count:,.0f} {line.unit}", f"${line.dollars:,.4f}")
        for line in storm_costs(run)
    ]
    rows.append(("total", "", f"${s.cost_dollars:,.2f}"))
    page.table(("what", "count", "cost"), rows)
    page.line(f"Left out: {LEFT_OUT}.")


MODEL_ASSUMPTIONS = (
    f"API latency lognormal, median {api.LATENCY_MEDIAN_S * 1000:g} ms, sigma "
    f"{api.LATENCY_SIGMA:g}; the API never refuses a request (the budget keeps it under)",
    f"cold start init {lambdas.COLD_START_S:g} s; an environment idle "
    f"{lambdas.IDLE_RECLAIM_S / 60:g} minutes is reclaimed; DynamoDB "
    f"{storm.DYNAMODB_S * 1000:g} ms, SNS "
    f"{storm.SNS_PUBLISH_S * 1000:g} ms a request; a receiver's request "
    f"{storm.RECEIVER_REQUEST_S * 1000:g} ms",
    "requests are made as BwpClient makes them: a token (when the environment's is missing or "
    "within a minute of its 15 minutes) takes a slot of the token key, then one of the budget, "
    "each within the request timeout (ApiSettings' 5 s); the request takes its slot within the "
    "invocation's end less 1.25 s (the client's margin and MIN_REQUEST_SECONDS); a refused slot "
    "is retried by the client (the real Backoff, 5 attempts) when the wait fits, else the "
    "invocation fails",
    "double starts: Buy with Prime starts one task per client token (the model's assumption of "
    "the API: a start retried with the attempt's token gets the attempt's task); the count "
    "is read on the cases (two linked tasks with one attempt number), so a start the decisions "
    "let through twice would show",
    f"throttled asynchronous events retried by Lambda with backoff "
    f"{lambdas.THROTTLE_BACKOFF_FIRST_S:g} s to {lambdas.THROTTLE_BACKOFF_MAX_S:g} s until "
    "their maximum age; function errors retried about 1 and 2 minutes later; then OnFailure",
    "Scheduler invokes an attempt at a uniformly random time in its flexible window; its "
    "asynchronous invoke is always accepted (its retry policy never comes into play)",
    "the account's unreserved pool is shared by the unreserved functions; the router is "
    "unreserved and bounded by its event source's maximum concurrency",
    "alerts: PagerDuty and Slack configured; every published failure is alerted on its "
    "code's route (DATA_SUBJECT_NOT_FOUND to webhook and EventBridge only), each escalation "
    "is critical; the repeat window and silences are not modelled",
    "case item sizes measured once per (state, transitions, tasks) shape on the cases store's "
    "own item; reads strongly consistent; a failed conditional write costs one write unit",
)


def _when(second: int | None) -> str:
    if second is None:
        return "-"
    days, rest = divmod(second, 86_400)
    hours, rest = divmod(rest, 3600)
    return f"day {days}, {hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
