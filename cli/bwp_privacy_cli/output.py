"""Output for people (rich tables on stdout) and for scripts (--json)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

#: Width of tables written to a pipe or a file when COLUMNS does not say.
PIPED_WIDTH = 120
#: The narrowest a folded (non-id) column gets before a table grows past the terminal.
MIN_FOLDED_WIDTH = 8

# Sentences are never broken across lines by the width (tables are laid out to it).
console = Console(highlight=False, soft_wrap=True)
if not console.is_terminal:
    # Piped or captured: COLUMNS when set, else a width a pager shows whole.
    console.width = int(os.environ.get("COLUMNS") or PIPED_WIDTH)
# Messages on stderr are sentences, never broken across lines by a terminal width.
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(payload: Any) -> None:
    """One JSON document on stdout: a model (see json_output) in its documented types."""
    if isinstance(payload, BaseModel):
        sys.stdout.write(payload.model_dump_json(by_alias=True, indent=2) + "\n")
        return
    sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")


def print_table(
    title: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    ids: Sequence[str] = ("task", "event", "messageId"),
) -> None:
    """A readable table; an empty one says so.

    Columns named in ``ids`` hold identifiers a person copies: they are never broken, and
    the other columns fold first when the terminal is narrow.
    """
    cells = [["" if cell is None else str(cell) for cell in row] for row in rows]
    if not cells:
        console.print(f"{title}: none")
        return
    table = Table(title=title, title_justify="left", show_lines=False)
    needed = 1  # the table's left border; each column adds its width, padding and border
    for index, column in enumerate(columns):
        if column in ids:
            widest = max([len(column), *(len(row[index]) for row in cells)])
            table.add_column(column, no_wrap=True, min_width=widest)
            needed += widest + 3
        else:
            table.add_column(column, overflow="fold", min_width=MIN_FOLDED_WIDTH)
            needed += MIN_FOLDED_WIDTH + 3
    for row in cells:
        table.add_row(*row)
    if needed > console.width:
        # Too narrow for the ids even with every other column folded: wider than the
        # terminal (it wraps the line) rather than an id cut in two. The table's own width,
        # because rich caps a width given to print() at the console's.
        table.width = needed
    console.print(table)


def progress(total: int, description: str) -> Progress:
    """A progress bar on stderr (hidden when stderr is not a terminal)."""
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal or total < 2,
    )
    bar.add_task(description, total=total)
    return bar
