"""`bwp-privacy cases appeal` (issue 25), through the console script: a denied request is
appealed, the case runs against the appeal's clock in every view, `cases close` answers the
appeal, and the request log and yearly figures show the request's answer and the appeal's."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from bwp_sandbox.admin import admin_client
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.stack import PROJECT_ROOT
from bwp_sandbox.timeline import Timeline
from tests.cli.conftest import Run
from tests.cli.days import during
from tests.integration.reaction_helpers import failed_task, open_case

pytestmark = pytest.mark.integration

EMAIL = "appealing.shopper@example.com"


@pytest.fixture
def sandbox(sandbox: Sandbox) -> Sandbox:
    """The sandbox, its reaction bound by California, Virginia and Colorado (the last two
    give an appeal: Colorado 45 days, Virginia 60)."""
    playbooks = json.loads((PROJECT_ROOT / "functions/reaction/playbooks.json").read_text())
    playbooks["applies"] = ["ccpa", "virginia", "colorado"]
    admin_client("ssm").put_parameter(
        Name="us-appeals", Value=json.dumps(playbooks), Type="String", Overwrite=True
    )
    return sandbox.deploy(PlaybooksParameterName="us-appeals")


def test_an_appeal_runs_on_its_own_clock_and_close_answers_it(
    run_cli: Run, sandbox: Sandbox
) -> None:
    failed_task(sandbox, "c-appeal", "SOMETHING_UNKNOWN", email=EMAIL)
    open_case(sandbox, Timeline(sandbox), "c-appeal")

    # An open request has no answer to appeal.
    early = run_cli("cases", "appeal", "c-appeal", "--received", "2026-01-01", "--reason", "x")
    assert early.exit_code == 1
    assert "an appeal is of an answer" in early.stderr
    assert len(early.stderr.strip().splitlines()) == 1, early.stderr

    denied = run_cli(
        "cases", "close", "c-appeal", "--as", "denied", "--denied-because", "unverifiable",
        "--reason", "identity not verified",
    )  # fmt: skip
    assert denied.exit_code == 0, denied.stderr
    answered = run_cli("cases", "show", "c-appeal", "--json").json()["case"]["endedAt"]
    # The shopper appeals; the appeal's received time is the answer's, to the second.
    received = answered[:19] + "Z"
    appealed = run_cli(
        "cases", "appeal", "c-appeal", "--received", received, "--reason", "I sent my ID",
        "--json",
    )  # fmt: skip
    assert appealed.exit_code == 0, appealed.stderr
    assert (appealed.json()["action"], appealed.json()["state"]) == ("appeal", "APPEALED")

    start = datetime.fromisoformat(received.replace("Z", "+00:00"))
    colorado, virginia = start + timedelta(days=45), start + timedelta(days=60)
    with during() as days:
        shown = run_cli("cases", "show", "c-appeal", "--json").json()
    appeal = shown["case"]["appeals"][0]
    assert [(d["jurisdiction"], d["due_at"]) for d in appeal["deadlines"]] == [
        ("colorado", _iso(colorado)),
        ("virginia", _iso(virginia)),
    ]
    assert appeal["appealed"]["closedAs"] == "denied"
    # Every view runs the case against the appeal's clock now: Colorado's 45 days.
    assert shown["daysLeft"] in days.left(_iso(colorado)) <= {45, 44}
    listed = run_cli("cases", "list", "--json").json()["cases"]
    assert [(c["caseId"], c["state"], c["legalDueAt"]) for c in listed] == [
        ("c-appeal", "APPEALED", _iso(colorado))
    ]
    table = run_cli("cases", "show", "c-appeal").stdout
    assert "the appeal's, colorado" in table, table
    assert "Appeal deadlines" in table, table

    # An appeal awaits a person's answer: no task is started for it (one started at Buy with
    # Prime that the case then refused would belong to no case).
    resubmitted = run_cli("cases", "resubmit", "c-appeal")
    assert resubmitted.exit_code == 1
    assert "is APPEALED: no new task can be started for it" in resubmitted.stderr
    assert sandbox.emulator.start_calls() == {}

    again = run_cli("cases", "extend", "c-appeal", "--jurisdiction", "virginia", "--reason", "x")
    assert again.exit_code == 1
    assert "allows no extension of an appeal's answer" in again.stderr

    granted = run_cli(
        "cases", "close", "c-appeal", "--as", "completed",
        "--reason", "identity verified on appeal; data deleted through merchant support",
    )  # fmt: skip
    assert granted.exit_code == 0, granted.stderr

    log = run_cli("cases", "export", "--since", "400d")
    rows = {row["case_id"]: row for row in csv.DictReader(io.StringIO(log.stdout))}
    row = rows["c-appeal"]
    # The request's own answer stays the denial; the appeal's columns say how it ended.
    assert (row["response"], row["denial_category"]) == ("denied", "unverifiable")
    assert (row["appeal_received_at"], row["appeal_response"]) == (received, "completed")
    assert row["appeal_due_at"] == _iso(colorado)

    year = str(datetime.now(UTC).year)
    figures = run_cli("cases", "stats", "--year", year, "--json").json()["byKind"]["deletion"]
    assert (figures["denied"], figures["appealsReceived"], figures["appealsGranted"]) == (1, 1, 1)
    once = run_cli("cases", "appeal", "c-appeal", "--received", received, "--reason", "again")
    assert once.exit_code == 1
    assert "one appeal per request" in once.stderr


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
