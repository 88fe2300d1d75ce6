"""Read events from JSON files, JSON Lines (archive exports) and standard input."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SourcedEvent:
    """An event, or why it could not be read, and where it came from (file, line)."""

    origin: str
    event: dict[str, Any] | None = None
    error: str | None = None


def read_events(sources: list[str]) -> Iterator[SourcedEvent]:
    """Every event of every source; ``-`` is standard input. Unreadable input is yielded as
    an error naming the file and line, so one bad file does not stop the others."""
    for source in sources:
        name = "<stdin>" if source == "-" else source
        try:
            text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            yield SourcedEvent(name, error=f"cannot read {name}: {reason}")
            continue
        yield from _parse(name, text)


def _parse(name: str, text: str) -> Iterator[SourcedEvent]:
    stripped = text.strip()
    if not stripped:
        yield SourcedEvent(name, error=f"{name}: no events (empty input)")
        return
    try:
        document = json.loads(stripped)
    except json.JSONDecodeError as error:
        # "Extra data": a first document parsed and more follow, so it is JSON Lines.
        if error.msg == "Extra data" or name.endswith((".jsonl", ".ndjson")):
            yield from _json_lines(name, text)
        else:
            yield SourcedEvent(
                name, error=f"{name}: line {error.lineno} column {error.colno}: {error.msg}"
            )
        return
    if isinstance(document, list):
        for index, item in enumerate(document):
            yield _event(f"{name}[{index}]", item)
    else:
        yield _event(name, document)


def _json_lines(name: str, text: str) -> Iterator[SourcedEvent]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        origin = f"{name}:{number}"
        try:
            yield _event(origin, json.loads(line))
        except json.JSONDecodeError as error:
            yield SourcedEvent(
                origin, error=f"{origin}: invalid JSON at column {error.colno}: {error.msg}"
            )


def _event(origin: str, item: Any) -> SourcedEvent:
    if not isinstance(item, dict):
        return SourcedEvent(
            origin, error=f"{origin}: expected a JSON object (an event), got {type(item).__name__}"
        )
    return SourcedEvent(origin, event=item)
