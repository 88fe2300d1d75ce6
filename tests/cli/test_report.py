"""`bwp-privacy report`: what the compliance report shows, from cases built with a fixed
``now``; and the command through its console script against the sandbox."""

from __future__ import annotations

import json
import math
import re
import tomllib
from datetime import UTC, date, datetime, timedelta
from html import escape, unescape
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from bwp_privacy.cases import Bucket, Case, Cause, CauseKind, Transition
from bwp_privacy.compliance import standing, yearly_stats
from bwp_privacy_cli.json_output import TargetOut
from bwp_privacy_cli.report import ReportData, build_report, render_report
from bwp_privacy_cli.report.model import open_at
from bwp_privacy_cli.schemas import path_of
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.timeline import Timeline
from tests.cli.conftest import Run
from tests.integration.reaction_helpers import BP, FAILED, failed_task
from tests.report_cases import NOW, OFFICER, REACTION, many_cases, realistic_cases, story_case

SANDBOX = TargetOut(env="sandbox", stack=None, region=None)


def report(cases: list[Case], *, weeks: int = 8, due_soon_days: int = 5) -> tuple[ReportData, str]:
    data = build_report(cases, NOW, SANDBOX, due_soon_days=due_soon_days, weeks=weeks)
    return data, render_report(data)


def section(page: str, title: str) -> str:
    """The page from the heading that starts with ``title`` to the next heading."""
    start = page.index(f"<h2>{title}")
    end = page.find("<h2>", start + 1)
    return page[start : end if end != -1 else len(page)]


def days_badges(html: str) -> dict[str, str]:
    """Each standing badge's words and its class (past-due, due-soon, on-time, ended)."""
    return {
        words: css
        for css, words in re.findall(
            r'<span class="days ([a-z-]+)"[^>]*>((?:past due by )?[\w ]+?(?: left)?)</span>', html
        )
        if words not in {bucket.value for bucket in Bucket}
    }


