"""Canaries: a shopper email and every secret, seeded everywhere they could enter, found
nowhere they must not go after a full run with faults (recorder, router, receivers, CLI)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from bwp_privacy.catalogue import shipped_catalogue_path
from bwp_privacy.common import iso_z, use_clock
from bwp_privacy_cli.local import LocalLambdaContext
from bwp_privacy_cli.main import cli
from bwp_sandbox.admin import admin_client
from bwp_sandbox.emulator import BwpEmulator
from bwp_sandbox.event_source import SqsEventSource
from bwp_sandbox.local_aws import LocalAws
from bwp_sandbox.sandbox import Sandbox, prepare
from bwp_sandbox.sink import ReceiverSink
from bwp_sandbox.stack import PROJECT_ROOT
from tests.conftest import load_event

pytestmark = pytest.mark.integration

EMAIL = "canary.person+pii@canary-mail.test"
CLIENT_SECRET = "canary-client-secret-7f3a9"
ROUTING_KEY = "canaryroutingkey0000000000000000"
HOOK_PATH = "canary-hook-path-b81c"
SIGNING_SECRET = "canary-signing-secret-2d6e0"
SECRETS = (CLIENT_SECRET, ROUTING_KEY, HOOK_PATH, SIGNING_SECRET)
BP = "bp-canary"
#: The email as an API, a receiver or an operator may spell it: each must be masked whole.
EMAIL_FORMS = (
    EMAIL,
    '"Canary Person"@canary-mail.test',
    "canary.person%40canary-mail.test",
    "canary.person\uff20canary-mail.test",
    "canary.person&#64;canary-mail.test",
    "canary.person\\u0040canary-mail.test",
    "canary.person@[192.0.2.7]",
    "c" * 80 + "@canary-mail.test",
)
#: An operator's reason that names the shopper.
REASON = f"returns; asked by {EMAIL_FORMS[3]}"
#: What of any form would show the shopper if it were kept, even in part.
FRAGMENTS = ("canary.person", "canary-mail", "Canary Person", "192.0.2.7", "c" * 40)


@pytest.fixture
def canary_sandbox(local_aws: LocalAws, sandbox_env: dict[str, str]) -> Iterator[Sandbox]:
    local_aws.reset()
    with (
        BwpEmulator(client_secret=CLIENT_SECRET) as emulator,
        ReceiverSink(webhook_secret=SIGNING_SECRET) as sink,
    ):
        yield prepare(emulator, local_aws, sink, routing_key=ROUTING_KEY, hook_path=HOOK_PATH)
    denied = local_aws.iam.denied()
    assert denied == [], denied


def _task(task_id: str, code: str | None, status: str = "FAILED") -> dict[str, Any]:
    return {
        "taskId": task_id,
        "status": status,
        "dataSubject": {"type": "SHOPPER", "email": EMAIL},
        "errors": [
            {"code": code, "message": f"Open orders for {EMAIL}; contact <{EMAIL}>"},
            {"code": None, "message": f"{EMAIL} could not be erased"},
            *({"code": "ECHO", "message": f"also written {form}."} for form in EMAIL_FORMS),
        ],
    }


def _event(task_id: str) -> dict[str, Any]:
    event = load_event()
    event["id"] = f"event-{task_id}"
    event["resources"] = [f"businessProduct/{BP}/personalDataDeletionTask/{task_id}"]
    return event


def test_no_email_and_no_secret_leaks_anywhere(
    canary_sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Our loggers at DEBUG; libraries at INFO (botocore's DEBUG dumps raw AWS answers, and
    # nothing in the functions turns it on).
    caplog.set_level(logging.INFO)
    for service in ("recorder", "alert-router"):
        caplog.set_level(logging.DEBUG, logger=service)
    sandbox = canary_sandbox
    for n, code in enumerate(("ORDERS_NOT_CLOSED", "DATA_SUBJECT_NOT_FOUND", "NEW_CODE")):
        sandbox.emulator.add_task(BP, _task(f"canary-{n}", code))
    # Codes and a status that quote the shopper: held to their grammar, never kept.
    sandbox.emulator.add_task(
        BP, _task("canary-3", f"NO_ACCOUNT_{EMAIL}", status=f"FAILED {EMAIL}")
    )
    app = sandbox.recorder.cold_start()
    router = sandbox.router.cold_start()
    errors: list[str] = []

    # Recorder, with faults on the way: retries, a refused token, a permanent error.
    sandbox.emulator.inject("http_status", status=503)
    sandbox.emulator.inject("throttle")
    for n in range(4):
        app.handler(_event(f"canary-{n}"), LocalLambdaContext())
    # A lookup refused with a classification and a message that quote the shopper.
    sandbox.emulator.add_task(BP, _task("canary-4", "ORDERS_NOT_CLOSED"))
    sandbox.emulator.inject(
        "validation_error", code=f"BAD_{EMAIL}", message=" ".join(EMAIL_FORMS) + " refused"
    )
    app.handler(_event("canary-4"), LocalLambdaContext())
    sandbox.emulator.revoke_tokens()
    # One refusal each: the handler's call with its revoked token, then its token refresh.
    sandbox.emulator.inject("unauthorized", target="graphql")
    sandbox.emulator.inject("unauthorized", target="token")
    with pytest.raises(Exception) as refused:  # noqa: PT011 (any error: its text is what matters)
        app.handler(_event("canary-0-again"), LocalLambdaContext())
    errors.append(repr(refused.value))

    # Router, with failing receivers: retried, rejected, then delivered.
    sandbox.sink.fail("slack", status=500, times=3)
    # PagerDuty refuses, quoting the shopper in every spelling (its answer is outside text).
    sandbox.sink.fail(
        "pagerduty", status=400, times=1, body=json.dumps({"message": EMAIL_FORMS}).encode()
    )
    sandbox.sink.fail("webhook", reset=True, times=1)
    source = SqsEventSource(sandbox.stack.alert_queue_url, router)
    for _ in range(3):
        source.poll_once(retry_now=True)

    # The CLI, as an operator would use it.
    target = tmp_path / "sandbox.json"
    sandbox.target().write(target)
    runner = CliRunner()
    cli_output = []
    for args in (
        ["replay", "--json", "-"],
        ["task", "show", "canary-0", "--business-product-id", BP],
        ["failures", "show", "canary-1"],
        ["failures", "list", "--json"],
        ["dlq", "list"],
    ):
        result = runner.invoke(
            cli,
            args,
            input=json.dumps(_event("canary-2")),
            env={"BWP_SANDBOX_FILE": str(target)},
            catch_exceptions=False,
        )
        assert result.exit_code == 0, (args, result.output)  # the surface really was shown
        cli_output.append(result.stdout + result.stderr)

    captured = capsys.readouterr()
    stored = boto3.client("dynamodb").scan(TableName=sandbox.stack.failures_table_name)["Items"]
    surfaces = {
        "stdout (logs, EMF)": captured.out,
        "stderr": captured.err,
        "log records": caplog.text,
        "exceptions": "\n".join(errors),
        "stored items": json.dumps(stored),
        "SNS messages": json.dumps(
            boto3.client("sqs")
            .receive_message(QueueUrl=sandbox.stack.tap_queue_url, MaxNumberOfMessages=10)
            .get("Messages", [])
        ),
        "receiver payloads": json.dumps(
            [
                r["body"]
                for kind in ("pagerduty", "slack", "teams", "webhook")
                for r in sandbox.sink.attempts(kind)
            ]
        ),
        "Amazon Q and EventBridge": json.dumps(
            [
                boto3.client("sqs")
                .receive_message(QueueUrl=url, MaxNumberOfMessages=10)
                .get("Messages", [])
                for url in (
                    sandbox.receivers.amazon_q_queue_url,
                    sandbox.receivers.eventbridge_queue_url,
                )
            ]
        ),
        "CLI output": "\n".join(cli_output),
        "emulator request log": json.dumps(sandbox.emulator.requests_log),
    }
    assert len(sandbox.sink.received("pagerduty")) >= 1  # the flow really ran end to end
    assert "<email redacted>" in surfaces["stored items"]
    for canary in (*EMAIL_FORMS, *FRAGMENTS, *SECRETS):
        leaks = [name for name, text in surfaces.items() if canary in text]
        if canary == ROUTING_KEY:
            # The routing key is PagerDuty's own field: it must be in PagerDuty's payload only.
            pagerduty = json.dumps([r["body"] for r in sandbox.sink.attempts("pagerduty")])
            assert ROUTING_KEY in pagerduty
            others = surfaces["receiver payloads"].replace(pagerduty[1:-1], "")
            leaks = [n for n in leaks if n != "receiver payloads"] + (
                ["receiver payloads (not PagerDuty)"] if ROUTING_KEY in others else []
            )
        assert leaks == [], f"{canary} leaked into {leaks}"


def test_the_email_goes_into_the_start_mutation_and_nowhere_else(
    canary_sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The reaction is the one place that reads a shopper's email: from the failed task, for
    one start mutation. It must leave no trace in logs, the case, the schedules, the notices,
    the alerts or the CLI: only in the start mutation's own request to Buy with Prime."""
    from bwp_privacy.cases import CaseReader
    from bwp_sandbox.timeline import Timeline

    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="reaction")
    # Bound by Virginia too (the same 45 days as California), whose appeal the case takes.
    playbooks = json.loads((PROJECT_ROOT / "functions/reaction/playbooks.json").read_text())
    playbooks["applies"] = ["ccpa", "virginia"]
    admin_client("ssm").put_parameter(
        Name="canary-playbooks", Value=json.dumps(playbooks), Type="String", Overwrite=True
    )
    sandbox = canary_sandbox.deploy(PlaybooksParameterName="canary-playbooks")
    sandbox.emulator.set_shopper(BP, EMAIL, orders_open_days=12)
    task = _task("canary-case", "ORDERS_NOT_CLOSED")
    task["errors"] = task["errors"][:1]  # resubmit only: a null code would escalate at once
    task["holdingPeriod"] = 0
    sandbox.emulator.add_task(BP, task)
    timeline = Timeline(sandbox, quiet_logs=False)
    timeline.publish(BP, "canary-case", "PERSONAL_DATA_DELETION_TASK_FAILED")
    timeline.settle()
    # Attempt 1 with faults on the way (retried), its task failing again; then attempt 2
    # by an operator, whose task completes once the orders close.
    sandbox.emulator.inject("throttle")
    sandbox.emulator.inject("http_status", status=503)
    timeline.advance(7)
    target = tmp_path / "sandbox.json"
    sandbox.target().write(target)
    runner = CliRunner()
    cli_output = []
    for args in (
        ["cases", "list", "--json"],
        # An operator's reason that names the shopper (full-width at sign): masked where the
        # reaction takes it in.
        ["cases", "extend", "canary-case", "--jurisdiction", "ccpa", "--reason", REASON],
        ["cases", "resubmit", "canary-case"],
        ["cases", "show", "canary-case"],
        ["cases", "show", "canary-case", "--json"],
    ):
        result = runner.invoke(
            cli, args, env={"BWP_SANDBOX_FILE": str(target)}, catch_exceptions=False
        )
        assert result.exit_code == 0, (args, result.output)
        cli_output.append(result.stdout + result.stderr)
    timeline.advance(7)
    store = CaseReader(boto3.client("dynamodb"), sandbox.stack.cases_table_name)
    completed = store.load("canary-case")
    assert completed is not None
    assert completed.ended_at is not None
    # The shopper appeals the answer, and the appeal is denied: both reasons name the
    # shopper, and are masked where the reaction takes them in.
    appeal_received = iso_z(completed.ended_at, "seconds")
    # The compliance views of the case, the report and the deadline watch.
    export_file, report_file = tmp_path / "requests.csv", tmp_path / "report.html"
    close = ["cases", "close", "canary-case", "--as", "denied", "--denied-because", "other"]
    # The reaction's clock is the timeline's, two weeks on: the appeal comes after the answer
    # it appeals, by that clock.
    with use_clock(timeline.now):
        for args in (
            ["cases", "appeal", "canary-case", "--received", appeal_received, "--reason", REASON],
            ["cases", "show", "canary-case"],
            [*close, "--reason", REASON],
            ["cases", "list", "--all", "--json"],
            ["cases", "export", "--since", "2000-01-01", "-o", str(export_file)],
            ["cases", "export", "--since", "2000-01-01", "--format", "jsonl"],
            ["cases", "stats", "--json"],
            ["report", "-o", str(report_file)],
        ):
            result = runner.invoke(
                cli, args, env={"BWP_SANDBOX_FILE": str(target)}, catch_exceptions=False
            )
            assert result.exit_code == 0, (args, result.output)
            cli_output.append(result.stdout + result.stderr)
    sandbox.watch.cold_start().handler({}, LocalLambdaContext())
    case = store.load("canary-case")
    assert case is not None
    assert case.state.value == "CLOSED", case.transitions
    assert case.answer is not None
    assert case.answer.state.value == "COMPLETED"
    assert case.appeals[0].answered_as == "denied"
    assert case.attempts == 2, [(t.to_state, t.reason) for t in case.transitions]
    assert [t.cause.kind.value for t in case.transitions][-4:] == [
        "operator",
        "event",
        "operator",
        "operator",
    ]

    # Where the email may be: the start mutations' input, as Buy with Prime needs it.
    starts = [
        entry
        for entry in sandbox.emulator.requests_log
        if "startPersonalDataDeletionTask" in json.dumps(entry["body"])
    ]
    assert starts, "no start mutation was sent"
    for entry in starts:
        assert entry["body"]["variables"]["input"]["dataSubject"]["email"] == EMAIL
    others = [e for e in sandbox.emulator.requests_log if e not in starts]
    email_reads = [e for e in others if "email" in json.dumps(e["body"].get("query", ""))]
    assert len(email_reads) >= 2  # the reaction and the operator each read it from the task
    schedules = boto3.client("scheduler").list_schedules(
        GroupName=sandbox.stack.schedule_group_name
    )
    captured = capsys.readouterr()
    surfaces = {
        "stdout (logs, EMF)": captured.out,
        "stderr": captured.err,
        "log records": caplog.text,
        "cases table": json.dumps(
            boto3.client("dynamodb").scan(TableName=sandbox.stack.cases_table_name)["Items"]
        ),
        "schedules": json.dumps(schedules, default=str),
        "SNS messages": json.dumps(
            boto3.client("sqs")
            .receive_message(QueueUrl=sandbox.stack.tap_queue_url, MaxNumberOfMessages=10)
            .get("Messages", [])
        ),
        "OnFailure and dead letters": json.dumps(
            [
                boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
                for url in (
                    sandbox.stack.on_failure_queue_url,
                    sandbox.stack.reaction_dlq_url,
                    sandbox.stack.schedule_dlq_url,
                )
            ],
            default=str,
        ),
        "CLI output": "\n".join(cli_output),
        "audit trail": json.dumps(
            boto3.client("dynamodb").scan(TableName=sandbox.stack.audit_table_name)["Items"]
        ),
        "export file": export_file.read_text(),
        "report file": report_file.read_text(),
        "other API requests": json.dumps(others),
    }
    assert "canary-case" in surfaces["report file"]  # the surfaces really hold the case
    assert "canary-case" in surfaces["export file"]
    assert "cases extend" in surfaces["audit trail"]
    for canary in (EMAIL, "canary-mail.test", CLIENT_SECRET):
        leaks = [name for name, text in surfaces.items() if canary in text]
        assert leaks == [], f"{canary} leaked into {leaks}"


