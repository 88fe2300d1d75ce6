"""The file a command writes with ``-o FILE``: checked before the command does anything, so
that a directory that is not there is one line (as `report -o` says it), never a traceback
after the work is done."""

from __future__ import annotations

from pathlib import Path

from bwp_privacy_cli.context import UserError

__all__ = ["check_output_dir"]


def check_output_dir(output: Path) -> None:
    """Refuse ``output`` in one line when the directory it would be written in is not one
    (click's ``Path`` checks only a file that exists)."""
    if not output.parent.is_dir():
        raise UserError(f"-o: {output.parent} is not a directory")
