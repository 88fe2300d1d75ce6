"""A full run of each function through every path that calls AWS, with its outcome checked.

The least-privilege test runs these to record what each function really calls; the
statement-by-statement test runs them with one statement taken away and expects them to fail.
A scenario raises (AssertionError or the function's own error) when the function did not do
its job.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bwp_privacy.audit import AuditTrail
from bwp_privacy.catalogue import shipped_catalogue_path
from bwp_privacy_cli.local import LocalLambdaContext, invoke_async
from bwp_sandbox.admin import admin_client
from bwp_sandbox.event_source import SqsEventSource
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.seed import SAMPLE_BUSINESS_PRODUCT_ID
from bwp_sandbox.stack import PROJECT_ROOT, queue_depth
from tests.conftest import load_event

ROUTES_PARAMETER = "/bwp-privacy/routes"
PLAYBOOKS_PARAMETER = "bwp-privacy-playbooks"
CATALOGUE_PARAMETER = "/bwp-privacy/catalogue"
SHIPPED_PLAYBOOKS = Path(PROJECT_ROOT, "functions", "reaction", "playbooks.json")
SHIPPED_ROUTES = Path(PROJECT_ROOT, "functions", "alert_router", "routes.json")
SHIPPED_CATALOGUE = shipped_catalogue_path()
#: Retries paced for a test: the run is about which calls are made, not when.
FAST = {
    "BWP_RETRY_BASE_SECONDS": "0.01",
    "BWP_MAX_ATTEMPTS": "2",
    "ALERT_RETRY_BASE_SECONDS": "0.01",
}


def _event(task_id: str) -> dict[str, Any]:
    event = load_event()
    event["id"] = f"event-{task_id}"
    event["resources"] = [
        f"businessProduct/{SAMPLE_BUSINESS_PRODUCT_ID}/personalDataDeletionTask/{task_id}"
    ]
    return event


def recorder_run(sandbox: Sandbox) -> None:
    """A failure claimed, published and marked; its duplicate refused by the claim; one that
    keeps failing frees its claim at each attempt, then parks in OnFailure."""
    recorder = sandbox.recorder.with_environment(**FAST).cold_start()
    published = recorder.handler(load_event(), LocalLambdaContext())
    assert published["published"] is True, published
    stored = admin_client("dynamodb").get_item(
        TableName=sandbox.stack.failures_table_name,
        Key={"taskId": {"S": published["taskId"]}, "eventId": {"S": published["eventId"]}},
    )["Item"]
    assert stored["messageId"]["S"] == published["messageId"], stored  # the mark
    again = recorder.handler(load_event(), LocalLambdaContext())
    assert again["duplicate"] is True, again

    # The API keeps failing: the handler frees its claim and raises, Lambda retries twice
    # (each retry claims the event again, so none is refused as held), then sends the event
    # to the OnFailure destination.
    sandbox.emulator.add_task(SAMPLE_BUSINESS_PRODUCT_ID, {"taskId": "iam-parked"})
    sandbox.emulator.set_outage(["iam-parked"])
    outcome = invoke_async(
        recorder, _event("iam-parked"), on_failure_queue_url=sandbox.stack.on_failure_queue_url
    )
    sandbox.emulator.set_outage([])
    assert outcome.error is not None
    assert "held by another invocation" not in str(outcome.error), outcome.error
    assert queue_depth(sandbox.stack.on_failure_queue_url)[0] == 1
    claim = admin_client("dynamodb").get_item(
        TableName=sandbox.stack.failures_table_name,
        Key={"taskId": {"S": "iam-parked"}, "eventId": {"S": "event-iam-parked"}},
    )
    assert "Item" not in claim, claim  # freed: a redrive may run it at once


def with_every_option(sandbox: Sandbox) -> Sandbox:
    """The stack with every optional part on: all six receivers (as the sandbox has them),
    Slack actions and PagerDuty webhooks (the inbound function),
    the routes, playbooks and catalogue overrides in SSM, and a customer managed key encrypting the
    credentials secret, every receiver's secret and the Amazon Q topic."""
    ssm = admin_client("ssm")
    ssm.put_parameter(
        Name=ROUTES_PARAMETER, Value=SHIPPED_ROUTES.read_text(), Type="String", Overwrite=True
    )
    ssm.put_parameter(
        Name=PLAYBOOKS_PARAMETER, Value=SHIPPED_PLAYBOOKS.read_text(), Type="String", Overwrite=True
    )
    ssm.put_parameter(
        Name=CATALOGUE_PARAMETER, Value=SHIPPED_CATALOGUE.read_text(), Type="String", Overwrite=True
    )
    key = encrypt_with_customer_key(sandbox)
    return sandbox.deploy(
        RoutesParameterName=ROUTES_PARAMETER,
        PlaybooksParameterName=PLAYBOOKS_PARAMETER,
        CatalogueParameterName=CATALOGUE_PARAMETER,
        CustomerManagedKeyArn=key,
    )