LINK = "https://canary-link.test/export.zip?X-Amz-Signature=canary"


def test_a_retrieval_resubmission_sends_the_email_only_in_its_start_mutation(
    canary_sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The same rule on the retrieval side: a retrieval case whose action (a catalogue SSM
    override) resubmits reads the email from the failed retrieval, for one
    `startPersonalDataRetrievalTask`, with faults on the way. The email is in that request
    only; no query selects a retrieval's `dataRetrievalLink`, so neither the failed task's
    link nor the completed one's goes anywhere."""
    from bwp_privacy.cases import CaseReader, client_token
    from bwp_privacy.reaction import RETRIEVAL_EMAIL_QUERY
    from bwp_sandbox.timeline import Timeline

    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="reaction")
    catalogue = json.loads(shipped_catalogue_path().read_text())
    # Alerted about as any unknown code (the default's severity and runbook), resubmitted as
    # an ORDERS_NOT_CLOSED deletion is.
    resubmit = catalogue["codes"]["ORDERS_NOT_CLOSED"]["actions"]["deletion"]
    catalogue["codes"]["EXPORT_FAILED"] = {
        **catalogue["default"],
        "actions": {"retrieval": resubmit},
    }
    admin_client("ssm").put_parameter(
        Name="canary-catalogue", Value=json.dumps(catalogue), Type="String", Overwrite=True
    )
    sandbox = canary_sandbox.deploy(CatalogueParameterName="canary-catalogue")
    sandbox.emulator.set_shopper(BP, EMAIL)
    task = _task("canary-retrieval", "EXPORT_FAILED")
    task["errors"] = task["errors"][:1]  # resubmit only: a null code would escalate at once
    task["dataRetrievalLink"] = LINK
    sandbox.emulator.add_task(BP, task, kind="retrieval")
    timeline = Timeline(sandbox, quiet_logs=False)
    timeline.publish(BP, "canary-retrieval", "PERSONAL_DATA_RETRIEVAL_TASK_FAILED")
    timeline.settle()
    sandbox.emulator.inject("throttle")
    sandbox.emulator.inject("http_status", status=503)
    timeline.advance(7)  # attempt 1, retried through the faults; its retrieval completes
    store = CaseReader(boto3.client("dynamodb"), sandbox.stack.cases_table_name)
    case = store.load("canary-retrieval")
    assert case is not None
    assert (case.kind, case.state.value, case.attempts) == ("retrieval", "COMPLETED", 1)
    started = case.tasks[-1].task_id
    assert sandbox.emulator.start_calls() == {client_token("canary-retrieval", 1): 1}
    target = tmp_path / "sandbox.json"
    sandbox.target().write(target)
    cli_output = []
    for args in (
        ["cases", "list", "--all", "--json"],
        ["cases", "show", "canary-retrieval"],
        ["task", "show", started, "--kind", "retrieval", "--business-product-id", BP, "--json"],
        ["task", "show", "canary-retrieval"],  # its kind from the stored failure
    ):
        result = CliRunner().invoke(
            cli, args, env={"BWP_SANDBOX_FILE": str(target)}, catch_exceptions=False
        )
        assert result.exit_code == 0, (args, result.output)
        cli_output.append(result.stdout + result.stderr)
    assert '"kind": "retrieval"' in cli_output[0]
    assert "Retrieval task canary-retrieval" in cli_output[3]

    log = sandbox.emulator.requests_log
    starts = [e for e in log if "startPersonalDataRetrievalTask" in json.dumps(e["body"])]
    assert starts, "no start mutation was sent"
    for entry in starts:
        assert entry["body"]["variables"]["input"]["dataSubject"]["email"] == EMAIL
    others = [e for e in log if e not in starts]
    queries = [str(e["body"].get("query", "")) for e in others if isinstance(e["body"], dict)]
    assert not [q for q in queries if "dataRetrievalLink" in q]
    # The email is read from the failed retrieval (never a deletion), with the one query.
    assert {q for q in queries if "dataSubject" in q} == {RETRIEVAL_EMAIL_QUERY}
    captured = capsys.readouterr()
    surfaces = {
        "stdout (logs, EMF)": captured.out,
        "stderr": captured.err,
        "log records": caplog.text,
        "cases table": json.dumps(
            boto3.client("dynamodb").scan(TableName=sandbox.stack.cases_table_name)["Items"]
        ),
        "failures table": json.dumps(
            boto3.client("dynamodb").scan(TableName=sandbox.stack.failures_table_name)["Items"]
        ),
        "SNS messages": json.dumps(
            boto3.client("sqs")
            .receive_message(QueueUrl=sandbox.stack.tap_queue_url, MaxNumberOfMessages=10)
            .get("Messages", [])
        ),
        "CLI output": "\n".join(cli_output),
        "other API requests": json.dumps(others),
    }
    # The emulator's completed retrieval carries a link on its own host: it goes nowhere either.
    completed = sandbox.emulator.tasks.get(BP, started, "retrieval")
    assert str(completed["dataRetrievalLink"]).startswith("https://bwp-retrieval.sandbox.invalid/")
    for canary in (EMAIL, "canary-mail.test", CLIENT_SECRET, LINK, "canary-link.test"):
        leaks = [name for name, text in surfaces.items() if canary in text]
        assert leaks == [], f"{canary} leaked into {leaks}"
    assert "bwp-retrieval.sandbox.invalid" not in json.dumps(surfaces)


