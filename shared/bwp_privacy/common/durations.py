"""Durations written in configuration files: ``30m``, ``4h``, ``7d`` (one number, one unit)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_DURATION = re.compile(r"(\d+)([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(text: str) -> int:
    """'4h' -> 14400."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"not a duration: {text!r}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _duration(text: str) -> str:
    if not _DURATION.fullmatch(text) or duration_seconds(text) <= 0:
        raise ValueError("must be a duration like 30m, 4h or 7d")
    return text


#: A validated duration string (kept as written, so a config round-trips unchanged).
Duration = Annotated[str, AfterValidator(_duration)]