def encrypt_with_customer_key(sandbox: Sandbox) -> str:
    """A customer managed key of the merchant's, encrypting the credentials secret, the
    receivers' secrets and the Amazon Q topic; its ARN."""
    key = str(
        admin_client("kms").create_key(Description="merchant's own key")["KeyMetadata"]["Arn"]
    )
    secrets = admin_client("secretsmanager")
    names = [
        sandbox.stack.parameters["BwpCredentialsSecretName"],
        sandbox.stack.parameters["PagerDutyWebhookSecretName"],
    ] + [
        value for name, value in sandbox.receivers.parameters.items() if name.endswith("SecretName")
    ]
    for name in names:
        secrets.update_secret(SecretId=name, KmsKeyId=key)
    admin_client("sns").set_topic_attributes(
        TopicArn=sandbox.receivers.parameters["AmazonQTopicArn"],
        AttributeName="KmsMasterKeyId",
        AttributeValue=key,
    )
    return key


def reaction_run(sandbox: Sandbox) -> None:
    """Every path of the reaction that calls AWS: a case opened (its attempt scheduled, the
    scheduler role passed), resubmitted through the API (the credentials secret) and
    completed (its tasks' retention set); a case completed while waiting (its schedule
    deleted); an escalation published; a PagerDuty resolve from InboundQueue, and a note
    redriven from its dead-letter queue; a completion
    kept for a task no case holds; an input that cannot be handled parked in OnFailure."""
    from bwp_privacy.cases import CaseState
    from bwp_sandbox.timeline import Timeline
    from tests.integration.reaction_helpers import COMPLETED, case, failed_task, open_case

    timeline = Timeline(sandbox)
    timeline.reaction = timeline.reaction.with_environment(**FAST).cold_start()
    failed_task(
        sandbox, "iam-resubmit", "ORDERS_NOT_CLOSED", email="r@example.com", orders_open_days=3
    )
    assert open_case(sandbox, timeline, "iam-resubmit").state is CaseState.WAITING
    timeline.advance(7)
    assert case(sandbox, "iam-resubmit").state is CaseState.COMPLETED
    # Every transition is in the audit trail (an input whose entries fail to write fails).
    trail = AuditTrail(admin_client("dynamodb"), sandbox.stack.audit_table_name)
    recorded = [entry.outcome for entry in trail.entries("case:iam-resubmit")]
    assert recorded[0] == "WAITING", recorded
    assert recorded[-1] == "COMPLETED", recorded

    failed_task(
        sandbox, "iam-waiting", "ORDERS_NOT_CLOSED", email="w@example.com", orders_open_days=30
    )
    assert open_case(sandbox, timeline, "iam-waiting").state is CaseState.WAITING
    timeline.publish(SAMPLE_BUSINESS_PRODUCT_ID, "iam-waiting", COMPLETED)
    timeline.settle()
    assert case(sandbox, "iam-waiting").state is CaseState.COMPLETED
    assert timeline.due_schedules() == []

    failed_task(sandbox, "iam-escalate", "SOMETHING_NEW", email="x@example.com")
    assert open_case(sandbox, timeline, "iam-escalate").state is CaseState.ESCALATED
    # A PagerDuty resolve from InboundQueue: claimed, recorded, the case marked (twice
    # delivered: the second finds its claim done).
    resolved = {
        "receivedAt": "2026-12-01T00:00:00Z",
        "source": "pagerduty",
        "eventId": "EVTIAM1",
        "eventType": "incident.resolved",
        "incidentId": "PIAM1",
        "caseId": "iam-escalate",
        "occurredAt": "2026-12-01T00:00:00Z",
    }
    for _ in range(2):
        sandbox.queue_inbound_action(json.dumps(resolved))
    timeline.settle()
    assert case(sandbox, "iam-escalate").incident_resolved_by_hand_at is not None
    # A parked PagerDuty note, redriven by an operator: the reaction reads it from the
    # dead-letter queue, carries it out and deletes it (the note names its incident alone,
    # which the resolve linked to the case).
    noted = {
        **resolved,
        "eventId": "EVTIAM2",
        "eventType": "incident.annotated",
        "caseId": None,
        "note": "on it",
    }
    sandbox.park_inbound_action(json.dumps(noted))
    sandbox.park_inbound_action(json.dumps({**noted, "eventId": "EVTIAM3"}))
    # One at a time: the other one taken is put back.
    for _ in range(2):
        answer = sandbox.operate({"action": "inbound-redrive", "limit": 1})
        assert [r["redriven"] for r in answer["redriven"]] == [True], answer

    timeline.publish(SAMPLE_BUSINESS_PRODUCT_ID, "iam-unknown-task", COMPLETED)
    timeline.settle()

    # A silence (operators' requests through the function URL): added (its end scheduled,
    # the silence kept), expired (kept as expired, its schedule deleted, the open cases read
    # and each it matches told); one more ends on its schedule (the silence read).
    silence = {
        "action": "silence-add",
        "match": {"errorCode": "SOMETHING_NEW"},
        "forSeconds": 3600,
        "reason": "iam",
    }
    added = sandbox.operate(silence)
    expired = sandbox.operate({"action": "silence-expire", "silenceId": added["silenceId"]})
    assert expired["released"] == ["iam-escalate"], expired
    timed = sandbox.operate(silence)
    timeline.advance(1)
    assert [e.action for e in trail.entries(f"silence:{timed['silenceId']}")] == [
        "silence add",
        "silence end",
    ]

    outcome = invoke_async(
        timeline.reaction,
        {"kind": "nonsense"},
        on_failure_queue_url=sandbox.stack.on_failure_queue_url,
    )
    assert outcome.error is not None


