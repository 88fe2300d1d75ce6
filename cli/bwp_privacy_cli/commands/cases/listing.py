"""`bwp-privacy cases list`: the open cases (or every case), the most urgent first, each with
how it stands against its legal deadline."""

from __future__ import annotations

from datetime import datetime

import click
from rich.text import Text

from bwp_privacy.cases import Bucket, Case, CaseState, bucket_counts, bucket_of, legal_days_left
from bwp_privacy.common import standing, utc_now
from bwp_privacy_cli.commands.cases.group import cases, due_soon_days_option
from bwp_privacy_cli.commands.cases.outputs import BucketCountsOut, CaseRowOut, CasesListOut
from bwp_privacy_cli.commands.cases.wording import days_left, iso, next_action
from bwp_privacy_cli.context import CliContext, common_options, pass_cli
from bwp_privacy_cli.output import console, print_json, print_table


@cases.command("list")
@click.option("--all", "show_all", is_flag=True, help="Ended cases too, not only open ones.")
@click.option(
    "--at-risk", is_flag=True, help="Only the open cases due soon or past their legal deadline."
)
@due_soon_days_option
@common_options
@pass_cli
def list_(cli: CliContext, show_all: bool, at_risk: bool, due_soon_days: int) -> None:
    """Open cases (--all: every case), the nearest legal deadline first: how urgent each is (on
    time, due soon, past due), kind, state, attempts and what happens next."""
    if show_all and at_risk:
        raise click.UsageError("--at-risk lists open cases only: drop --all")
    # The product's clock (the wall clock; the sandbox's when a test plays days passing).
    now = utc_now()
    with cli.target() as target:
        cli.announce(target)
        store = target.case_store()
        found = store.all_cases() if show_all else store.open_cases()
    # Open cases first (an ended one runs against no clock), the most urgent first.
    found.sort(key=lambda case: (case.state.ended, legal_days_left(case, now), case.case_id))
    counts = bucket_counts(found, now, due_soon_days)
    rows = [_row(case, now, due_soon_days) for case in found]
    if at_risk:
        rows = [row for row in rows if row.bucket in _AT_RISK]
    if cli.json:
        print_json(
            CasesListOut(
                target=target.identity(),
                open_only=not show_all,
                at_risk_only=at_risk,
                due_soon_days=due_soon_days,
                cases=rows,
                count=len(rows),
                buckets=BucketCountsOut(
                    on_time=counts[Bucket.ON_TIME],
                    due_soon=counts[Bucket.DUE_SOON],
                    past_due=counts[Bucket.PAST_DUE],
                ),
            )
        )
        return
    title = "Cases" if show_all else ("Open cases at risk" if at_risk else "Open cases")
    print_table(
        title,
        [
            "case",
            "kind",
            "state",
            "bucket",
            "deadline",
            "standing",
            "attempts",
            "next",
            "business product",
        ],
        (
            (
                r.case_id,
                r.kind,
                # A completion and a denial are both CLOSED: the column says which.
                f"{r.state} as {r.closed_as}" if r.closed_as else r.state,
                _coloured(r.bucket),
                r.legal_due_at[:10],
                # An ended case runs against no clock: it has no days left.
                "" if r.days_left is None else standing(_parse(r.legal_due_at), now),
                r.attempts,
                r.next_action,
                r.business_product_id,
            )
            for r in rows
        ),
        ids=("case", "kind", "state", "business product"),
        # Which case, where it stands and how urgent it is stay; a narrow terminal does
        # without the rest, what it can best spare first (a merchant has one business
        # product or few; the standing says what the deadline's date does).
        spare=("business product", "deadline", "attempts", "kind", "next"),
    )
    console.print(
        f"{len(rows)} case(s); open cases by legal deadline: "
        + ", ".join(f"{counts[bucket]} {bucket.value}" for bucket in _URGENT_FIRST)
        + f" (due soon: under {due_soon_days} days left)"
    )


def _row(case: Case, now: datetime, due_soon_days: int) -> CaseRowOut:
    bucket = bucket_of(case, now, due_soon_days)
    return CaseRowOut(
        case_id=case.case_id,
        business_product_id=case.business_product_id,
        kind=case.kind,
        state=case.state.value,
        closed_as=case.closed_as if case.state is CaseState.CLOSED else None,
        attempts=case.attempts,
        bucket=None if bucket is None else bucket.value,
        legal_due_at=iso(case.legal_due_at),
        days_left=days_left(case.legal_due_at, case, now),
        plan_deadline_at=iso(case.plan_deadline_at),
        plan_days_left=days_left(case.plan_deadline_at, case, now),
        next_action=next_action(case),
        reason=case.reason,
    )


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


_AT_RISK = frozenset({Bucket.DUE_SOON.value, Bucket.PAST_DUE.value})
_URGENT_FIRST = (Bucket.PAST_DUE, Bucket.DUE_SOON, Bucket.ON_TIME)
#: A terminal shows the colour, a pipe or a file the bare word.
_COLOUR = {"past due": "red", "due soon": "yellow", "on time": "green"}


def _coloured(bucket: str | None) -> Text:
    return Text("" if bucket is None else bucket, style=_COLOUR.get(bucket or "", ""))
