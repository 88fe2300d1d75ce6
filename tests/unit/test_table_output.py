"""The CLI's tables on a narrow, non-terminal output: ids whole, every other column folded
but never squeezed out of sight (a case list of four id columns once showed its bucket, due
date and days left as empty slivers)."""

from __future__ import annotations

import pytest

from bwp_privacy_cli.output import console, print_table


@pytest.mark.parametrize("width", [40, 80, 106, 200])
def test_a_table_of_many_id_columns_keeps_every_other_column_readable(
    width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CI's COLUMNS is narrower than a developer's: the layout must hold at any width.
    monkeypatch.setattr(console, "width", width)
    columns = ["case", "kind", "state", "bucket", "days left", "business product"]
    row = ("4a1d2f3e-5b6c-4d7e-8f90-a1b2c3d4e5f6", "deletion", "ESCALATED", "past due", "-13.8")
    with console.capture() as captured:
        print_table(
            "Cases",
            columns,
            [(*row, "bp-30b55436-0c3e-4a5c-9e2f-5d1b8f4c7a11")],
            ids=("case", "kind", "state", "business product"),
        )
    text = captured.get()
    for cell in (*row, "bp-30b55436-0c3e-4a5c-9e2f-5d1b8f4c7a11", "bucket"):
        assert cell in text, text


#: A `cases list` as the sandbox's data makes it: uuids, a long state, ISO times.
CASE_COLUMNS = [
    "case",
    "kind",
    "state",
    "bucket",
    "legal due",
    "days left",
    "attempts",
    "next",
    "business product",
]
CASE_ROWS = [
    (
        "4a1d2f3e-5b6c-4d7e-8f90-a1b2c3d4e5f6",
        "deletion",
        "ESCALATED",
        "past due",
        "2026-11-16T09:12:44Z",
        "-20.6",
        0,
        "a person: resubmit or close",
        "bp-30b55436-0c3e-4a5c-9e2f-5d1b8f4c7a11",
    ),
    (
        "3f6a1c2e-8b7d-4e9f-a0b1-c2d3e4f5a6b7",
        "deletion",
        "WAITING",
        "on time",
        "2027-01-10T23:36:52Z",
        "35.0",
        0,
        "attempt 1 at 2026-12-13T23:36:53Z",
        "bp-30b55436-0c3e-4a5c-9e2f-5d1b8f4c7a11",
    ),
    (
        "9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e",
        "deletion",
        "NOTHING_TO_DELETE",
        "",
        "2027-01-10T23:36:53Z",
        "",
        0,
        "nothing: ended",
        "bp-30b55436-0c3e-4a5c-9e2f-5d1b8f4c7a11",
    ),
]


@pytest.mark.parametrize(
    ("width", "hidden"),
    [
        (80, ["business product", "legal due", "attempts", "kind", "next"]),
        (100, ["business product", "legal due", "attempts", "kind"]),
        (120, ["business product", "legal due"]),
    ],
)
def test_a_table_too_wide_for_the_terminal_hides_its_spare_columns_and_says_which(
    width: int, hidden: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "width", width)
    with console.capture() as captured:
        print_table(
            "Cases",
            CASE_COLUMNS,
            CASE_ROWS,
            ids=("case", "kind", "state", "business product"),
            spare=("business product", "legal due", "attempts", "kind", "next"),
        )
    lines = captured.get().splitlines()
    table = [line for line in lines if "│" in line or "━" in line]
    assert max(len(line) for line in table) <= width, "\n".join(lines)
    assert lines[-1] == (
        f"hidden at {width} columns: {', '.join(hidden)}; widen the terminal or use --json"
    )
    header = " ".join(table[: -len(CASE_ROWS) - 1])  # a heading may wrap between its words
    for column in CASE_COLUMNS:
        assert (column.split()[0] in header) != (column in hidden), (column, lines)
    for row in CASE_ROWS:
        for column, cell in zip(CASE_COLUMNS, row, strict=True):
            if column not in hidden and column != "next":
                assert str(cell) in "\n".join(table), (cell, lines)
    if "next" not in hidden:
        assert "2026-12-13T23:36:53Z" in "\n".join(table)


def test_a_column_of_sentences_wraps_between_words_never_inside_an_id_a_code_or_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A case's timeline: the reaction's "why" names a task, its error code and a time.
    monkeypatch.setattr(console, "width", 80)
    why = (
        "task 3f6a1c2e-8b7d-4e9f-a0b1-c2d3e4f5a6b7 failed with ORDERS_NOT_CLOSED; attempt 1"
        " of 5 at 2026-12-13T23:36:53Z"
    )
    with console.capture() as captured:
        print_table(
            "Timeline",
            ["at", "from", "to", "why"],
            [("2026-12-06T23:36:53Z", "", "WAITING", why)],
            ids=(),
        )
    text = captured.get()
    assert max(len(line) for line in text.splitlines()) <= 80, text
    for word in why.split():
        assert word in text, text
    # A short column of codes takes the width of its longest code.
    with console.capture() as captured:
        print_table(
            "Tasks",
            ["task", "attempt", "outcome", "errors"],
            [("3f6a1c2e-8b7d-4e9f-a0b1-c2d3e4f5a6b7", 0, "FAILED", "ORDERS_NOT_CLOSED")],
        )
    assert "ORDERS_NOT_CLOSED" in captured.get(), captured.get()

    # A word longer than any id (hostile text, a pasted URL) folds: it never widens the table
    # past the terminal.
    with console.capture() as captured:
        print_table("Errors", ["code", "message"], [("ORDERS_NOT_CLOSED", "x" * 300)], ids=())
    text = captured.get()
    assert max(len(line) for line in text.splitlines()) <= 80, text
    assert "ORDERS_NOT_CLOSED" in text