def router_run(sandbox: Sandbox) -> None:
    """A critical failure routed to all six receivers (`with_every_option`): Slack fails
    once (its claim released, then retried), Teams asks for more time than the invocation
    has (the record waits off the queue), the webhook refuses it for good (parked); every
    other receiver gets the alert exactly once."""
    router = sandbox.router.with_environment(**FAST).cold_start()
    failure = {
        "schema": "bwp-privacy.deletion-task-failure",
        "schemaVersion": "1.0",
        "eventId": "event-iam-routed",
        "eventTime": "2026-11-20T12:34:56Z",
        "detailType": "PERSONAL_DATA_DELETION_TASK_FAILED",
        "businessProductId": "bp-iam",
        "taskId": "iam-routed",
        "status": "FAILED",
        "submissionDate": "2026-11-01T09:00:00Z",
        "errors": [{"code": "BRAND_NEW_CODE", "message": "something new"}],
        "lookup": {"status": "OK"},
        "receivedAt": "2026-11-20T12:35:00Z",
    }
    admin_client("sns").publish(
        TopicArn=sandbox.stack.failures_topic_arn, Message=json.dumps(failure)
    )
    # A failure a silence mutes (the silences read, its case's deadline read, the muted
    # delivery recorded in the ledger): no receiver gets it.
    sandbox.operate(
        {
            "action": "silence-add",
            "match": {"businessProductId": "bp-iam-muted"},
            "forSeconds": 3600,
            "reason": "iam",
        }
    )
    recent = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    muted = failure | {
        "eventId": "event-iam-muted",
        "taskId": "iam-muted",
        "businessProductId": "bp-iam-muted",
        "submissionDate": recent,
    }
    admin_client("sns").publish(
        TopicArn=sandbox.stack.failures_topic_arn, Message=json.dumps(muted)
    )
    sandbox.sink.fail("slack", status=503, times=3)  # every attempt of the first delivery
    sandbox.sink.fail("teams", status=429, retry_after=600)
    sandbox.sink.fail("webhook", status=400)
    source = SqsEventSource(sandbox.stack.alert_queue_url, router)
    first = source.poll_once()
    assert first.failed == 1
    # Kept away for the 600 s Teams asked for, not the queue's own 360 s.
    [hidden] = sandbox.aws.hidden_for(sandbox.stack.alert_queue_url)
    assert 590 < hidden <= 600, hidden
    source.release_failed()  # the sandbox skips the waiting
    results = source.drain(max_invocations=5)
    assert [r.failed for r in results] == [0], results
    for kind in ("pagerduty", "slack", "teams"):
        assert len(sandbox.sink.received(kind)) == 1, kind
    assert sandbox.sink.received("webhook") == []
    assert queue_depth(sandbox.stack.alert_dlq_url)[0] == 1
    for url in (sandbox.receivers.amazon_q_queue_url, sandbox.receivers.eventbridge_queue_url):
        assert queue_depth(url)[0] == 1, url
    # Each send and the parking are in the case's audit trail, by receiver.
    trail = AuditTrail(admin_client("dynamodb"), sandbox.stack.audit_table_name)
    outcomes = {e.detail["receiver"]: e.outcome for e in trail.entries("case:iam-routed")}
    assert outcomes.pop("webhook").startswith("parked"), outcomes
    assert list(outcomes.values()) == ["delivered"] * 5, outcomes
    assert trail.entries("case:iam-muted") == []
    ledger = admin_client("dynamodb").scan(TableName=sandbox.stack.ledger_table_name)["Items"]
    assert {i["receiver"]["S"] for i in ledger if "silencedBy" in i} == {
        "pagerduty",
        "slack",
        "teams",
        "webhook",
        "amazon-q",
        "eventbridge",
    }


