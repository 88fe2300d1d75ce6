"""An operator's own work on what is not a case (a dead-letter queue's redrive or discard, an
export of the request log) is one entry of the audit trail: what, with which input, and what
came of it, refused or failed attempts included. The reaction writes it (a `record` request
to its function URL), with the identity AWS authenticated the request with as its actor and
its own time and retention: the CLI names neither who nor when.

What changes a case (`cases …`, `task cancel`) is carried out by the reaction itself, which
records it the same way."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

import click

from bwp_privacy.common import BwpPrivacyError
from bwp_privacy_cli.targets import Target

#: What a record may be of (the reaction refuses any other).
RecordName = Literal["dlq redrive", "dlq discard", "cases export"]


@dataclass
class Action:
    """What the command reports back before the entry is written."""

    outcome: str = "done"
    detail: dict[str, str] = field(default_factory=dict)


@contextmanager
def audited(target: Target, name: RecordName, subject: str, input_: str) -> Iterator[Action]:
    """Run the command's body, then have the reaction record it: ``done`` (or what the body
    set), ``refused: <why>`` for an error the operator can act on, ``failed: <error type>``
    otherwise. The entry is written even when the body raised, and the body's error is what
    the caller sees."""
    client = target.operator_client()
    record = Action()
    try:
        yield record
    except (BwpPrivacyError, click.ClickException, SystemExit) as error:
        record.outcome = _refused(error)
        raise
    except Exception as error:
        record.outcome = f"failed: {type(error).__name__}"
        raise
    finally:
        client.send(
            {
                "action": "record",
                "subject": subject,
                "name": name,
                "input": input_[:1000],
                "outcome": record.outcome[:1000],
                "detail": record.detail,
            }
        )


def _refused(error: BaseException) -> str:
    if isinstance(error, SystemExit):
        return "stopped" if error.code else "done"
    message = error.message if isinstance(error, click.ClickException) else str(error)
    return f"refused: {message}"[:1000]
