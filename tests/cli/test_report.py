"""`bwp-privacy report`: what the compliance report shows, from cases built with a fixed
``now``; and the command through its console script against the sandbox."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from bwp_privacy.compliance import Bucket, yearly_stats
from bwp_privacy.reaction import Case, Cause, CauseKind, Transition
from bwp_privacy_cli.json_output import TargetOut
from bwp_privacy_cli.report import ReportData, build_report, render_report
from bwp_privacy_cli.report.model import open_at
from bwp_privacy_cli.schemas import path_of
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.timeline import Timeline
from tests.cli.conftest import Run
from tests.integration.reaction_helpers import BP, FAILED, failed_task
from tests.report_cases import NOW, OFFICER, realistic_cases, story_case

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
    """Each badge's number and its class (past-due, due-soon, on-time, ended)."""
    return {
        number: css
        for css, number in re.findall(r'<span class="days ([a-z-]+)"[^>]*>(-?\d+\.\d)</span>', html)
    }


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
    assert days_badges(tables) == {"-3.0": "past-due", "2.0": "due-soon", "25.0": "on-time"}
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
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;img" in page
    assert "c-&lt;b&gt;&quot;x&quot;&lt;/b&gt;" in page


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


def test_a_case_is_open_from_its_opening_until_its_end() -> None:
    case = story_case("c-b", received_days_ago=20, story="completed", ended_days_ago=10)
    assert case.ended_at is not None
    assert not open_at(case, case.opened_at - timedelta(seconds=1))
    assert open_at(case, case.opened_at)
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
    assert rows["median days to respond"] == [
        f"{stats[k].median_days_to_respond:.1f}" for k in kinds
    ]
    assert rows["denied"][0].startswith("1 ")
    assert "legal hold: records kept for an open chargeback dispute: 1" in rows["denied"][0]

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
        assert abs(float(badge) - shown["daysLeft"]) <= 0.1, (badge, shown)
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
