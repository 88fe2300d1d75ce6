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
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from bwp_privacy.common.text import one_line

#: Width of tables written to a pipe or a file when COLUMNS does not say.
PIPED_WIDTH = 120
#: A word longer than this may be broken across lines to fit a column: no id, error code or
#: time is this long (a uuid has 36 characters, a business product id 39, an ISO time 27), and
#: a longer word (a pasted URL, hostile text) must not push every table past the terminal.
LONGEST_WHOLE_WORD = 64
#: A cell this short is never wrapped ("past due", "on time"): a short phrase over two lines
#: reads worse than the few columns it takes.
SHORTEST_WRAPPED = 8
#: Between two columns of a table: a space, a rule, a space.
COLUMN_GAP = 3

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
    spare: Sequence[str] = (),
) -> None:
    """A readable table that fits the terminal; an empty one says so.

    Every cell is plain text (see ``plain``): a value holding ``[/link]`` or an escape
    sequence prints as its characters, without the control characters. A ``Text`` cell keeps
    its style (the CLI's own colours); no cell is read as rich markup.

    No id, error code or time is broken across lines: columns named in ``ids`` are never
    wrapped at all, and the others wrap between words only (a word longer than
    ``LONGEST_WHOLE_WORD`` excepted). When the columns do not fit side by side, those named in
    ``spare`` are hidden, the first named first, and one line under the table says which: a
    command names the columns a reader can best do without first. Only when the columns left
    still do not fit are the words of the other columns folded, and only when the ids alone do
    not fit does the table grow past the terminal.
    """
    cells = [[_cell(cell) for cell in row] for row in rows]
    if not cells:
        console.print(f"{title}: none")
        return
    width = console.width
    fits = [
        _fit(column, [row[index] for row in cells], whole=column in ids)
        for index, column in enumerate(columns)
    ]
    shown, hidden = _choose(columns, fits, spare, width)
    widths = _share(shown, _squeezed(shown, fits, width), width)
    table = Table(
        title=title,
        title_justify="left",
        # Rules between the columns only: outer borders and padding would take four of a
        # narrow terminal's columns from the cells.
        box=box.MINIMAL_HEAVY_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    for index in shown:
        table.add_column(
            columns[index], width=widths[index], no_wrap=columns[index] in ids, overflow="fold"
        )
    for row in cells:
        table.add_row(*(row[index] for index in shown))
    # Exactly the widths chosen: rich would otherwise squeeze the columns to the terminal
    # (breaking ids) when they cannot fit, since it caps a width given to print() at the
    # console's.
    table.width = _needed(widths[index] for index in shown)
    console.print(table)
    if hidden:
        # One sentence, as every other (see ``console``): the terminal wraps it if it must.
        console.print(
            f"hidden at {width} columns: {', '.join(columns[index] for index in hidden)};"
            " widen the terminal or use --json"
        )


@dataclass(frozen=True)
class _Fit:
    """How wide a column can be: ``least`` breaks no word (an id column: no cell), ``most``
    puts every cell on one line; ``whole``: an id column, never narrower than its widest."""

    least: int
    most: int
    whole: bool = False


def _fit(column: str, cells: Sequence[Text], *, whole: bool) -> _Fit:
    widest = max(cell_len(column), *(cell.cell_len for cell in cells))
    if whole:
        return _Fit(widest, widest, whole=True)
    words = [word for text in (column, *(cell.plain for cell in cells)) for word in text.split()]
    longest_word = max((min(cell_len(word), LONGEST_WHOLE_WORD) for word in words), default=1)
    widest_cell = max(cell.cell_len for cell in cells)
    least = max(longest_word, min(widest_cell, SHORTEST_WRAPPED))
    return _Fit(least, max(least, widest))


def _needed(widths: Iterable[int]) -> int:
    """A table's width: its columns', and a gap (space, rule, space) between two."""
    chosen = list(widths)
    return sum(chosen) + COLUMN_GAP * max(len(chosen) - 1, 0)


def _choose(
    columns: Sequence[str], fits: Sequence[_Fit], spare: Sequence[str], width: int
) -> tuple[list[int], list[int]]:
    """The columns shown and those hidden (in the order ``spare`` names them)."""
    unknown = [name for name in spare if name not in columns]
    if unknown:
        raise ValueError(f"spare columns {unknown} are none of the table's {list(columns)}")
    shown = list(range(len(columns)))

    def least(indexes: Iterable[int]) -> int:
        return _needed(fits[index].least for index in indexes)

    dropped: list[int] = []
    for name in spare:
        if least(shown) <= width:
            break
        index = columns.index(name)
        shown.remove(index)
        dropped.append(index)
    # Hiding a wide column may leave room for a narrower one hidden before it: give back,
    # the most needed first, every column that still fits.
    for index in reversed(dropped):
        if least([*shown, index]) <= width:
            shown.append(index)
    shown.sort()
    return shown, [index for index in dropped if index not in shown]


def _squeezed(shown: Sequence[int], fits: Sequence[_Fit], width: int) -> list[_Fit]:
    """``fits``, with the columns that are not ids narrowed (the widest first, down to
    ``SHORTEST_WRAPPED``) as far as the shown columns need to fit: their long words fold rather
    than the table grow past the terminal."""
    least = {index: fits[index].least for index in shown}
    over = _needed(least.values()) - width
    while over > 0:
        narrowable = [
            index
            for index in shown
            if not fits[index].whole and least[index] > min(SHORTEST_WRAPPED, fits[index].least)
        ]
        if not narrowable:
            break  # the ids alone are wider than the terminal
        widest = max(narrowable, key=lambda index: least[index])
        least[widest] -= 1
        over -= 1
    return [
        _Fit(least.get(index, fit.least), max(fit.most, least.get(index, fit.least)), fit.whole)
        for index, fit in enumerate(fits)
    ]


def _share(shown: Sequence[int], fits: Sequence[_Fit], width: int) -> dict[int, int]:
    """Each shown column's width: its least, then the room left shared out, the columns that
    need least more first (so that as many as can be are on one line), the others evenly."""
    widths = {index: fits[index].least for index in shown}
    room = width - _needed(widths.values())
    hungry = sorted(shown, key=lambda index: fits[index].most - fits[index].least)
    for position, index in enumerate(hungry):
        if room <= 0:
            break
        given = min(fits[index].most - fits[index].least, room // (len(hungry) - position))
        widths[index] += given
        room -= given
    return widths


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
