"""`bwp-privacy routes check`: validate a routes file (and a catalogue) and show where sample
alerts go."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import click
from pydantic import Field

from bwp_privacy.alerting import RECEIVERS, RoutingConfig, build_alert, load_routes
from bwp_privacy.catalogue import Catalogue, load_catalogue, shipped_catalogue
from bwp_privacy.contract import LookupOutcome, LookupStatus, TaskError, TaskFailure
from bwp_privacy_cli.command_registry import registered
from bwp_privacy_cli.context import CliContext, UserError, common_options, pass_cli
from bwp_privacy_cli.json_output import JsonOut
from bwp_privacy_cli.output import console, print_json, print_table


class RouteOut(JsonOut):
    sample: str
    error_codes: list[str] = Field(alias="errorCodes")
    lookup_status: str = Field(alias="lookupStatus")
    severity: str
    route: str
    receivers: list[str]
    group_by: list[str] = Field(alias="groupBy")
    repeat_window_seconds: int = Field(alias="repeatWindowSeconds")
    #: The route's receivers that also get the resolve when the case ends.
    send_resolved: list[str] = Field(alias="sendResolved")


class RoutesCheckOut(JsonOut):
    file: str
    valid: bool
    routing: list[RouteOut]


#: The routes file the router ships with (the `functions` package is installed with the CLI).
SHIPPED_ROUTES = Path(str(files("functions.alert_router") / "routes.json"))


@registered(
    "Check a routes file.",
    place=90,
    outputs={"routes-check": RoutesCheckOut},
)
@click.group()
def routes() -> None:
    """Alert routes."""


@routes.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), default=SHIPPED_ROUTES)
@click.option(
    "--sample",
    "samples",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A failure message (JSON, as `failures show --json` prints each failure) or an event"
    " (looked up first, storing nothing) to route; default: one per known code, an unknown"
    " code and a failed lookup.",
)
@click.option(
    "--catalogue",
    "catalogue_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="An error-code catalogue (each code's severity and runbook) to route by; default: the"
    " shipped one.",
)
@common_options
@pass_cli
def check(
    cli: CliContext, file: Path, samples: tuple[Path, ...], catalogue_file: Path | None
) -> None:
    """Validate FILE (default: the shipped routes) and show which receivers samples reach."""
    config = load_routes(_read(file), str(file), _catalogue(catalogue_file))
    failures = _load_samples(cli, samples) or _default_samples(config)
    rows: list[dict[str, Any]] = []
    for failure in failures:
        severity, runbooks = config.classify(failure)
        alert = build_alert(failure, severity, runbooks, datetime.now(UTC))
        for match in config.resolve(alert.labels()):
            rows.append(
                {
                    "sample": failure.task_id,
                    "errorCodes": failure.error_codes,
                    "lookupStatus": failure.lookup.status.value,
                    "severity": severity.value,
                    "route": match.name,
                    "receivers": list(match.receivers),
                    "groupBy": list(match.group_by),
                    "repeatWindowSeconds": match.repeat_window_seconds,
                    "sendResolved": [
                        receiver
                        for receiver in match.receivers
                        if (
                            RECEIVERS[receiver].send_resolved
                            if match.send_resolved is None
                            else match.send_resolved
                        )
                    ],
                }
            )
    if cli.json:
        routed = [RouteOut.model_validate(row) for row in rows]
        print_json(RoutesCheckOut(file=str(file), valid=True, routing=routed))
        return
    console.print(f"{file}: valid")
    print_table(
        "Where sample alerts go",
        ["sample", "severity", "route", "receivers", "group by", "repeat", "resolves to"],
        (
            (
                ", ".join(r["errorCodes"])
                if r["lookupStatus"] == "OK"
                else f"lookup {r['lookupStatus']}",
                r["severity"],
                r["route"],
                ", ".join(r["receivers"]),
                ", ".join(r["groupBy"]),
                f"{r['repeatWindowSeconds'] // 3600}h",
                ", ".join(r["sendResolved"]) or "none",
            )
            for r in rows
        ),
    )


def _read(file: Path) -> str:
    try:
        return file.read_text()
    except OSError as error:
        raise UserError(f"cannot read {file}: {error.strerror}") from None


def _catalogue(file: Path | None) -> Catalogue:
    """The catalogue in ``file``, or the shipped one; an invalid one fails naming the key."""
    if file is None:
        return shipped_catalogue()
    return load_catalogue(_read(file), str(file))


def _load_samples(cli: CliContext, paths: tuple[Path, ...]) -> list[TaskFailure]:
    """Each sample as a failure message; an event is looked up first (a dry run)."""
    failures: list[TaskFailure] = []
    events: list[tuple[Path, dict[str, Any]]] = []
    for path in paths:
        try:
            document = json.loads(path.read_text())
        except ValueError as error:
            raise UserError(f"{path}: not JSON: {error}") from None
        if isinstance(document, dict) and "detail-type" in document:
            events.append((path, document))
            continue
        try:
            failures.append(TaskFailure.model_validate(document))
        except ValueError:
            raise UserError(
                f"{path}: neither a failure message (the JSON the recorder publishes:"
                " `bwp-privacy failures show TASK --json` prints one per stored failure) nor"
                " an EventBridge event (which is looked up first)"
            ) from None
    if events:
        failures += _look_up(cli, events)
    return failures


def _look_up(cli: CliContext, events: list[tuple[Path, dict[str, Any]]]) -> list[TaskFailure]:
    """What the recorder would publish for these events, storing and publishing nothing."""
    from bwp_privacy.bwp_api import build_client
    from bwp_privacy.common import NoMetrics
    from bwp_privacy.recorder import describe_failure, parse_event

    with cli.target() as target, target.function_environment():
        cli.announce(target)
        client = build_client(target.settings())
        return [
            describe_failure(parse_event(event), client, NoMetrics(), datetime.now(UTC))
            for _, event in events
        ]


def _default_samples(config: RoutingConfig) -> list[TaskFailure]:
    codes: list[str | None] = [*config.catalogue.codes, "SOME_NEW_CODE"]
    samples = [_sample(f"sample-{n}", [code]) for n, code in enumerate(codes)]
    samples.append(_sample("sample-lookup", [], LookupStatus.RESOURCE_NOT_FOUND))
    return samples


def _sample(
    task_id: str, codes: list[str | None], lookup: LookupStatus = LookupStatus.OK
) -> TaskFailure:
    return TaskFailure(
        event_id=f"event-{task_id}",
        event_time="2026-01-01T00:00:00Z",
        detail_type="PERSONAL_DATA_DELETION_TASK_FAILED",
        business_product_id="bp-sample",
        task_id=task_id,
        status="FAILED" if lookup is LookupStatus.OK else None,
        errors=[TaskError(code=code, message="sample") for code in codes],
        lookup=LookupOutcome(status=lookup),
        received_at="2026-01-01T00:00:00Z",
    )
