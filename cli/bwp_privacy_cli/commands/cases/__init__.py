"""`bwp-privacy cases`: the command (`command`) and what it prints with --json (`outputs`)."""

from bwp_privacy_cli.commands.cases.command import cases, due_soon_days_option

__all__ = ["cases", "due_soon_days_option"]
