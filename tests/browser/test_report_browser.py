"""The compliance report in a real browser: headless Chromium (JavaScript off, no network
needed) renders the page, and what it shows is read back from its DOM and its screenshot.

`make report-screenshot` (BWP_UPDATE_DOCS=1) also copies the screenshot to docs/report.png."""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bwp_privacy.cases import Bucket
from bwp_privacy.compliance import yearly_stats
from bwp_privacy_cli.json_output import TargetOut
from bwp_privacy_cli.report import ReportData, build_report, write_report
from tests.browser.png import SIGNATURE, read_png
from tests.report_cases import NOW, realistic_cases

DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "report.png"
WEEKS = 8
#: The page's width in the screenshot: a laptop's.
WIDTH, HEIGHT = 1280, 2000
TARGET = TargetOut(env="prod", stack="bwp-privacy-prod", region="us-east-1")


@pytest.fixture
def report(tmp_path: Path) -> tuple[ReportData, Path]:
    data = build_report(realistic_cases(), NOW, TARGET, due_soon_days=5, weeks=WEEKS, year=2026)
    path = tmp_path / "report.html"
    write_report(data, path)
    return data, path


def chromium_run(chromium: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Chromium headless, with its own profile (tests may run side by side). The page runs no
    script: its Content-Security-Policy forbids any, so this is the page with JavaScript off
    (Chromium's own scriptEnabled=false setting would also stop --dump-dom)."""
    return subprocess.run(  # noqa: S603 (a fixed command, no shell)
        [
            str(chromium),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class Dom(HTMLParser):
    """The text of a rendered DOM (without style and title), its elements by tag and class,
    and each table's cells by the table's class."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.elements: list[tuple[str, str]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self._skip = 0
        self._table: str | None = None
        # Text between cells (the page's line breaks between rows) is no cell's.
        self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        css = dict(attrs).get("class") or ""
        self.elements.append((tag, css))
        if tag in ("style", "title"):
            self._skip += 1
        elif tag == "table":
            self._table = css
            self.tables[css] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self.tables[self._table][-1].append("")
            self._in_cell = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title"):
            self._skip -= 1
        elif tag == "table":
            self._table = None
        elif tag in ("td", "th"):
            self._in_cell = False

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        if self._in_cell and self._table is not None and self.tables[self._table]:
            row = self.tables[self._table][-1]
            if row:
                row[-1] += data

    def count(self, tag: str, css: str) -> int:
        return sum(1 for t, c in self.elements if t == tag and css in c.split())


def test_chromium_renders_the_at_risk_cases_the_chart_and_the_years_figures(
    chromium: Path, report: tuple[ReportData, Path], tmp_path: Path
) -> None:
    data, path = report
    shown = chromium_run(chromium, tmp_path / "profile", "--dump-dom", path.as_uri())
    assert shown.returncode == 0, shown.stderr[-2000:]
    dom = Dom()
    dom.feed(shown.stdout)
    text = " ".join(" ".join(dom.text).split())

    assert "compliance report" in text
    assert "stack bwp-privacy-prod in us-east-1" in text
    at_risk = ["del-7f2c-overdue", "ret-19ab-overdue", "del-88e1-soon", "ret-2c44-soon"]
    positions = [text.index(case_id) for case_id in at_risk]
    assert positions == sorted(positions)
    assert positions[-1] < text.index("Other open cases") < text.index("del-c3f7")
    # The picture first: counts, at risk, the weeks, the year; then the other open cases and
    # each case's timeline last.
    order = [
        "compliance report",
        f"{data.open_count} open {data.bucket_count(Bucket.PAST_DUE)} past due",
        "At risk: past due, then due soon",
        "Open cases, week by week",
        "2026: requests by type",
        "Other open cases",
        "Timelines",
    ]
    found = [text.index(heading) for heading in order]
    assert found == sorted(found), dict(zip(order, found, strict=True))
    for bucket in Bucket:
        assert bucket.value in text
    assert dom.count("span", "past-due") >= 2
    assert dom.count("span", "due-soon") >= 2

    # The chart is in the rendered DOM: one stacked bar per week, a segment per bucket held.
    assert dom.count("svg", "chart") == 1
    assert dom.count("g", "week") == WEEKS
    segments = sum(1 for week in data.weeks for count in week.counts.values() if count)
    assert dom.count("rect", "seg") == segments
    assert dom.count("rect", "past-due") == sum(1 for w in data.weeks if w.counts[Bucket.PAST_DUE])

    # The year's figures per request type, as the compliance package counts them.
    expected = yearly_stats(realistic_cases(), 2026).by_kind
    rows = {row[0]: row[1:] for row in dom.tables["yearly"][1:]}
    assert rows["received"] == [str(expected[k].received) for k in ("deletion", "retrieval")]
    assert rows["complied with in whole or in part"] == [
        str(expected[k].complied) for k in ("deletion", "retrieval")
    ]
    assert rows["denied"] == [str(expected[k].denied) for k in ("deletion", "retrieval")]
    assert rows["denied: on other grounds"][0] == str(expected["deletion"].denied)


def test_the_screenshot_is_a_laptop_wide_page_with_the_bucket_colours(
    chromium: Path, report: tuple[ReportData, Path], tmp_path: Path
) -> None:
    _, path = report
    png = tmp_path / "report.png"
    taken = chromium_run(
        chromium,
        tmp_path / "profile",
        f"--screenshot={png}",
        f"--window-size={WIDTH},{HEIGHT}",
        "--hide-scrollbars",
        path.as_uri(),
    )
    assert taken.returncode == 0, taken.stderr[-2000:]
    print(f"\nscreenshot: {png}")
    assert png.read_bytes().startswith(SIGNATURE)
    image = read_png(png)
    assert (image.width, image.height) == (WIDTH, HEIGHT)
    # A blank page compresses to almost nothing and holds one colour; this one holds text
    # (anti-aliased: many shades) and the badges' red, amber and green.
    assert image.idat_bytes > 50_000
    colours = {colour[:3] for colour in image.colours(every=3)}
    assert len(colours) > 100
    for rgb in ("b91c1c", "b45309", "15803d"):
        assert bytes.fromhex(rgb) in colours
    if os.environ.get("BWP_UPDATE_DOCS") == "1":
        shutil.copyfile(png, DOCS_SCREENSHOT)
        print(f"updated {DOCS_SCREENSHOT}")
