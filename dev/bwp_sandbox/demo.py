"""`make demo`: replay every sample event through the real handlers, offline, and show the result.

Starts the API emulator, moto and a receiver sink on 127.0.0.1 and creates the stack in moto.
Then runs each event in events/ (and the first one a second time, as EventBridge may deliver
it) through RecorderFunction's handler, printing what was stored and published.
Then the reaction turns each failure into a case and carries it: the sample failures close
(nothing to delete) or escalate (a deadline too near, a lookup that failed), and a fresh one
is resubmitted twice as the sandbox's clock moves a week at a time, then completes. After
each step the alert router takes what was published and the demo prints what PagerDuty,
Slack, Teams, the webhook, Amazon Q and EventBridge received.
It writes the compliance report of every case to report.html (git-ignored), as
`bwp-privacy report -o report.html` does, and ends with `bwp-privacy doctor`'s checks of the
stack. Before all of it, the sandbox was set up as `bwp-privacy setup` sets up an account.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bwp_privacy.audit import AuditTrail
from bwp_privacy.cases import DEFAULT_DUE_SOON_DAYS, Case, CaseReader, CaseState
from bwp_privacy.common import iso_z, use_clock
from bwp_privacy.contract.inbound import SLACK_CLOSE, PagerDutyEventType
from bwp_privacy_cli.doctor import StackView, Status, examine
from bwp_privacy_cli.local import NOWHERE, LocalLambdaContext, function_logs_to
from bwp_privacy_cli.report import build_report, write_report
from bwp_sandbox.admin import admin_client
from bwp_sandbox.event_source import SqsEventSource
from bwp_sandbox.inbound import PAGERDUTY_SIGNING_SECRETS, SLACK_SIGNING_SECRET
from bwp_sandbox.oncall import PagerDutyOnCall, SlackOnCall
from bwp_sandbox.sandbox import Sandbox, running_sandbox
from bwp_sandbox.seed import SAMPLE_BUSINESS_PRODUCT_ID
from bwp_sandbox.sink import SLACK_BOT_TOKEN
from bwp_sandbox.stack import PROJECT_ROOT, drain_queue
from bwp_sandbox.timeline import Timeline

EVENTS_DIR = PROJECT_ROOT / "events"
#: Where the demo leaves its compliance report (.gitignore keeps it out of the repository);
#: BWP_DEMO_REPORT puts it elsewhere (the test of the demo does).
REPORT = Path(os.environ.get("BWP_DEMO_REPORT") or PROJECT_ROOT / "report.html")


def main() -> int:
    """Run the demo; return the process exit code."""
    # An invocation that counted nothing (a duplicate, a stale schedule) is normal here.
    warnings.filterwarnings("ignore", "No application metrics to publish")
    # The documented event first, so the duplicate delivery at the end is the familiar one.
    paths = sorted(EVENTS_DIR.glob("*.json"), key=lambda p: (p.stem != "deletion-task-failed", p))
    runs = [*paths, paths[0]]  # the duplicate delivery must be a no-op
    failures = 0
    with running_sandbox() as started:
        # Slack as a bot (one message per case, with the buttons on-call acts from), so that
        # the demo can close a case from its message.
        admin_client("secretsmanager").put_secret_value(
            SecretId=started.receivers.parameters["SlackSecretName"],
            SecretString=json.dumps(
                {
                    "botToken": SLACK_BOT_TOKEN,
                    "channel": DEMO_CHANNEL,
                    "signingSecret": SLACK_SIGNING_SECRET,
                }
            ),
        )
        # JSON log lines would interleave with the report; warnings and errors still show.
        sandbox = started.deploy(LogLevel="ERROR")
        print(
            f"API emulator {sandbox.emulator.base_url}  local AWS (moto) {sandbox.aws.url}"
            f"  receiver sink {sandbox.sink.base_url}"
        )
        print("\n== Setup before the first deploy (`bwp-privacy setup`) ==")
        for step in sandbox.setup:
            print(f"  {step.outcome:<9} {step.step}: {step.detail}")
        app = sandbox.recorder.cold_start()
        for index, path in enumerate(runs, start=1):
            event = json.loads(path.read_text())
            label = f"[{index}/{len(runs)}] {path.relative_to(PROJECT_ROOT)}"
            if index == len(runs):
                label += " (delivered again)"
            print(f"\n{label}")
            emf = io.StringIO()
            try:
                with contextlib.redirect_stdout(emf):
                    outcome = app.handler(event, LocalLambdaContext())
            except Exception as error:
                failures += 1
                print(f"  FAILED  {type(error).__name__}: {error}")
                continue
            _show(outcome, sandbox)
            print(f"  metrics:   {', '.join(_metrics(emf.getvalue()))}")
        print(f"\n{len(runs) - failures} of {len(runs)} events handled, {failures} failed.")
        failures += _cases(sandbox)
        failures += _retrieval(sandbox)
        refused = sandbox.aws.iam.denied()
        for call in refused:
            print(f"IAM refused {call.function}: {call.action} on {call.resource}")
        # The API budget's slots are counted apart: one update or two each, by timing.
        budget = f":table/{sandbox.stack.resources['ApiBudgetTable'].ref}"
        records = sandbox.aws.iam.records()
        slots = sum(1 for r in records if r.allowed and r.resource.endswith(budget))
        print(
            f"\nEvery AWS call the functions made was checked against their roles in template.yaml:"
            f" {len(records) - len(refused) - slots} allowed, and {slots} updates of the API"
            f" budget, {len(refused)} refused."
        )
        _report(sandbox)
        failures += _doctor(sandbox)
    return 1 if failures or refused else 0


def _doctor(sandbox: Sandbox) -> int:
    """The stack checked end to end, as `bwp-privacy doctor` checks a deployed one: the
    number of checks that failed."""
    print("\n== Doctor: the stack checked end to end (`bwp-privacy doctor`) ==")
    target = sandbox.target()
    with target.aws():
        findings = examine(StackView(target))
    for finding in findings:
        print(f"{finding.status.value:<4} {finding.check}: {finding.detail}")
        if finding.fix:
            print(f"      fix: {finding.fix}")
    counts = {status: sum(f.status is status for f in findings) for status in Status}
    print(
        f"{counts[Status.PASS]} passed, {counts[Status.WARN]} warning(s),"
        f" {counts[Status.FAIL]} failed"
    )
    return counts[Status.FAIL]


def _report(sandbox: Sandbox) -> None:
    """Every case of the demo in the compliance report: made now, its cases as they stand at
    the sandbox's clock, two weeks ahead (the report's header says so)."""
    store = CaseReader(admin_client("dynamodb"), sandbox.stack.cases_table_name)
    cases = store.all_cases()
    data = build_report(
        cases,
        datetime.now(UTC),
        sandbox.target().identity(),
        due_soon_days=DEFAULT_DUE_SOON_DAYS,
        as_at=sandbox.emulator.now(),
    )
    size = write_report(data, REPORT)
    print(
        f"\n== Report: {len(cases)} cases, {data.open_count} open, {len(data.at_risk)} at risk"
        " (`bwp-privacy report -o report.html`) =="
    )
    print(f"Compliance report written ({size} bytes), open it in a browser: {REPORT}")


DEMO_TASK = "demo-orders-close-in-10-days"
#: The Slack channel the demo's bot posts each case's message to.
DEMO_CHANNEL = "C0PRIVACY"
DEMO_EMAIL = "demo.shopper@example.com"


def _cases(sandbox: Sandbox) -> int:
    """The reaction over the published failures, then a case carried over two weeks."""
    timeline = Timeline(sandbox)
    store = CaseReader(admin_client("dynamodb"), sandbox.stack.cases_table_name)
    router = sandbox.router.cold_start()
    print("\n== Cases: the reaction carries each failed deletion to its end ==")
    timeline.settle()
    _show_cases(store, "the sample failures")
    failed = _route_alerts(sandbox, router)
    paged = {page["body"]["dedup_key"] for page in sandbox.sink.received("pagerduty")}
    # A shopper whose last order closes in 10 days; their deletion failed today.
    bp = SAMPLE_BUSINESS_PRODUCT_ID
    sandbox.emulator.set_shopper(bp, DEMO_EMAIL, orders_open_days=10)
    sandbox.emulator.add_task(
        bp,
        {
            "taskId": DEMO_TASK,
            "status": "FAILED",
            "holdingPeriod": 0,
            "dataSubject": {"type": "SHOPPER", "email": DEMO_EMAIL},
            "errors": [{"code": "ORDERS_NOT_CLOSED", "message": "Open orders."}],
        },
    )
    timeline.publish(bp, DEMO_TASK, "PERSONAL_DATA_DELETION_TASK_FAILED")
    timeline.settle()
    _show_cases(store, f"{DEMO_TASK} failed (its orders close in 10 days)", only=DEMO_TASK)
    failed += _route_alerts(sandbox, router)
    for week in (1, 2):
        steps = timeline.advance(7)
        happened = [e for step in steps for e in (*step.fired, *step.events)]
        print(f"\n-- {7 * week} days later: {'; '.join(happened) or 'nothing due'}")
        _show_cases(store, "", only=DEMO_TASK)
        failed += _route_alerts(sandbox, router)
    failed += _close_escalated(sandbox, store, router, paged)
    demo = store.load(DEMO_TASK)
    if demo is not None:
        print(f"\nTimeline of case {DEMO_TASK} (`bwp-privacy cases show {DEMO_TASK}`):")
        for t in demo.transitions:
            origin = t.from_state.value if t.from_state else "(new)"
            print(
                f"  {_day(t.at)}  {origin:>11} -> {t.to_state.value:<11} {t.cause.kind.value:<8}"
                f" {t.reason}"
            )
    return failed


RETRIEVAL_NO_DATA = "demo-retrieval-no-data"
RETRIEVAL_FAILED = "demo-retrieval-export-failed"


def _retrieval(sandbox: Sandbox) -> int:
    """A shopper's access request (a retrieval task) recorded as a retrieval and carried as a
    case of its own kind: nothing to retrieve closes it; another code escalates it, and an
    operator's resubmission (`startPersonalDataRetrievalTask`) completes it."""
    timeline = Timeline(sandbox)
    store = CaseReader(admin_client("dynamodb"), sandbox.stack.cases_table_name)
    bp = SAMPLE_BUSINESS_PRODUCT_ID
    print("\n== Retrieval: access requests, carried by the retrieval playbook ==")
    drain_queue(sandbox.stack.tap_queue_url)  # what the deletion cases published before
    sandbox.emulator.set_shopper(bp, DEMO_EMAIL)  # known: a new retrieval for them completes
    for task_id, code, email in (
        (RETRIEVAL_NO_DATA, "DATA_SUBJECT_NOT_FOUND", "unknown.shopper@example.com"),
        (RETRIEVAL_FAILED, "EXPORT_FAILED", DEMO_EMAIL),
    ):
        sandbox.emulator.add_task(
            bp,
            {
                "taskId": task_id,
                "status": "FAILED",
                "dataSubject": {"type": "SHOPPER", "email": email},
                "errors": [{"code": code, "message": "The retrieval task failed."}],
            },
            kind="retrieval",
        )
        timeline.publish(bp, task_id, "PERSONAL_DATA_RETRIEVAL_TASK_FAILED")
    timeline.settle()
    for message in drain_queue(sandbox.stack.tap_queue_url):
        body = json.loads(message["Body"])
        if body.get("schema") == "bwp-privacy.deletion-task-failure":
            codes = ", ".join(str(error["code"]) for error in body["errors"])
            print(
                f"  recorded:  {body['detailType']} task {body['taskId']}"
                f"  taskKind {body['taskKind']}  errors {codes}"
            )
    _show_kinded(store, RETRIEVAL_NO_DATA, RETRIEVAL_FAILED)
    with use_clock(timeline.now):
        sandbox.operate({"action": "resubmit", "caseId": RETRIEVAL_FAILED})
    happened = [e for step in timeline.settle() for e in step.events]
    print(
        f"\n-- an operator resubmits (`bwp-privacy cases resubmit {RETRIEVAL_FAILED}`):"
        f" {'; '.join(happened) or 'nothing happened'}"
    )
    _show_kinded(store, RETRIEVAL_FAILED)
    print("\n-- the alerts of both access requests, routed now: each case opened, then resolved")
    failed = _route_alerts(sandbox, sandbox.router.cold_start())
    ended = {case_id: store.load(case_id) for case_id in (RETRIEVAL_NO_DATA, RETRIEVAL_FAILED)}
    states = {case_id: case.state.value if case else None for case_id, case in ended.items()}
    expected = {RETRIEVAL_NO_DATA: "NOTHING_TO_RETRIEVE", RETRIEVAL_FAILED: "COMPLETED"}
    if states != expected:
        print(f"  UNEXPECTED retrieval case states: {states}")
        return failed + 1
    return failed


