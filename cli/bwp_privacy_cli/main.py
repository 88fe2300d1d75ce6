"""Entry point of `bwp-privacy`: global options, subcommands, errors as one line."""

from __future__ import annotations

import warnings
from typing import Any

import click

from bwp_privacy_cli import command_registry
from bwp_privacy_cli.context import CliContext, UserError


class FriendlyGroup(click.Group):
    """The subcommands the registry finds, each imported only when it runs or `--help` lists
    them all; errors a user can cause become one line and exit code 1."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [entry.name for entry in command_registry.load_all()]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = command_registry.load(cmd_name)
        return None if entry is None else entry.command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(e.name, e.summary) for e in command_registry.load_all()])

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            raise click.Abort() from None
        except Exception as error:
            message = describe_error(error)
            if message is None:
                raise
            raise UserError(message) from None


def describe_error(error: Exception) -> str | None:
    """A one-line message for errors users cause (bad settings, unreachable endpoints...)."""
    import requests
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

    from bwp_privacy.bwp_api import BwpApiError
    from bwp_privacy.common import BwpPrivacyError

    if isinstance(error, BwpApiError):
        return f"Buy with Prime API: {error.classification}: {error.message}"
    if isinstance(error, BwpPrivacyError):  # settings, events, routes, targets...
        return str(error)
    if isinstance(error, NoCredentialsError | NoRegionError):
        return f"AWS: {error} (configure a profile or pass --env sandbox)"
    if isinstance(error, ClientError):
        return f"AWS {error.operation_name}: {error.response['Error'].get('Message', error)}"
    if isinstance(error, BotoCoreError):
        return f"AWS: {error}"
    if isinstance(error, requests.RequestException):
        return (
            f"cannot reach {getattr(error.request, 'url', 'the endpoint')}: {type(error).__name__}"
        )
    return None


@click.group(cls=FriendlyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--env",
    default="sandbox",
    show_default=True,
    envvar="BWP_ENV",
    help="sandbox (local, nothing to set up), deployed (samconfig default), or a samconfig env.",
)
@click.option("--stack-name", envvar="BWP_STACK_NAME", help="Deployed stack (overrides samconfig).")
@click.option("--json", "json_output", is_flag=True, help="Machine-readable JSON on stdout.")
@click.option("-v", "--verbose", is_flag=True, help="Show the functions' logs on stderr.")
@click.version_option(package_name="bwp-privacy")
@click.pass_context
def cli(
    ctx: click.Context, env: str, stack_name: str | None, json_output: bool, verbose: bool
) -> None:
    """The operator's tool of bwp-privacy, for deletion and retrieval tasks alike: set up and
    check a stack (setup, doctor); run events through the handlers and write sample ones
    (replay, events); show and cancel tasks (task); read stored failures (failures); carry
    cases to their end and write the compliance report (cases, report); drain the dead-letter
    queues and replay the archive (dlq, archive); check alert routes and silence alerts for a
    while (routes, silence); run a local sandbox to try all of it (sandbox)."""
    given = ctx.get_parameter_source("env") not in (None, click.core.ParameterSource.DEFAULT)
    ctx.obj = CliContext(
        env=env, stack_name=stack_name, json=json_output, verbose=verbose, env_given=given
    )


def main() -> None:
    """Console script entry point."""
    # Powertools warns when an invocation flushes no plain metric: the CLI's own output is
    # what belongs on stderr (the functions' logs too, with -v).
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    cli(prog_name="bwp-privacy")


if __name__ == "__main__":
    main()
