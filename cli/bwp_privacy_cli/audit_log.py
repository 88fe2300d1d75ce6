"""Each operator command that acts on a case, a task or a parked message is one entry of the
audit trail: who ran it (the caller's AWS identity; the local user in the sandbox), on what,
with which input, and what came of it, refused or failed attempts included."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import click

from bwp_privacy.audit import AuditEntry
from bwp_privacy.common import BwpPrivacyError, utc_now
from bwp_privacy_cli.targets import Target


@dataclass
class Action:
    """What the command reports back before the entry is written."""

    outcome: str = "done"
    detail: dict[str, str] = field(default_factory=dict)
    #: When the entry's retention starts (an open case's last lawful end), if not now.
    keep_from: datetime | None = None


@contextmanager
def audited(target: Target, action: str, subject: str, input_: str) -> Iterator[Action]:
    """Run the command's body, then record it: ``done`` (or what the body set), ``refused:
    <why>`` for an error the operator can act on, ``failed: <error type>`` otherwise. The
    entry is written even when the body raised, and the body's error is what the caller sees."""
    operator = target.operator()
    trail = target.audit_trail()
    retention = target.reaction_settings().retention_days
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
        trail.append(
            [
                AuditEntry.new(
                    subject,
                    at=utc_now(),
                    actor=operator,
                    action=action,
                    input_=input_,
                    outcome=record.outcome,
                    retention_days=retention,
                    detail=record.detail,
                    keep_from=record.keep_from,
                )
            ]
        )


def _refused(error: BaseException) -> str:
    if isinstance(error, SystemExit):
        return "stopped" if error.code else "done"
    message = error.message if isinstance(error, click.ClickException) else str(error)
    return f"refused: {message}"[:2000]