def _show_kinded(store: CaseReader, *case_ids: str) -> None:
    for case_id in case_ids:
        case = store.load(case_id)
        if case is not None:
            print(
                f"  case {case.case_id}  {case.kind:<9} {case.state.value:<19}"
                f" attempts {case.attempts}  {_next(case)}"
            )


def _close_escalated(sandbox: Sandbox, store: CaseReader, router: Any, paged: set[str]) -> int:
    """On-call closes a case that paged them; its incident resolves wherever it opened."""
    escalated = [
        case
        for case in sorted(store.all_cases(), key=lambda case: case.case_id)
        if case.state is CaseState.ESCALATED and case.case_id in paged
    ]
    if not escalated:
        print("\n  UNEXPECTED: no escalated case paged PagerDuty")
        return 1
    case = escalated[-1]
    timeline = Timeline(sandbox)
    pagerduty_url = sandbox.inbound_url + "pagerduty/webhooks"
    slack_url = sandbox.inbound_url + "slack/actions"
    pager = PagerDutyOnCall(PAGERDUTY_SIGNING_SECRETS)
    print(f"\n-- on-call acknowledges case {case.case_id}'s incident in PagerDuty, and adds a note")
    events: tuple[tuple[PagerDutyEventType, str | None], ...] = (
        ("incident.acknowledged", None),
        ("incident.annotated", "asked merchant support to delete the shopper's data"),
    )
    for event_type, note in events:
        sent = pager.send(pagerduty_url, event_type, case.case_id, note=note or "")
        print(f"  PagerDuty   webhook {event_type} (signed): inbound answered HTTP {sent.status}")
    timeline.settle()
    slack = SlackOnCall(sandbox.sink, SLACK_SIGNING_SECRET)
    message = slack.message_of(case.case_id)
    shown = ", ".join(f"[{button.text}]" for button in message.buttons)
    print(f"\n-- on-call closes it from its Slack message, whose buttons are: {shown}")
    # What really happened: the shopper's data was deleted with merchant support's help, so
    # the request was complied with (an auditor counts it so), not cancelled.
    reason = "deleted through Buy with Prime merchant support"
    pressed = slack.click(slack_url, case.case_id, SLACK_CLOSE)
    [modal] = sandbox.sink.slack_views()[-1:]
    print(
        f"  Slack       [Close…] pressed: HTTP {pressed.status}, the modal"
        f' "{modal["view"]["title"]["text"]}" opens'
    )
    submitted = slack.submit_close(slack_url, closed_as="completed", reason=reason)
    print(
        f"  Slack       modal submitted (answered: completed, why: {reason}):"
        f" HTTP {submitted.status}"
    )
    timeline.settle()
    for answer in sandbox.sink.slack_responses():
        print(f"  Slack       the reaction answers in the channel: {answer['body']['text']}")
    _show_cases(store, "", only=case.case_id)
    failed = _route_alerts(sandbox, router)
    resolved = [
        page["body"]["dedup_key"]
        for page in sandbox.sink.received("pagerduty")
        if page["body"]["event_action"] == "resolve"
    ]
    if resolved != [case.case_id]:
        print(f"  UNEXPECTED: PagerDuty resolves {resolved} for case {case.case_id}")
        return failed + 1
    trail = AuditTrail(admin_client("dynamodb"), sandbox.stack.audit_table_name)
    print(f"\nAudit trail of case {case.case_id} (`bwp-privacy cases show {case.case_id}`):")
    actors = set()
    deliveries = 0
    for entry in trail.entries(f"case:{case.case_id}"):
        actors.add(entry.actor.partition(":")[0])
        if entry.action.startswith("alert."):
            deliveries += 1  # one per receiver and alert: counted below, not listed
            continue
        print(
            f"  {iso_z(entry.at, 'seconds')}  {entry.actor:<28} {entry.action:<32} {entry.outcome}"
        )
    print(f"  … and {deliveries} alert deliveries by bwp-privacy-alert-router, one entry each")
    if not {"slack", "pagerduty"} <= actors:
        print("  UNEXPECTED: the trail names no Slack or PagerDuty actor")
        return failed + 1
    return failed


