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