def inbound_run(sandbox: Sandbox) -> None:
    """A Slack button and a PagerDuty acknowledgement, each verified with its secret and
    queued on InboundQueue."""
    import time

    from bwp_privacy.contract.inbound import SLACK_RESUBMIT
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

    inbound = sandbox.inbound.cold_start()
    slack = slack_form(block_actions(SLACK_RESUBMIT, "iam-case"))
    headers = slack_headers(slack, timestamp=int(time.time()))
    answer = inbound.handler(url_event(SLACK_PATH, slack, headers), LocalLambdaContext())
    assert answer["statusCode"] == 200, answer
    pagerduty = json.dumps(pagerduty_event(incident_key="iam-case")).encode()
    event = url_event(PAGERDUTY_PATH, pagerduty, pagerduty_headers(pagerduty))
    answer = inbound.handler(event, LocalLambdaContext())
    assert answer["statusCode"] == 200, answer
    queued = [json.loads(m["Body"]) for m in drain_queue(sandbox.stack.inbound_queue_url)]
    assert sorted(m["source"] for m in queued) == ["pagerduty", "slack"], queued


def watch_run(sandbox: Sandbox) -> None:
    """The deadline watch counts the open cases by bucket (one index query per open state),
    reading whole, by its key, a case an older version wrote without `legalDueAt`."""
    from bwp_privacy.cases import CaseReader, case_item_key
    from bwp_privacy_cli.local import LocalLambdaContext
    from bwp_sandbox.timeline import Timeline
    from tests.integration.reaction_helpers import failed_task, open_case

    timeline = Timeline(sandbox)
    for task in ("iam-watched", "iam-watched-older"):
        failed_task(sandbox, task, "ORDERS_NOT_CLOSED", email="w@example.com")
        open_case(sandbox, timeline, task)
    # As the reaction of an older version left it.
    sandbox.reaction.client("dynamodb").update_item(
        TableName=sandbox.stack.cases_table_name,
        Key=case_item_key("iam-watched-older"),
        UpdateExpression="REMOVE legalDueAt",
    )
    answer = sandbox.watch.cold_start().handler({}, LocalLambdaContext())
    store = CaseReader(admin_client("dynamodb"), sandbox.stack.cases_table_name)
    assert sum(answer["counts"].values()) == len(store.open_cases()) >= 1, answer