def _show_cases(store: CaseReader, title: str, only: str | None = None) -> None:
    if title:
        print(f"\n-- {title}")
    every = sorted(store.all_cases(), key=lambda case: case.opened_at)
    for case in every:
        if only is None or case.case_id == only:
            print(
                f"  case {case.case_id}  {case.state.value:<17} attempts {case.attempts}  "
                f"{_next(case)}"
            )


def _next(case: Case) -> str:
    if case.next_attempt_at is not None:
        return f"next attempt {_day(case.next_attempt_at)}"
    return case.reason or ""


def _day(moment: datetime) -> str:
    return iso_z(moment, "minutes")


#: A backslash escape as Markdown reads it: a backslash before any ASCII punctuation shows
#: that character alone (CommonMark, which Teams' TextBlock follows).
_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def teams_reads(text: str) -> str:
    """What a Teams user reads of a card's text. The router escapes outside text so that Teams
    never reads it as Markdown (``\\[WARNING\\]``); Teams shows it without the backslashes.
    For display only: the card sent keeps its escapes."""
    return _MARKDOWN_ESCAPE.sub(r"\1", text)


def _route_alerts(sandbox: Sandbox, router: Any) -> int:
    """Run the alert router over its queue, then show what each receiver got."""
    sandbox.sink.clear(workspace=False)
    with contextlib.redirect_stdout(io.StringIO()):
        result = SqsEventSource(sandbox.stack.alert_queue_url, router).poll_once()
    if not result.received:
        print("  alerts: none")
        return 0
    print(
        f"  alert router: {result.received} message(s) in one batch,"
        f" {result.failed} to retry. What each receiver got:"
    )
    sink = sandbox.sink
    for page in sink.received("pagerduty"):
        body = page["body"]
        if body["event_action"] == "resolve":
            print(f"  PagerDuty   resolve  dedup_key {body['dedup_key']} (the incident closes)")
            continue
        print(
            f"  PagerDuty   trigger  dedup_key {body['dedup_key']} ({body['payload']['severity']})"
        )
        print(f"              {body['payload']['summary']}")
    for message in sink.received("slack"):
        print(f"  Slack       {_slack_call(message)}")
    for message in sink.received("teams"):
        card = message["body"]["attachments"][0]["content"]
        print(f"  Teams       Adaptive Card: {teams_reads(card['body'][0]['text'])}")
    for request in sink.received("webhook"):
        body = request["body"]
        cases = ", ".join(alert["case_id"] for alert in body["alerts"])
        print(f"  Webhook     {body['status']:<8} route {body['route']}: case {cases} (signed)")
    for message in drain_queue(sandbox.receivers.amazon_q_queue_url):
        note = json.loads(message["Body"])
        print(f"  Amazon Q    thread {note['metadata']['threadId']}: {note['content']['title']}")
    for message in drain_queue(sandbox.receivers.eventbridge_queue_url):
        detail = json.loads(message["Body"])["detail"]
        print(
            f"  EventBridge {detail['status']:<8} case {detail['case_id']} task {detail['task_id']}"
        )
    return result.failed


