"""The bench's figures from raw measurements (bench.tables, bench.importtime): ratios to the
baseline, the targets' marks, import cost beyond the baseline, bulk replay; no timing here,
the raw figures are made up."""

from __future__ import annotations

from typing import Any

from bench.importtime import extra_imports, parse_importtime
from bench.tables import bulk_rows, render, scorecard, tables

IMPORTTIME = """\
import time: self [us] | cumulative | imported package
import time:      2000 |       2000 |   pydantic.main
import time:      8000 |      10000 | pydantic
import time:      3000 |       3000 |     bwp_privacy.reaction.cases
import time:      1000 |       4000 |   bwp_privacy.reaction
import time:       500 |        500 |   aws_lambda_powertools.utilities.batch.base
import time:      5000 |      20000 | app
not an import line
"""


def test_importtime_totals_own_time_by_package_and_feature() -> None:
    parsed = parse_importtime(IMPORTTIME)

    assert parsed["total_ms"] == 20.0
    assert parsed["self_by_package_ms"] == {
        "pydantic": 10.0,
        "app": 5.0,
        "bwp_privacy.reaction": 4.0,
        "aws_lambda_powertools.utilities.batch": 0.5,
    }


def test_extra_imports_are_what_the_real_handler_adds_beyond_its_baseline() -> None:
    real = {"pydantic": 70.0, "boto3": 40.0, "app": 9.0, "json": 1.5}
    baseline = {"boto3": 41.0, "app": 2.0, "json": 1.0}

    assert extra_imports(real, baseline) == {"pydantic": 70.0, "app": 7.0}


def _cold(ready_after: float) -> list[dict[str, Any]]:
    return [
        {"started": 100.0, "ready": 100.0 + ready_after, "import_cpu": 0.2, "first_wall": 0.05}
        for _ in range(3)
    ]


def _kind(wall: float, cpu: float, aws: int, http: int, count: int = 4) -> dict[str, Any]:
    return {
        "wall": [wall] * count,
        "cpu": [cpu] * count,
        "aws": {"dynamodb.PutItem": aws * count},
        "http": {"graphql": http * count} if http else {},
    }


def _invocations(**kinds: dict[str, Any]) -> dict[str, Any]:
    return {"kinds": kinds, "peak_rss_kb": 65536, "error_count": 0, "errors": []}


def _raw() -> dict[str, Any]:
    return {
        "generated_at": "2026-12-07T06:00:00+00:00",
        "machine": {
            "nproc": 2,
            "cpu_model": "a CPU",
            "machine": "x86_64",
            "load_average_start": [1.0, 1.0, 1.0],
        },
        "config": {
            "code": {"commit": "abc1234"},
            "functions": {"recorder": "recorder", "router": "router"},
            "cold_runs": 3,
            "warm": 4,
        },
        "runtime": {"python": "3.13.0", "modules": 700, "missing_bytecode": []},
        "cold": {
            "recorder/real": _cold(0.7),
            "recorder/baseline": _cold(0.5),
            "router/real": _cold(0.6),
            "router/baseline": _cold(0.5),
        },
        "invocations": {
            "recorder/real": _invocations(
                new=_kind(0.040, 0.016, 3, 1), duplicate=_kind(0.01, 0.005, 1, 0)
            ),
            "recorder/baseline": _invocations(new=_kind(0.020, 0.010, 2, 1)),
            "recorder/baseline-claim": _invocations(new=_kind(0.030, 0.012, 3, 1)),
            "router/real": _invocations(failure=_kind(0.2, 0.06, 14, 3)),
            "router/baseline": _invocations(failure=_kind(0.2, 0.06, 14, 3)),
        },
        "importtime": {
            "recorder/real": {"total_ms": 700.0, "self_by_package_ms": {"pydantic": 70.0}},
            "recorder/baseline": {"total_ms": 500.0, "self_by_package_ms": {}},
        },
        "bulk": [
            {
                "handler": handler,
                "workers": workers,
                "events": 40,
                "seconds": 4.0,
                "steady_events_per_second": rate,
                "outcomes": {"published": 40},
            }
            for handler, workers, rate in (
                ("real", 1, 10.0),
                ("baseline", 1, 20.0),
                ("real", 2, 15.0),
                ("baseline", 2, 30.0),
            )
        ],
    }


def test_scorecard_gives_each_function_its_ratios_to_the_baseline_and_marks_the_targets() -> None:
    rows = scorecard(_raw())

    assert rows == [
        ["recorder", "new", "1.40x ✗", "1.60x ✗", "2.00x ✗", "3 + 1 (2 + 1)"],
        ["", "new, against the same calls", "", "1.33x ✓", "1.33x ✓", "3 + 1 (3 + 1)"],
        ["router", "failure", "1.20x ✓", "1.00x ✓", "1.00x ✓", "14 + 3 (14 + 3)"],
    ]


def test_a_cold_only_run_has_the_cold_start_ratios_alone() -> None:
    raw = _raw()
    for key in ("invocations", "importtime", "bulk"):
        del raw[key]

    assert scorecard(raw) == [
        ["recorder", "", "1.40x ✗", "", "", ""],
        ["router", "", "1.20x ✓", "", "", ""],
    ]
    assert [title.split(" ")[0] for title, _, _ in tables(raw)] == ["Each", "Cold"]


def test_bulk_replay_compares_with_the_baseline_and_with_one_worker() -> None:
    rows = bulk_rows(_raw())

    assert [row[:2] + row[4:7] for row in rows] == [
        ["real", "1", "10.0", "0.50x", ""],
        ["baseline", "1", "20.0", "", ""],
        ["real", "2", "15.0", "0.50x", "1.50x"],
        ["baseline", "2", "30.0", "", "1.50x"],
    ]


def test_the_tables_say_when_on_what_and_which_commit_in_text_and_markdown() -> None:
    raw = _raw()
    text, markdown = render(raw), render(raw, markdown=True)

    for output in (text, markdown):
        assert output.startswith("2026-12-07T06:00:00+00:00, commit abc1234: 2 cores a CPU")
        assert "0 without bytecode" in output
        assert "pydantic 70.0" in output
    assert "| recorder | new | 1.40x ✗ | 1.60x ✗ | 2.00x ✗ | 3 + 1 (2 + 1) |" in markdown
