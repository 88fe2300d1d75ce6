"""Output for people (rich tables on stdout) and for scripts (--json).

What the CLI prints holds text from outside: error messages of the API, reasons an operator
typed, whatever a table or a queue holds. It is printed as the characters it is, never read as
rich markup (``[link=…]``, ``[/link]``), emoji codes or terminal escape sequences: the consoles
parse no markup unless a call asks for it (for the CLI's own colours), and control characters
(C0, DEL, C1: ESC starts every escape sequence, OSC 8 hyperlinks included) are removed.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from bwp_privacy.common.text import one_line

#: Width of tables written to a pipe or a file when COLUMNS does not say.
PIPED_WIDTH = 120
#: The narrowest a folded (non-id) column gets before a table grows past the terminal.
MIN_FOLDED_WIDTH = 8

#: Control characters (C0, DEL, C1) and bidirectional controls, but for the line breaks and
#: tabs of the CLI's own multi-line messages.
_CONTROL_BUT_LAYOUT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def plain(value: object) -> str:
    """``value`` as one line of inert text (`one_line`: every run of control, line-breaking or
    bidirectional characters one space, so ESC never starts a terminal's escape sequence).
    Markup is left as written: print the result as plain text (a table cell, or a console
    without markup)."""
    return one_line(str(value))


class PlainConsole(Console):
    """A console that prints strings without their control characters (line breaks and tabs
    kept), and parses rich markup or emoji codes only when a call asks for it
    (``markup=True``: the CLI's own colours)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(markup=False, emoji=False, highlight=False, **kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(_CONTROL_BUT_LAYOUT.sub("", text), **kwargs)


# Sentences are never broken across lines by the width (tables are laid out to it).
console = PlainConsole(soft_wrap=True)
if not console.is_terminal:
    # Piped or captured: COLUMNS when set, else a width a pager shows whole.
    console.width = int(os.environ.get("COLUMNS") or PIPED_WIDTH)
# Messages on stderr are sentences, never broken across lines by a terminal width.
err_console = PlainConsole(stderr=True, soft_wrap=True)


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

    Every cell is plain text (see ``plain``): a value holding ``[/link]`` or an escape
    sequence prints as its characters, without the control characters. A ``Text`` cell keeps
    its style (the CLI's own colours); no cell is read as rich markup.

    Columns named in ``ids`` hold identifiers a person copies: they are never broken, and
    the other columns fold first when the terminal is narrow.
    """
    cells = [[_cell(cell) for cell in row] for row in rows]
    if not cells:
        console.print(f"{title}: none")
        return
    table = Table(title=title, title_justify="left", show_lines=False)
    needed = 1  # the table's left border; each column adds its width, padding and border
    for index, column in enumerate(columns):
        if column in ids:
            widest = max([len(column), *(row[index].cell_len for row in cells)])
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


def _cell(value: object) -> Text:
    """One table cell as inert text (styled only by the CLI itself)."""
    if isinstance(value, Text):
        return Text(plain(value.plain), style=value.style)
    return Text("" if value is None else plain(value))


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