def _slack_call(request: dict[str, Any]) -> str:
    """One call of the bot to Slack's Web API, in a line: the case's message posted or edited
    (its header and buttons), or a reply in its thread."""
    method = request["path"].rpartition("/")[2]
    body = request["body"]
    blocks = body.get("blocks") or []
    header = next((b["text"]["text"] for b in blocks if b.get("type") == "header"), None)
    if header is None:
        return f"{method:<16} {body.get('text', '')}"
    buttons = [
        element["text"]["text"]
        for block in blocks
        if block.get("type") == "actions"
        for element in block.get("elements", [])
    ]
    shown = f"  buttons: {', '.join(buttons)}" if buttons else ""
    return f"{method:<16} {header}  ({len(blocks)} blocks){shown}"


def _show(outcome: dict[str, Any], sandbox: Sandbox) -> None:
    print(
        f"  task {outcome['taskId']}  lookup {outcome['lookupStatus']}  "
        f"errors {', '.join(outcome['errorCodes'])}"
    )
    if outcome.get("duplicate"):
        print("  duplicate of an event already handled: nothing stored, nothing published")
        return
    # Not stored by this run only if its claim ran out and another run took the event over.
    print(f"  stored:    {'new item' if outcome['stored'] else 'by the run that took it over'}")
    for message in drain_queue(sandbox.stack.tap_queue_url):
        body = json.loads(message["Body"])
        attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
        print(f"  published: message {outcome['messageId']}  attributes {attributes}")
        for error in body["errors"]:
            print(f"             {error['code']}: {error['message']}")
        if body["lookup"]["status"] != "OK":
            print(f"             lookup {body['lookup']['errorType']}: {body['lookup']['message']}")


def _metrics(emf_output: str) -> list[str]:
    """Summarise the EMF lines the handler printed as name{dimension=value}."""
    shown = []
    for line in emf_output.splitlines():
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            dimensions = [d for group in directive["Dimensions"] for d in group if d != "service"]
            for metric in directive["Metrics"]:
                labels = ",".join(f"{d}={blob[d]}" for d in dimensions)
                shown.append(f"{metric['Name']}{{{labels}}}" if labels else metric["Name"])
    return shown


if __name__ == "__main__":
    # Python would print the library's log records (a lookup that failed for good) on stderr:
    # what the functions did is on stdout already.
    with function_logs_to(NOWHERE):
        sys.exit(main())
