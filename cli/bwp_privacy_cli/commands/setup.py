"""`bwp-privacy setup`: what the template cannot do for a deploy, guided and safe to run again
(the work: `bwp_privacy_cli.onboarding`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import boto3
import click
from pydantic import Field, SecretStr, ValidationError

from bwp_privacy.bwp_api import ClientCredentials
from bwp_privacy.common import AWS_CLIENT_CONFIG, BwpPrivacyError
from bwp_privacy_cli.command_registry import registered
from bwp_privacy_cli.context import CliContext, UserError, common_options, pass_cli
from bwp_privacy_cli.json_output import JsonOut, TargetOut
from bwp_privacy_cli.local import patched_environ
from bwp_privacy_cli.onboarding import (
    SOURCE_PREFIX,
    ApiEndpoints,
    CredentialsSecret,
    Destination,
    SetupRequest,
    Step,
    plan,
    run,
    stack_name_problem,
)
from bwp_privacy_cli.output import console, print_json
from bwp_privacy_cli.targets import (
    IncompleteStack,
    MissingStack,
    Target,
    aws_region,
    deployed_target,
    samconfig_stack_name,
)


class SetupStepOut(JsonOut):
    step: str = Field(
        description="credentials, privacy permission, subscription TYPE, secret or partner"
        " event bus"
    )
    outcome: Literal["done", "unchanged", "checked", "would", "warning"] = Field(
        description="done: changed something; unchanged: it was so already; checked: a check"
        " that passed; would: a dry run's request, not made; warning: a check a person should"
        " look at again"
    )
    detail: str


class SetupOut(JsonOut):
    target: TargetOut
    account: str
    region: str
    source: str = Field(description="the partner event source, and the name of its bus")
    secret_name: str = Field(alias="secretName")
    dry_run: bool = Field(alias="dryRun")
    steps: list[SetupStepOut]
    next: str = Field(description="what to do next")


#: The secret's name when no stack says it (README's deploy path uses it).
DEFAULT_SECRET_NAME = "bwp-privacy/api-credentials"  # noqa: S105 (a name)


@dataclass(frozen=True)
class _Where:
    """Where setup acts: a target (the sandbox or a deployed stack), or a stack's name and
    region before its first deploy (``failed``: the status of a stack that failed to create,
    which must be deleted before it is deployed again)."""

    target: Target | None
    stack: str | None
    region: str
    env: str
    failed: str | None = None

    def identity(self) -> TargetOut:
        if self.target is not None:
            return self.target.identity()
        return TargetOut(env=self.env, stack=self.stack, region=self.region)

    def banner(self) -> str:
        if self.target is not None:
            return self.target.banner()
        state = "failed to create" if self.failed else "not deployed yet"
        return f"Target: stack {self.stack} in {self.region} ({state})"


@registered(
    "Before a first deploy: credentials, subscriptions, partner bus.",
    place=10,
    outputs={"setup": SetupOut},
)
@click.command()
@click.option(
    "--source-name",
    help="NAME of the partner event source aws.partner/buywithprime/NAME, yours to choose and"
    " unique across Buy with Prime. Default: the deployed stack's.",
)
@click.option(
    "--secret-name",
    help=f"The secret the stack reads (BwpCredentialsSecretName). Default: the stack's, else"
    f" {DEFAULT_SECRET_NAME}.",
)
@click.option(
    "--client-id", help="The API credentials' client id (new credentials; asked when needed)."
)
@click.option(
    "--target-id",
    help="The business product id (bp-...) the merchant console shows with the credentials.",
)
@click.option(
    "--client-secret-stdin",
    is_flag=True,
    help="Read the client secret from standard input; otherwise it is asked for, hidden. It is"
    " never an argument.",
)
@click.option("--dry-run", is_flag=True, help="Print each request setup would make; make none.")
@common_options
@pass_cli
def setup(
    cli: CliContext,
    source_name: str | None,
    secret_name: str | None,
    client_id: str | None,
    target_id: str | None,
    client_secret_stdin: bool,
    dry_run: bool,
) -> None:
    """Check the API credentials and keep them in the stack's secret, subscribe the four event
    types to the partner event source, and give the source its bus. Safe to run again."""
    with _where(cli) as where:
        if not cli.json:
            console.print(where.banner())
        env = where.target.function_env if where.target else dict(os.environ)
        destination = Destination.of_source(_source(where, source_name), _account(), where.region)
        secret = CredentialsSecret(
            boto3.client("secretsmanager", config=AWS_CLIENT_CONFIG),
            secret_name or env.get("BWP_CREDENTIALS_SECRET_ID") or DEFAULT_SECRET_NAME,
        )
        credentials, entered = _credentials(
            secret, client_id, target_id, client_secret_stdin, dry_run=dry_run
        )
        request = SetupRequest(
            destination=destination,
            secret_name=secret.name,
            endpoints=ApiEndpoints.from_env(env),
            credentials=credentials,
            entered=entered,
        )
        if not cli.json:
            console.print(
                f"Setup of account {destination.account} in {destination.region}, partner"
                f" event source {destination.source}:"
            )
        show = _show if not cli.json else _silent
        try:
            if dry_run:
                steps = plan(request)
                for step in steps:
                    show(step)
            else:
                steps = run(
                    request,
                    secrets=boto3.client("secretsmanager", config=AWS_CLIENT_CONFIG),
                    events=boto3.client("events", config=AWS_CLIENT_CONFIG),
                    report=show,
                )
        except BwpPrivacyError as error:
            raise UserError(f"setup: {error}") from None
    next_step = _next(where, request, dry_run)
    if cli.json:
        print_json(
            SetupOut(
                target=where.identity(),
                account=destination.account,
                region=destination.region,
                source=destination.source,
                secret_name=secret.name,
                dry_run=dry_run,
                steps=[
                    SetupStepOut(step=s.step, outcome=s.outcome, detail=s.detail) for s in steps
                ],
                next=next_step,
            )
        )
    else:
        console.print(f"Next: {next_step}")


@contextmanager
def _where(cli: CliContext) -> Iterator[_Where]:
    """The sandbox, a deployed stack, or the stack a first deploy will make (its name must
    fit the template's names)."""
    if cli.stack_name is None and cli.env == "sandbox":
        with cli.target() as sandbox:
            yield _Where(sandbox, None, sandbox.region or "us-east-1", "sandbox")
        return
    env = "deployed" if cli.env == "sandbox" else cli.env
    name = cli.stack_name or samconfig_stack_name(cli.env)
    deployed: Target | None
    failed = None
    try:
        deployed = deployed_target(name, env)
    except (MissingStack, IncompleteStack) as error:
        # Not deployed yet, or a first deploy that failed (most often: deployed before
        # setup, with no partner bus yet): setup comes first either way.
        deployed = None
        failed = str(error) if isinstance(error, IncompleteStack) else None
        problem = stack_name_problem(name)
        if problem is not None:
            raise UserError(f"setup: {problem}") from None
    region = deployed.region if deployed and deployed.region else aws_region()
    with patched_environ({"AWS_DEFAULT_REGION": region}):
        if deployed is None:
            yield _Where(None, name, region, env, failed)
        else:
            with deployed.aws():
                yield _Where(deployed, name, region, env)


def _source(where: _Where, given: str | None) -> str:
    """The partner event source: --source-name, else the deployed stack's bus."""
    if given is not None:
        return SOURCE_PREFIX + given.removeprefix(SOURCE_PREFIX)
    stack_bus = _stack_bus(where)
    if stack_bus is not None:
        return stack_bus
    raise UserError(
        f"setup: pass --source-name NAME: the partner event source {SOURCE_PREFIX}NAME"
        " Buy with Prime sends to (yours to choose, unique across Buy with Prime)"
    )


def _stack_bus(where: _Where) -> str | None:
    arn = where.target.partner_bus_arn if where.target else None
    return arn.split(":event-bus/", 1)[1] if arn and ":event-bus/" in arn else None


def _account() -> str:
    """The AWS account the caller's credentials are in."""
    return str(boto3.client("sts", config=AWS_CLIENT_CONFIG).get_caller_identity()["Account"])


def _credentials(
    secret: CredentialsSecret,
    client_id: str | None,
    target_id: str | None,
    from_stdin: bool,
    *,
    dry_run: bool,
) -> tuple[ClientCredentials, bool]:
    """The credentials to set up, and whether they are new (to be kept in the secret).

    With no --client-id and a secret already there, the stored ones are used (a rerun asks
    for nothing); --target-id alone updates the stored business product."""
    stored = secret.read() if client_id is None else None
    if stored is not None:
        if target_id is None or target_id == stored.target_id:
            return stored, False
        return _checked(stored.client_id, stored.client_secret, target_id), True
    if not sys.stdin.isatty() and (client_id is None or target_id is None):
        raise UserError(
            f"setup: no secret {secret.name} yet, and no terminal to ask for the credentials:"
            " pass --client-id and --target-id (and the secret with --client-secret-stdin)"
        )
    client_id = client_id or click.prompt("Client id (merchant console, API credentials)", err=True)
    target_id = target_id or click.prompt("Business product id (bp-...)", err=True)
    if dry_run:
        client_secret = "(not asked in a dry run)"  # noqa: S105 (no secret: nothing is sent)
    elif from_stdin:
        client_secret = sys.stdin.readline().strip()
    elif not sys.stdin.isatty():
        raise UserError(
            "setup: no terminal to ask for the client secret: pipe it with --client-secret-stdin"
            " (never as an argument)"
        )
    else:
        client_secret = click.prompt("Client secret", hide_input=True, err=True)
    return _checked(client_id, SecretStr(client_secret), target_id), True


def _checked(client_id: str, client_secret: SecretStr, target_id: str) -> ClientCredentials:
    """The credentials, held to their model before any request (the business product goes
    into a header)."""
    try:
        return ClientCredentials(
            client_id=client_id, client_secret=client_secret, target_id=target_id
        )
    except ValidationError:
        raise UserError(
            "setup: the client id and the client secret must be 1 to 256 and 1 to 1,024"
            " characters, the business product id 1 to 256 letters, digits and . _ : -"
        ) from None


def _show(step: Step) -> None:
    console.print(f"  {step.outcome:<9} {step.step}: {step.detail}", markup=False)


def _silent(_: Step) -> None:
    """--json: the steps are in the one document at the end."""


def _next(where: _Where, request: SetupRequest, dry_run: bool) -> str:
    if dry_run:
        return "run again without --dry-run to make these requests"
    parameters = (
        f"PartnerEventBusName={request.destination.source} and"
        f" BwpCredentialsSecretName={request.secret_name}"
    )
    if where.target is None:
        first = (
            f"delete the stack that failed (aws cloudformation delete-stack --stack-name"
            f" {where.stack}), then "
            if where.failed
            else ""
        )
        return (
            f"{first}deploy the stack: make deploy (stack {where.stack}, region {where.region}),"
            f" with {parameters}; then bwp-privacy doctor"
        )
    stack_secret = where.target.function_env.get("BWP_CREDENTIALS_SECRET_ID")
    if _stack_bus(where) not in (None, request.destination.source) or stack_secret not in (
        None,
        request.secret_name,
    ):
        return (
            f"the stack reads {_stack_bus(where)} and {stack_secret}: deploy it again with"
            f" {parameters} (make deploy); then bwp-privacy doctor"
        )
    return "bwp-privacy doctor checks the stack end to end"
