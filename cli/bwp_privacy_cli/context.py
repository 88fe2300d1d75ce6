"""Options every command shares, and the one-line errors users see instead of tracebacks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from bwp_privacy_cli.output import console, err_console, plain
from bwp_privacy_cli.targets import Target, open_target
from bwp_privacy_cli.targets.sandbox import (
    another_checkouts_sandbox_message,
    read_sandbox_state,
    sandbox_alive,
    sandbox_file,
)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class CliContext:
    env: str = "sandbox"
    stack_name: str | None = None
    json: bool = False
    verbose: bool = False
    #: Whether --env was given (or BWP_ENV set), not left to its default.
    env_given: bool = False

    @contextmanager
    def target(self) -> Iterator[Target]:
        """Open the target and point boto3 at its AWS for the duration.

        ``--stack-name`` names a deployed stack: with ``--env sandbox`` it is a contradiction.
        """
        if self.stack_name is not None and self.env == "sandbox" and self.env_given:
            raise UserError("--stack-name names a deployed stack: drop --env sandbox")
        if self.stack_name is None and self.env == "sandbox":
            refuse_another_checkouts_sandbox()
        # A sandbox started for this command is announced on stderr: --json stays clean.
        with (
            open_target(self.env, stack_name=self.stack_name, notify=err_console.print) as target,
            target.aws(),
        ):
            yield target

    def announce(self, target: Target) -> None:
        """The first line of human output: where the command acts."""
        if not self.json:
            console.print(target.banner())


pass_cli = click.make_pass_decorator(CliContext, ensure=True)


def refuse_another_checkouts_sandbox() -> None:
    """A sandbox another checkout started (their state file is shared, BWP_SANDBOX_FILE)
    runs that checkout's template and holds that work's failures and cases: a command here
    never acts on it unsaid, it says whose it is and the ways on."""
    path = sandbox_file()
    recorded = read_sandbox_state(path)
    # Asked only when it is another checkout's: one that is gone is simply replaced.
    if recorded is not None and recorded.serves_another_checkout() and sandbox_alive(recorded):
        raise UserError(another_checkouts_sandbox_message(recorded, path))


class UserError(click.ClickException):
    """A problem the user can fix: printed as one line, exit code 1."""

    def format_message(self) -> str:
        # It may quote the API, AWS or a stored value: one line, no control characters.
        return plain(self.message)


def _setter(field: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        if value not in (None, False):
            setattr(ctx.ensure_object(CliContext), field, value)
            if field == "env":
                ctx.ensure_object(CliContext).env_given = True

    return callback


def common_options(function: F) -> F:
    """--env, --stack-name, --json and --verbose, accepted after the subcommand too."""
    options = [
        click.option(
            "--json",
            "json_",
            is_flag=True,
            expose_value=False,
            callback=_setter("json"),
            help="Machine-readable JSON on stdout.",
        ),
        click.option(
            "-v",
            "--verbose",
            is_flag=True,
            expose_value=False,
            callback=_setter("verbose"),
            help="Show the functions' logs on stderr.",
        ),
        click.option(
            "--stack-name",
            expose_value=False,
            callback=_setter("stack_name"),
            help="Deployed stack (overrides samconfig).",
        ),
        click.option(
            "--env",
            expose_value=False,
            callback=_setter("env"),
            help="sandbox, deployed, or a samconfig environment.",
        ),
    ]
    for option in options:
        function = option(function)
    return function
