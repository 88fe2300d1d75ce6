"""`bwp-privacy events new`: write a valid sample event of any of the four privacy-task types the
stack handles (SAM CLI has no EventBridge events)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast, get_args

import click
from pydantic import TypeAdapter, ValidationError

from bwp_privacy.common import quoted
from bwp_privacy.contract import TaskKind
from bwp_privacy.partner_events import (
    ID_PATTERN,
    PARTNER_SOURCE_PREFIX,
    TaskCompletedEvent,
    TaskFailedEvent,
    TaskOutcome,
    detail_type,
    parse_event,
    task_resource,
)
from bwp_privacy.partner_events.envelope import AccountId, Region, ReplayName
from bwp_privacy.task_kinds import TASK_KINDS
from bwp_privacy_cli.command_registry import registered

#: ``--type``: (kind, outcome), every event `bwp-privacy replay` accepts ("deletion-failed",
#: "retrieval-completed", ...: each kind of task, FAILED or COMPLETED).
TYPES: dict[str, tuple[TaskKind, TaskOutcome]] = {
    f"{kind}-{outcome.lower()}": (cast(TaskKind, kind), outcome)
    for kind in TASK_KINDS
    for outcome in get_args(TaskOutcome)
}


#: A partner event source's NAME in aws.partner/buywithprime/NAME: the partner bus is named
#: after the source, and template.yaml holds the bus name (PartnerEventBusName) to this.
SOURCE_NAME = re.compile(r"[A-Za-z0-9._-][A-Za-z0-9/._-]{0,230}")


#: A check of an option's value: (the click context, the option, its value) -> the value.
Check = Callable[[click.Context, click.Parameter, str | None], str | None]


def held_to_grammar(accepts: Callable[[str], bool], grammar: str) -> Check:
    """An option's value held to the grammar of the event's field it becomes, so that a bad
    one is refused by its option's name (not by where it ends up in the event: "resources[0]
    … segment 5")."""

    def check(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
        if value is not None and not accepts(value):
            # What the user typed, made safe to print (one line, no control characters, bounded).
            raise click.BadParameter(f"{quoted(value, 80)} is not {grammar}")
        return value

    return check


def _matches(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda value: pattern.fullmatch(value) is not None


def _valid_as(field_type: Any) -> Callable[[str], bool]:
    """The event model's own type of the field (one grammar, the function's)."""
    adapter: TypeAdapter[str] = TypeAdapter(field_type)

    def accepts(value: str) -> bool:
        try:
            adapter.validate_python(value)
        except ValidationError:
            return False
        return True

    return accepts


AN_ID = (
    "an id: a letter or digit, then letters, digits, '.', '_', ':' or '-' (at most 256 characters)"
)
AN_ID_CHECK = held_to_grammar(_matches(ID_PATTERN), AN_ID)
SOURCE_CHECK = held_to_grammar(
    lambda value: SOURCE_NAME.fullmatch(value.removeprefix(PARTNER_SOURCE_PREFIX)) is not None,
    f"a partner event source name (the NAME in {PARTNER_SOURCE_PREFIX}NAME): letters, digits,"
    " '.', '_', '-' or '/' (at most 231 characters)",
)
ACCOUNT_CHECK = held_to_grammar(_valid_as(AccountId), "an AWS account id (12 digits)")
REGION_CHECK = held_to_grammar(_valid_as(Region), "an AWS region (such as us-east-1)")
REPLAY_NAME_CHECK = held_to_grammar(
    _valid_as(ReplayName), "a replay name: 1 to 64 letters, digits, '.', '_' or '-'"
)


@registered("Write sample deletion and retrieval events.", place=40)
@click.group()
def events() -> None:
    """Write sample events of both kinds of privacy task, deletion and retrieval, FAILED or
    COMPLETED, as Buy with Prime sends them: input for `replay` (and `sam local invoke`)."""


@events.command("new")
@click.option(
    "--task-id",
    required=True,
    metavar="ID",
    callback=AN_ID_CHECK,
    help="The task id the event names.",
)
@click.option(
    "--business-product-id",
    required=True,
    metavar="ID",
    callback=AN_ID_CHECK,
    help="The business product (bp-...).",
)
@click.option(
    "--type",
    "kind",
    type=click.Choice(list(TYPES)),
    default="deletion-failed",
    show_default=True,
    help="FAILED events go to the recorder, COMPLETED events to the reaction (as `replay` does).",
)
@click.option("--rich-detail", is_flag=True, help="The 2024-11-01 rich `detail` instead of {}.")
@click.option(
    "--replay-name",
    metavar="NAME",
    callback=REPLAY_NAME_CHECK,
    help="Mark the event as replayed from an archive.",
)
@click.option(
    "--source-name",
    metavar="NAME",
    callback=SOURCE_CHECK,
    default="bwp-privacy-sample",
    show_default=True,
    help=f"Partner event source name (NAME or {PARTNER_SOURCE_PREFIX}NAME).",
)
@click.option(
    "--account",
    metavar="ACCOUNT_ID",
    callback=ACCOUNT_CHECK,
    default="123456789012",
    show_default=True,
    help="The AWS account the event is delivered in.",
)
@click.option(
    "--region",
    metavar="REGION",
    callback=REGION_CHECK,
    default="us-east-1",
    show_default=True,
    help="The AWS region the event is delivered in.",
)
@click.option(
    "-o", "--output", type=click.File("w"), default="-", help="File to write (default stdout)."
)
def new(
    task_id: str,
    business_product_id: str,
    kind: str,
    rich_detail: bool,
    replay_name: str | None,
    source_name: str,
    account: str,
    region: str,
    output: Any,
) -> None:
    """Write an EventBridge event as Buy with Prime sends it."""
    task_kind, outcome = TYPES[kind]
    name = detail_type(task_kind, outcome)
    resource = task_resource(business_product_id, task_kind, task_id)
    event_id = str(uuid.uuid4())
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    detail: dict[str, Any] = {}
    if rich_detail:
        detail = {
            "idempotencyKey": str(uuid.uuid4()),
            "eventDescriptor": name,
            "resources": [resource],
            "eventId": event_id,
            "apiVersion": "2024-11-01",
            "subscriptionId": str(uuid.uuid4()),
            "eventTime": now,
            "data": {},
        }
    event: dict[str, Any] = {
        "version": "0",
        "id": event_id,
        "detail-type": name,
        "source": PARTNER_SOURCE_PREFIX + source_name.removeprefix(PARTNER_SOURCE_PREFIX),
        "account": account,
        "time": now,
        "region": region,
        "resources": [resource],
        "detail": detail,
    }
    if replay_name:
        event["replay-name"] = replay_name
    # The same checks the function it goes to makes (each option was held to its field's
    # grammar above: this only guards the event's shape).
    parse_event(event, model=TaskFailedEvent if outcome == "FAILED" else TaskCompletedEvent)
    output.write(json.dumps(event, indent=2) + "\n")