def visible_text(page: str) -> str:
    """The words a reader sees: the body without its chart, tags stripped."""
    body = page[page.index("<body>") :]
    body = re.sub(r"<svg.*?</svg>", " ", body, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def test_at_risk_cases_come_first_past_due_then_due_soon_the_most_overdue_first() -> None:
    cases = [
        story_case("c-on-time", received_days_ago=10, story="waiting"),
        story_case("c-soon-3", received_days_ago=42, story="resubmitted"),
        story_case("c-late-2", received_days_ago=47, story="escalated"),
        story_case("c-soon-1", received_days_ago=44, story="waiting"),
        story_case("c-late-7", received_days_ago=52, story="escalated"),
        story_case("c-done", received_days_ago=50, story="completed", ended_days_ago=2),
    ]
    data, page = report(cases)
    assert [c.case_id for c in data.at_risk] == ["c-late-7", "c-late-2", "c-soon-1", "c-soon-3"]
    assert [c.case_id for c in data.other_open] == ["c-on-time"]
    assert [c.case_id for c in data.recently_ended] == ["c-done"]

    at_risk = section(page, "At risk")
    shown = [at_risk.index(f">{case_id}<") for case_id in ("c-late-7", "c-late-2", "c-soon-1")]
    assert shown == sorted(shown)
    assert "c-on-time" not in at_risk
    assert "c-done" not in at_risk + section(page, "Other open cases")
    # The picture first (at risk, the weeks, the year), then the other open cases and, last,
    # each case's timeline.
    headings = re.findall(r"<h2>([^<]+)</h2>", page)
    assert [h.split(":")[0].split(",")[0] for h in headings] == [
        "At risk",
        "Open cases",
        f"{NOW.year}",
        "Other open cases",
        "Timelines",
    ]
    assert page.index("</header>") < page.index("<h2>At risk")
    assert page.index('<section class="timelines">') < page.index('id="case-1"')


def test_days_left_are_red_past_due_amber_due_soon_green_on_time() -> None:
    _, page = report(
        [
            story_case("c-late", received_days_ago=48, story="escalated"),
            story_case("c-soon", received_days_ago=43, story="waiting"),
            story_case("c-fine", received_days_ago=20, story="waiting"),
        ]
    )
    tables = section(page, "At risk") + section(page, "Other open cases")
    assert days_badges(tables) == {
        "past due by 3 days": "past-due",
        "2 days left": "due-soon",
        "25 days left": "on-time",
    }
    assert "--red: #b91c1c" in page
    assert ".days.past-due { background: var(--red); }" in page


def test_due_soon_days_moves_the_amber_line() -> None:
    case = story_case("c-8-left", received_days_ago=37, story="waiting")
    default, _ = report([case])
    wider, page = report([case], due_soon_days=10)
    assert [c.bucket for c in default.other_open] == [Bucket.ON_TIME]
    assert [c.bucket for c in wider.at_risk] == [Bucket.DUE_SOON]
    assert "due soon: within 10 days" in page


def test_everything_taken_from_a_case_is_escaped() -> None:
    hostile = story_case(
        'c-<b>"x"</b>',
        received_days_ago=48,
        story="escalated",
        reason="<script>alert('x')</script> & <img src=x onerror=alert(1)>",
        business_product_id="bp-<i>",
    )
    _, page = report([hostile])
    assert "<script" not in page
    assert "<img" not in page
    assert '<b>"x"' not in page
    assert "bp-<i>" not in page
    # Escaped by the template's environment (autoescape): quotes as numeric references.
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;img" in page
    assert "c-&lt;b&gt;&#34;x&#34;&lt;/b&gt;" in page


class _Tags(HTMLParser):
    """The elements a browser would build from the page, and the text it would show."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_hostile_text_from_the_api_an_operator_or_an_event_reads_back_as_text() -> None:
    # What the reaction records verbatim: an API's message in a step's reason, the identity
    # AWS names an operator by, an event's id, an error code.
    api_message = "BwpApiError: <script>alert('api')</script> & </td></tr><tr>"
    operator = 'arn:aws:iam::123456789012:user/<img src=x onerror="alert(1)">'
    event = 'evt-"><svg onload=alert(2)>'
    escalated = story_case(
        "c-hostile", received_days_ago=48, story="escalated", code="<marquee>CODE"
    )
    completed = story_case("c-hostile-done", received_days_ago=20, story="completed")
    cases = [
        case.model_copy(
            update={
                "transitions": tuple(
                    t.model_copy(
                        update={
                            "reason": api_message,
                            "actor": operator,
                            "cause": Cause(kind=CauseKind.EVENT, ref=event),
                        }
                    )
                    for t in case.transitions
                )
            }
        )
        for case in (escalated, completed)
    ]
    _, page = report(cases)
    parsed = _Tags()
    parsed.feed(page)
    assert {"script", "img", "marquee"}.isdisjoint(parsed.tags), parsed.tags
    # The one svg is the chart (its own markup): no event id opened another.
    assert page.count("<svg") == 1
    shown = "".join(parsed.text)
    for hostile in (api_message, operator, event, "<marquee>CODE"):
        assert hostile in shown, hostile


def test_the_page_fetches_nothing_when_it_is_viewed() -> None:
    _, page = report(realistic_cases())
    assert "http://" not in page
    assert "https://" not in page
    references = re.findall(
        r"""\b(?:src|href|xlink:href|action|data)\s*=\s*["']?([^"'\s>]*)""", page
    )
    assert references
    assert all(reference.startswith("#") for reference in references), references
    for fetching in ("<script", "<link", "<img", "<iframe", "url(", "@import", "@font-face"):
        assert fetching not in page
    assert "content=\"default-src 'none'; style-src 'unsafe-inline'\"" in page
    assert "@media print" in page


def test_print_keeps_the_summary_together_and_starts_the_timelines_on_a_new_page() -> None:
    _, page = report(realistic_cases())
    printed = page[page.index("@media print") :]
    assert "tr, figure, .case { break-inside: avoid; }" in printed
    assert ".timelines { break-before: page; }" in printed


def test_the_chart_stacks_each_weeks_open_cases_by_where_they_stood_then() -> None:
    cases = [
        # Open throughout: on time three weeks ago, due soon now.
        story_case("c-a", received_days_ago=44, story="waiting"),
        # Open two weeks ago only: opened 19.5 days ago, ended 10 days ago.
        story_case("c-b", received_days_ago=20, story="completed", ended_days_ago=10),
        # On time, then due soon a week ago, past due now.
        story_case("c-c", received_days_ago=50, story="escalated"),
    ]
    data, page = report(cases, weeks=4)
    expected = [
        {Bucket.ON_TIME: 2},
        {Bucket.ON_TIME: 3},
        {Bucket.ON_TIME: 1, Bucket.DUE_SOON: 1},
        {Bucket.DUE_SOON: 1, Bucket.PAST_DUE: 1},
    ]
    assert [{b: n for b, n in week.counts.items() if n} for week in data.weeks] == expected
    assert [week.at for week in data.weeks] == [NOW - timedelta(weeks=w) for w in (3, 2, 1, 0)]

    bars = re.findall(r'<g class="week"[^>]*>(.*?)</g>', page)
    assert len(bars) == 4
    segments = [re.findall(r'<rect class="seg ([a-z-]+)"', bar) for bar in bars]
    assert segments == [
        ["on-time"],
        ["on-time"],
        ["due-soon", "on-time"],
        ["past-due", "due-soon"],
    ]
    heights = [
        sum(float(h) for h in re.findall(r'<rect class="seg[^"]*"[^>]*height="([\d.]+)"', bar))
        for bar in bars
    ]
    tall = [round(height) for height in heights]
    assert tall[1] > tall[0] == tall[2] == tall[3] > 0


def test_a_case_is_open_from_its_receipt_until_its_end() -> None:
    case = story_case("c-b", received_days_ago=20, story="completed", ended_days_ago=10)
    assert case.ended_at is not None
    assert not open_at(case, case.received_at - timedelta(seconds=1))
    # Received, not yet recorded as a case (its task had not failed yet): the law's clock runs.
    assert case.received_at < case.opened_at
    assert open_at(case, case.received_at)
    assert open_at(case, case.ended_at - timedelta(seconds=1))
    assert not open_at(case, case.ended_at)


def test_each_timeline_tells_failures_attempts_escalations_and_the_end() -> None:
    data, page = report(
        [
            story_case("c-done", received_days_ago=30, story="completed"),
            story_case("c-closed", received_days_ago=20, story="closed", closed_as="denied"),
            story_case("c-none", received_days_ago=10, story="nothing", kind="retrieval"),
            extended(story_case("c-esc", received_days_ago=30, story="escalated")),
        ]
    )
    told = {c.case_id: [e.what for e in c.timeline] for c in (*data.at_risk, *data.other_open)}
    told |= {c.case_id: [e.what for e in c.timeline] for c in data.recently_ended}
    assert told == {
        "c-done": ["failed", "resubmitted", "completed"],
        "c-closed": ["failed, escalated", "closed"],
        "c-none": ["failed, nothing to retrieve"],
        "c-esc": ["failed", "resubmitted", "escalated", "deadline extended"],
    }
    timelines = section(page, "Timelines")
    assert "c-done-a1</span> (attempt 1, COMPLETED)" in timelines
    assert "ended 2026-02-" in timelines
    assert ": denied</h3>" in timelines
    assert "arn:aws:iam::123456789012:user/privacy-officer" in timelines
    assert '<span class="what failed">failed</span>' in timelines


def extended(case: Case) -> Case:
    """``case`` after `cases extend` an hour before ``NOW`` (a transition to the same state)."""
    at = NOW - timedelta(hours=1)
    step = Transition(
        at=at,
        from_state=case.state,
        to_state=case.state,
        cause=Cause(kind=CauseKind.OPERATOR, ref="cases extend --jurisdiction ccpa"),
        actor=OFFICER,
        reason="ccpa deadline extended: the shopper's data spans two stores",
    )
    deadlines = tuple(d.model_copy(update={"extended_at": at}) for d in case.deadlines)
    return case.model_copy(
        update={"transitions": (*case.transitions, step), "deadlines": deadlines}
    )


def test_the_years_figures_per_request_type() -> None:
    cases = realistic_cases()
    _, page = report(cases)
    stats = yearly_stats(cases, NOW.year).by_kind
    yearly = section(page, f"{NOW.year}: requests by type")
    rows = {
        cells[0]: cells[1:]
        for cells in (
            re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", yearly)
        )
        if cells
    }
    kinds = ("deletion", "retrieval")
    assert rows["received"] == [str(stats[k].received) for k in kinds]
    assert rows["still open"] == [str(stats[k].open) for k in kinds]
    medians = [stats[k].median_days_to_respond for k in kinds]
    assert rows["median days to respond"] == [f"{math.floor((m or 0) + 0.5)} days" for m in medians]
    # The rows are `cases stats`'s, as CCPA §7102 names them: denials by its categories (the
    # legal hold was denied before the categories existed: on other grounds), then appeals.
    assert rows["denied"] == ["1", "0"]
    assert rows["denied: on other grounds"] == ["1", "0"]
    assert rows["appeals received"] == ["0", "0"]

    earlier = build_report(cases, NOW, SANDBOX, due_soon_days=5, year=NOW.year - 1)
    assert "No request" not in render_report(earlier)
    assert all(s.received == 0 for s in earlier.yearly.by_kind.values())


def test_the_header_says_when_and_from_where() -> None:
    _, page = report([])
    assert "Generated <time" in page
    assert "2026-03-16 09:30 UTC</time> from the local sandbox" in page
    assert "No open case is past due or due within 5 days." in page
    deployed = build_report(
        [], NOW, TargetOut(env="prod", stack="bwp-prod", region="eu-west-1"), due_soon_days=5
    )
    assert "from stack bwp-prod in eu-west-1 (env" in render_report(deployed)


def recorded_at(case: Case, at: datetime) -> Case:
    """``case`` as if its first failure reached the stack only at ``at`` (an event replayed
    late, a backfill): received as before, recorded then."""
    first, *rest = case.transitions
    return case.model_copy(
        update={"opened_at": at, "transitions": (first.model_copy(update={"at": at}), *rest)}
    )


def test_the_chart_counts_a_case_from_its_receipt_however_late_it_was_recorded() -> None:
    now = datetime(2025, 12, 6, 12, tzinfo=UTC)
    received = datetime(2025, 10, 2, 12, tzinfo=UTC)  # legal deadline 16 Nov (CCPA: 45 days)
    case = recorded_at(
        story_case(
            "c-late-record", received_days_ago=(now - received).days, story="waiting", now=now
        ),
        datetime(2025, 12, 6, 9, tzinfo=UTC),
    )
    assert case.legal_due_at == datetime(2025, 11, 16, 12, tzinfo=UTC)
    data = build_report([case], now, SANDBOX, due_soon_days=5, weeks=4)
    shown = {week.at.date(): {b: n for b, n in week.counts.items() if n} for week in data.weeks}
    assert shown == {
        date(2025, 11, 15): {Bucket.DUE_SOON: 1},
        date(2025, 11, 22): {Bucket.PAST_DUE: 1},
        date(2025, 11, 29): {Bucket.PAST_DUE: 1},
        date(2025, 12, 6): {Bucket.PAST_DUE: 1},
    }


def test_the_chart_judges_each_week_by_the_legal_deadline_in_force_then() -> None:
    # Received 44 days ago, extended an hour ago: a week ago 8 days from its deadline then
    # (due soon, within 10), yesterday 2 (due soon, within 5); now 46 (on time).
    case = extended(story_case("c-ext", received_days_ago=44, story="escalated"))
    data = build_report([case], NOW, SANDBOX, due_soon_days=10, weeks=2)
    assert [{b: n for b, n in w.counts.items() if n} for w in data.weeks] == [
        {Bucket.DUE_SOON: 1},
        {Bucket.ON_TIME: 1},
    ]
    yesterday = build_report(
        [case], NOW, SANDBOX, due_soon_days=5, weeks=1, as_at=NOW - timedelta(days=1)
    )
    assert [w.counts[Bucket.DUE_SOON] for w in yesterday.weeks] == [1]
    assert [c.standing for c in yesterday.at_risk] == ["2 days left"]
    assert [c.standing for c in data.other_open] == ["46 days left"]


def test_generated_is_when_the_report_was_made_and_an_as_at_ahead_is_said_plainly() -> None:
    # A sandbox whose clock ran two weeks ahead (the demo's): its cases are stamped on it.
    ahead = NOW + timedelta(days=14)
    cases = realistic_cases(now=ahead)
    data = build_report(cases, NOW, SANDBOX, due_soon_days=5, as_at=ahead)
    page = render_report(data)
    assert (data.generated_at, data.as_at) == (NOW, ahead)
    # The chart never shows a week still to come: it stops when the report was made.
    assert data.weeks[-1].at == NOW
    assert all(week.at <= NOW for week in data.weeks)
    assert "Generated <time" in page
    assert ">2026-03-16 09:30 UTC</time> from the local sandbox" in page
    assert (
        ">2026-03-30 09:30 UTC</time></strong>, 14 days after this report was generated: every"
        " case is shown as it stood at that moment." in page
    )
    assert "the last bar is when the report was generated" in page
    # The cases are judged at the sandbox's clock, as its own report at that moment would.
    at_clock = build_report(cases, ahead, SANDBOX, due_soon_days=5)
    assert [c.case_id for c in data.at_risk] == [c.case_id for c in at_clock.at_risk]
    assert [c.standing for c in data.at_risk] == [c.standing for c in at_clock.at_risk]

    made_now = render_report(build_report(cases, ahead, SANDBOX, due_soon_days=5))
    assert "As at" not in made_now
    assert "the last bar is when the report was generated" in made_now


def test_a_report_as_at_an_earlier_moment_shows_each_case_as_it_stood_then() -> None:
    then = NOW - timedelta(days=10)
    cases = [
        # Answered 4 days ago, 9 days late: 10 days ago it was open and 3 days past due.
        story_case("c-answered-late", received_days_ago=58, story="completed", ended_days_ago=4),
        # Received 5 days ago: not yet a request 10 days ago.
        story_case("c-new", received_days_ago=5, story="waiting"),
    ]
    data = build_report(cases, NOW, SANDBOX, due_soon_days=5, weeks=2, as_at=then)
    page = render_report(data)
    assert [(c.case_id, c.state, c.standing) for c in data.at_risk] == [
        ("c-answered-late", "RESUBMITTED", "past due by 3 days")
    ]
    assert data.other_open == ()
    assert data.recently_ended == ()
    assert "c-new" not in page
    assert [week.at for week in data.weeks] == [then - timedelta(weeks=1), then]
    assert ", 10 days before this report was generated: every case is shown as it stood" in page
    assert "completed" not in section(page, "Timelines")


def test_days_are_whole_days_in_words_and_the_legal_deadline_is_the_deadline() -> None:
    cases = [
        *realistic_cases(),
        extended(story_case("c-extended", received_days_ago=44, story="escalated")),
    ]
    data, page = report(cases)
    text = visible_text(page)
    assert not re.search(r"\d\.\d", text), re.findall(r".{30}\d\.\d.{30}", text)
    assert "legal days left" not in text
    for case in (*data.at_risk, *data.other_open):
        words = standing(case.legal_due_at, NOW)
        assert f">{words}</span>" in page
        assert re.fullmatch(
            r"past due by \d+ days?|\d+ days? left|due today at \d\d:\d\d UTC"
            r"|past due since \d\d:\d\d UTC today",
            words,
        )
    assert "past due by 7 days" in section(page, "At risk")  # del-7f2c: received 52 days ago
    # The extended deadline is the one in force; nothing is named only "deadline".
    extended_case = next(c for c in data.other_open if c.case_id == "c-extended")
    assert extended_case.standing == "46 days left"
    assert '<th class="nowrap">legal deadline</th>' in page
    assert "legal due " not in text
    assert (
        "Each case counts to its legal deadline: the earliest across its jurisdictions,"
        " extended once an extension is recorded. The playbooks' planning deadline (when to"
        " retry or escalate) is internal and not shown; due soon: within 5 days." in text
    )
    assert text.count("planning deadline") == 1


def test_ids_stay_on_one_line_and_the_report_prints_in_proportion() -> None:
    cases = many_cases(60)
    data, page = report(cases)
    css = page[page.index("<style>") : page.index("</style>")]
    assert "overflow-wrap: anywhere" not in css
    assert re.search(r"\.id \{[^}]*white-space: nowrap", css)
    tables = section(page, "At risk") + section(page, "Other open cases")
    rows = re.findall(r"<tr><td>.*?</tr>", tables)
    assert len(rows) == data.open_count > 30
    for row in rows:
        case_id = re.search(r'<a class="id" href="#case-\d+">([^<]+)</a>', row)
        assert case_id is not None
        # A long business product id shows as its head and tail, the whole id in its title.
        product = re.search(r'<span class="id" title="([^"]+)">(\w{2}-\w{3})…(\w{6})</span>', row)
        assert product is not None, row
        assert product[1].startswith(product[2])
        assert product[1].endswith(product[3])
        # An id quoted in why is kept whole too.
        for quoted in re.findall(r"task (\S+) failed", re.sub(r"<[^>]+>", "", row)):
            assert f'<span class="nowrap">{quoted}</span>' in row
    # The whole id is in the case's timeline, which the row links to.
    assert all(case.business_product_id in section(page, "Timelines") for case in cases[:5])
    printed = css[css.index("@media print") :]
    assert "@page { size: A4 landscape; margin: 10mm; }" in css
    assert "thead { display: table-header-group; }" in printed
    assert "tr, figure, .case { break-inside: avoid; }" in printed


@pytest.mark.integration
def test_report_writes_the_sandboxs_cases_to_one_html_file(
    run_cli: Run, invoke: Run, sandbox: Sandbox, tmp_path: Path
) -> None:
    """Through the console script once (--json); in-process for the rest (the same code below
    the entry point, seconds faster)."""
    timeline = Timeline(sandbox)
    failed_task(
        sandbox, "c-rep-soon", "ORDERS_NOT_CLOSED", email="a@example.com", submitted_days_ago=43
    )
    failed_task(
        sandbox, "c-rep-fine", "ORDERS_NOT_CLOSED", email="b@example.com", orders_open_days=30
    )
    # Both failures announced, then one settling of the sandbox for the two.
    for task_id in ("c-rep-soon", "c-rep-fine"):
        timeline.publish(BP, task_id, FAILED)
    timeline.settle()
    path = tmp_path / "report.html"

    written = run_cli("report", "-o", str(path), "--json")
    assert written.exit_code == 0, written.stderr
    body = written.json()
    schema = json.loads(path_of("report").read_text())
    errors = [e.message for e in Draft202012Validator(schema).iter_errors(body)]
    assert errors == []
    assert body["target"]["env"] == "sandbox"
    assert (body["path"], body["cases"], body["atRisk"]) == (str(path), 2, 1)
    page = path.read_text(encoding="utf-8")
    assert "c-rep-soon" in section(page, "At risk")
    assert "c-rep-fine" in section(page, "Other open cases")
    # The report's days left are `cases show --json`'s daysLeft (to the legal deadline),
    # not its planDaysLeft (to the playbooks' planning deadline); read seconds apart.
    for case_id in ("c-rep-soon", "c-rep-fine"):
        shown = invoke("cases", "show", case_id, "--json").json()
        row = re.search(rf">{case_id}</a></td>.*?</tr>", page)
        assert row is not None
        [badge] = days_badges(row.group(0))
        assert badge == standing(NOW + timedelta(days=shown["daysLeft"]), NOW), (badge, shown)
        assert abs(shown["planDaysLeft"] - shown["daysLeft"]) > 1, shown
    assert "from the local sandbox" in page
    assert "@" not in page.replace("@media", "").replace("@page", "")

    told = invoke("report", "-o", str(path), "--weeks", "2", "--due-soon-days", "1")
    assert told.exit_code == 0, told.stderr
    assert told.stdout.splitlines()[0].startswith("Target: the local sandbox")
    assert f"report: {path} (" in told.stdout
    assert "2 case(s), 2 open, 0 at risk" in told.stdout
    assert path.read_text(encoding="utf-8").count('<g class="week"') == 2

    nowhere = invoke("report", "-o", str(tmp_path / "missing" / "report.html"))
    assert nowhere.exit_code == 1
    assert "is not a directory" in nowhere.stderr


def case_section(page: str, case_id: str) -> str:
    """The timeline of the case whose head names ``case_id``."""
    head = page.index(f'<h3><span class="id">{case_id}</span>')
    start = page.rindex("<section ", 0, head)
    return page[start : page.index("</section>", head)]


def legend(page: str) -> dict[str, str]:
    """The actors' legend: each short name to the full identity it stands for."""
    table = re.search(r'<table class="actors">(.*?)</table>', page, flags=re.S)
    assert table is not None
    rows = re.findall(
        r'<tr><td><span class="id">([^<]+)</span></td><td><span class="id">([^<]+)</span></td>',
        table[1],
    )
    named = dict(rows)
    assert len(named) == len(rows), rows
    return named


def test_steps_name_their_actor_briefly_and_the_legend_gives_each_identity_once() -> None:
    operator_root = "arn:aws:sts::123456789012:assumed-role/Operator/root"
    admin_root = "arn:aws:sts::123456789012:assumed-role/Admin/root"
    by = {"c-op-1": operator_root, "c-op-2": admin_root, "c-fn": "bwp-privacy-reaction"}
    cases = [
        *realistic_cases(),
        *(
            by_actor(story_case(case_id, received_days_ago=20, story="escalated"), actor)
            for case_id, actor in by.items()
        ),
    ]
    data, page = report(cases)
    named = legend(section(page, "Timelines"))
    shown = (*data.at_risk, *data.other_open, *data.recently_ended)
    actors = {entry.actor for case in shown for entry in case.timeline}
    assert set(named.values()) == actors == {REACTION, OFFICER, *by.values()}
    assert named == {
        "ReactionFunction": REACTION,
        "privacy-officer": OFFICER,
        # Two sessions of one name: each named by its role too.
        "Operator/root": operator_root,
        "Admin/root": admin_root,
        # Not an ARN: already short.
        "bwp-privacy-reaction": "bwp-privacy-reaction",
    }
    for actor in actors:
        # Each full identity is said once, in the legend, whatever the steps it took.
        assert page.count(escape(actor)) == 1 or actor == "bwp-privacy-reaction", actor
    # Each step names its actor by the legend's short name.
    for case in shown:
        told = case_section(page, case.case_id)
        for entry in case.timeline:
            short = next(name for name, full in named.items() if full == entry.actor)
            assert f'<span class="id actor">{escape(short)}</span>' in told, case.case_id


def by_actor(case: Case, actor: str) -> Case:
    return case.model_copy(
        update={
            "transitions": tuple(t.model_copy(update={"actor": actor}) for t in case.transitions)
        }
    )


def test_an_at_risk_or_escalated_case_keeps_every_step_in_full() -> None:
    cases = [
        extended(story_case("c-late", received_days_ago=50, story="escalated")),
        story_case("c-esc-on-time", received_days_ago=10, story="escalated"),
        story_case("c-soon", received_days_ago=42, story="resubmitted"),
        story_case("c-closed", received_days_ago=20, story="closed", closed_as="denied"),
    ]
    data, page = report(cases)
    for case in (*data.at_risk, *data.other_open, *data.recently_ended):
        assert not case.ordinary
        told = case_section(page, case.case_id)
        steps = re.findall(r"<li>(.*?)</li>", told)
        assert len(steps) == len(case.timeline) >= 2
        for step, entry in zip(steps, case.timeline, strict=True):
            text = re.sub(r"<[^>]+>", "", step)
            assert unescape(text).startswith(entry.at.strftime("%Y-%m-%d %H:%M") + entry.what)
            assert entry.detail in unescape(text)
            assert entry.cause in unescape(text)
    assert "the deadline is too near to retry" in case_section(page, "c-late")
    assert "operator cases extend --jurisdiction ccpa" in case_section(page, "c-late")


def test_an_ordinary_case_is_told_in_one_line_an_at_risk_one_a_line_a_step() -> None:
    cases = [
        story_case("c-done", received_days_ago=30, story="completed"),
        story_case("c-none", received_days_ago=10, story="nothing", kind="retrieval"),
        story_case("c-fine", received_days_ago=12, story="resubmitted"),
        # Answered, but after its legal deadline: read in full.
        story_case("c-done-late", received_days_ago=58, story="completed", ended_days_ago=4),
        story_case("c-late", received_days_ago=50, story="resubmitted"),
    ]
    data, page = report(cases)
    ordinary = {c.case_id for c in (*data.other_open, *data.recently_ended) if c.ordinary}
    assert ordinary == {"c-done", "c-none", "c-fine"}
    for case_id in ordinary:
        told = case_section(page, case_id)
        # No step list: the steps are one line of what happened when, by whom, after the
        # case's head (its facts and tasks).
        assert "<li>" not in told
        assert told.count('<span class="story">') == 1
        assert told.count('<span class="id actor">ReactionFunction</span>') == 1
    done = re.sub(r"<[^>]+>", "", case_section(page, "c-done"))
    assert re.search(
        r"failed \S+ \S+ → resubmitted \S+ \S+ → completed \S+ \S+ · by ReactionFunction", done
    )
    # The case's tasks keep every fact its steps' words told: ids, attempts, outcomes, codes.
    assert "tasks: its own (attempt 0, FAILED: ORDERS_NOT_CLOSED) → c-done-a1 (attempt 1," in done
    # Why nothing was held is said.
    assert "DATA_SUBJECT_NOT_FOUND" in case_section(page, "c-none")
    for case_id in ("c-done-late", "c-late"):
        told = case_section(page, case_id)
        assert told.count("<li>") == len(
            next(c for c in data.recently_ended + data.at_risk if c.case_id == case_id).timeline
        )


def test_a_long_report_names_the_reactions_identity_once() -> None:
    data, page = report(many_cases(120))
    steps = sum(len(c.timeline) for c in (*data.at_risk, *data.other_open, *data.recently_ended))
    assert steps > 200
    assert page.count(REACTION) == 1
    ordinary = [c for c in (*data.other_open, *data.recently_ended) if c.ordinary]
    assert len(ordinary) > 40
    # An ordinary case takes its head and one line, however many steps it took.
    assert all("<li>" not in case_section(page, c.case_id) for c in ordinary)


def test_the_template_is_package_data_the_wheel_ships() -> None:
    # render.py loads the page from the installed package (PackageLoader): the wheel takes
    # every file of its packages that git does not ignore (hatch), templates included.
    templates = files("bwp_privacy_cli.report") / "templates"
    for name in ("report.html.j2", "parts.html.j2", "chart.svg.j2", "report.css"):
        assert (templates / name).is_file(), name
    root = Path(__file__).resolve().parents[2]
    wheel = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["hatch"]["build"]
    assert "cli/bwp_privacy_cli" in wheel["targets"]["wheel"]["packages"]
    assert "only-include" not in wheel["targets"]["wheel"]
    assert not re.search(r"j2|templates|\.css", (root / ".gitignore").read_text())
