"""The `bwp-privacy cases` group its subcommands attach to, registered with every subcommand's
--json model, and the due-soon threshold `cases list` shares with `report`."""

from __future__ import annotations

import click

from bwp_privacy.cases import DEFAULT_DUE_SOON_DAYS
from bwp_privacy_cli.command_registry import registered
from bwp_privacy_cli.commands.cases.outputs import (
    CaseActionOut,
    CasesExportOut,
    CaseShowOut,
    CasesListOut,
    CasesStatsOut,
)

#: One option for every command that sorts open cases by urgency (`cases list`, `report`): the
#: same whole days and the same meaning, as the deadline watch's DueSoonDays (an integer too),
#: so that one BWP_DUE_SOON_DAYS serves both.
due_soon_days_option = click.option(
    "--due-soon-days",
    type=click.IntRange(0, 365),
    default=DEFAULT_DUE_SOON_DAYS,
    show_default=True,
    envvar="BWP_DUE_SOON_DAYS",
    show_envvar=True,
    metavar="DAYS",
    help="An open case with fewer than DAYS days left to its legal deadline (extensions"
    " applied) is due soon.",
)


@registered(
    "List, show, resubmit, close deletion and retrieval cases.",
    place=110,
    outputs={
        "cases-list": CasesListOut,
        "cases-export": CasesExportOut,
        "cases-stats": CasesStatsOut,
        "cases-show": CaseShowOut,
        "cases-action": CaseActionOut,
    },
)
@click.group()
def cases() -> None:
    """Failed deletions and retrievals as cases: each carried to its end by the reaction."""