SLACK_SIGNING_CANARY = "canary-slack-signing-secret-91c4e"
PAGERDUTY_SIGNING_CANARIES = (
    "canary-pagerduty-old-secret-5b2a7",
    "canary-pagerduty-new-secret-e03f1",
)


@pytest.fixture
def inbound_canary_sandbox(local_aws: LocalAws, sandbox_env: dict[str, str]) -> Iterator[Sandbox]:
    local_aws.reset()
    with BwpEmulator() as emulator, ReceiverSink() as sink:
        yield prepare(
            emulator,
            local_aws,
            sink,
            slack_signing_secret=SLACK_SIGNING_CANARY,
            pagerduty_signing_secrets=PAGERDUTY_SIGNING_CANARIES,
        )
    assert local_aws.iam.denied() == []


def test_the_inbound_signing_secrets_leak_nowhere(
    inbound_canary_sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Slack's and PagerDuty's signing secrets verify requests, accepted and refused alike,
    and appear in no log, metric, answer or queued message."""
    import time

    from bwp_privacy.contract.inbound import SLACK_EXTEND
    from bwp_privacy.inbound import PAGERDUTY_PATH, SLACK_PATH
    from bwp_sandbox.stack import drain_queue
    from tests.inbound_requests import (
        block_actions,
        pagerduty_event,
        pagerduty_headers,
        slack_form,
        slack_headers,
        url_event,
    )

    caplog.set_level(logging.DEBUG, logger="inbound")
    sandbox = inbound_canary_sandbox
    inbound = sandbox.inbound.cold_start()
    now = int(time.time())
    slack = slack_form(block_actions(SLACK_EXTEND, "canary-case|ccpa"))
    pagerduty = json.dumps(pagerduty_event(incident_key="canary-case")).encode()
    foreign = json.dumps(pagerduty_event(incident_key="not ours")).encode()
    old, new = PAGERDUTY_SIGNING_CANARIES
    requests_ = [
        url_event(
            SLACK_PATH, slack, slack_headers(slack, timestamp=now, secret=SLACK_SIGNING_CANARY)
        ),
        url_event(
            SLACK_PATH,
            slack,
            slack_headers(slack, timestamp=now - 600, secret=SLACK_SIGNING_CANARY),
        ),
        url_event(SLACK_PATH, slack, slack_headers(slack, timestamp=now)),  # the wrong secret
        url_event(PAGERDUTY_PATH, pagerduty, pagerduty_headers(pagerduty, old, new)),
        url_event(PAGERDUTY_PATH, pagerduty, pagerduty_headers(pagerduty)),  # the wrong secret
        url_event(PAGERDUTY_PATH, foreign, pagerduty_headers(foreign, new)),
    ]
    answers = [inbound.handler(event, LocalLambdaContext()) for event in requests_]
    assert [a["statusCode"] for a in answers] == [200, 401, 401, 200, 401, 200]
    queued = drain_queue(sandbox.stack.inbound_queue_url)
    assert len(queued) == 2  # the flow really ran
    captured = capsys.readouterr()
    surfaces = {
        "stdout (logs, EMF)": captured.out,
        "stderr": captured.err,
        "log records": caplog.text,
        "answers": json.dumps(answers),
        "queued messages": json.dumps(queued),
    }
    assert "InboundRefused" in captured.out  # the refusals really were counted
    for canary in (SLACK_SIGNING_CANARY, *PAGERDUTY_SIGNING_CANARIES):
        leaks = [name for name, text in surfaces.items() if canary in text]
        assert leaks == [], f"{canary} leaked into {leaks}"
