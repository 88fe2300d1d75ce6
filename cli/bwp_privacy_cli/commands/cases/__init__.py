"""`bwp-privacy cases list|show|resubmit|close|extend|set-received|appeal|link|export|stats`: the
failed deletions and retrievals the reaction carries, what an operator may do about one, and
what an auditor reads of them (the request log, the yearly figures). Every change is a request
to the reaction's function URL, signed with the operator's AWS credentials: the reaction makes
it, with the identity AWS authenticated as its actor, and records it, refused or not, in the
audit trail.

A module a job: `group` holds the `cases` group (registered with the --json models of
`outputs`) and the due-soon option `report` shares; `listing` is `cases list`, `showing` is
`cases show`; `actions` holds the operator's commands (resubmit, close, extend, set-received,
appeal, link), which `operating` sends to the reaction and whose answers it reports;
`exporting` holds what an auditor reads (export, stats); `wording` says a moment and where a
case stands the same way for all of them.
"""

# Imported for what importing them does: each attaches its subcommands to the `cases` group.
from bwp_privacy_cli.commands.cases import actions, exporting, listing, showing  # noqa: F401
from bwp_privacy_cli.commands.cases.group import cases, due_soon_days_option

__all__ = ["cases", "due_soon_days_option"]
