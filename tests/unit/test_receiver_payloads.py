"""Receiver payload builders: content, service limits, and no shopper email anywhere."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from bwp_privacy.alerting import Alert, Runbook, Severity, build_alert
from bwp_privacy.alerting.delivery import MORE_HINT, Group, aws_error_retryable
from bwp_privacy.alerting.receivers.amazon_q import amazon_q_notification
from bwp_privacy.alerting.receivers.eventbridge import (
    DETAIL_TYPE,
    eventbridge_entry,
)
from bwp_privacy.alerting.receivers.pagerduty import pagerduty_event, pagerduty_resolve
from bwp_privacy.alerting.receivers.slack import SlackSecret, slack_message
from bwp_privacy.alerting.receivers.teams import CARD_CONTENT_TYPE, teams_message
from bwp_privacy.alerting.receivers.webhook import (
    EXAMPLE_SIGNING_SECRET,
    WebhookSecret,
    sign,
    verify_signature,
    webhook_body,
)
from bwp_privacy.contract import (
    LookupOutcome,
    LookupStatus,
    TaskError,
    TaskFailure,
)
from tests import case_notices

NOW = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
EMAIL = "shopper@example.com"
RUNBOOKS = [
    Runbook(
        code="ORDERS_NOT_CLOSED",
        text="Close or cancel the open orders, then resubmit the deletion request.",
        url="https://wiki.example.internal/runbooks/orders-not-closed",
    ),
    Runbook(code="UNSPECIFIED", text="Open a case with Buy with Prime support."),
]
# Spaced words: mask_emails is quadratic on long runs without whitespace.
LONG_MESSAGE = ("word " * 820)[:4096]
GROUP = Group(route="privacy-oncall", labels={"businessProductId": "bp-1"})


def make_alert(
    task_id: str = "task-1",
    *,
    codes: tuple[str | None, ...] = ("ORDERS_NOT_CLOSED", None),
    severity: Severity = Severity.CRITICAL,
    message: str = f"orders still open for {EMAIL}",
    runbooks: list[Runbook] | None = None,
    lookup: LookupStatus = LookupStatus.OK,
) -> Alert:
    failure = TaskFailure(
        event_id=f"event-{task_id}",
        event_time="2026-11-20T12:34:56Z",
        detail_type="PERSONAL_DATA_DELETION_TASK_FAILED",
        business_product_id="bp-1",
        task_id=task_id,
        status="FAILED",
        submission_date="2026-10-01T08:00:00Z",
        errors=[TaskError(code=code, message=message) for code in codes],
        lookup=LookupOutcome(status=lookup, error_type="AccessDenied", message="no access")
        if lookup is not LookupStatus.OK
        else LookupOutcome(status=lookup),
        received_at="2026-11-20T12:35:00Z",
    )
    return build_alert(failure, severity, RUNBOOKS if runbooks is None else runbooks, NOW)


def many(count: int) -> list[Alert]:
    alert = make_alert()
    return [alert.model_copy(update={"task_id": f"task-{index:05d}"}) for index in range(count)]


def texts_of(blocks: list[dict[str, Any]]) -> list[str]:
    return [block["text"]["text"] for block in blocks if "text" in block]


# PagerDuty


def test_pagerduty_event_carries_every_field_and_dedups_on_the_task() -> None:
    alert = make_alert()
    event = pagerduty_event(alert, "routing-key-1")
    assert event["routing_key"] == "routing-key-1"
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == alert.task_id
    assert event["client"] == "bwp-privacy"
    payload = event["payload"]
    assert payload["summary"] == alert.summary
    assert payload["source"] == "bwp-privacy"
    assert payload["severity"] == "critical"
    assert payload["component"] == "personal-data-deletion"
    assert payload["group"] == "bp-1"
    assert payload["class"] == "ORDERS_NOT_CLOSED"
    details = payload["custom_details"]
    assert details["task_id"] == "task-1"
    assert details["error_codes"] == ["ORDERS_NOT_CLOSED", "UNSPECIFIED"]
    assert details["errors"][1] == {
        "code": None,
        "message": "orders still open for <email redacted>",
    }
    assert details["submitted_days_ago"] == 50
    assert "CCPA 45 days: past due since" in details["deadlines"]
    assert details["inspect"] == alert.inspect
    assert details["runbooks"][0].startswith("ORDERS_NOT_CLOSED: Close or cancel")
    assert details["event_id"] == "event-task-1"
    assert event["links"] == [
        {"href": RUNBOOKS[0].url, "text": "Runbook: ORDERS_NOT_CLOSED"}
    ]  # the runbook without a URL has no link
    assert EMAIL not in json.dumps(event)


@pytest.mark.parametrize(
    ("severity", "expected"),
    [(Severity.CRITICAL, "critical"), (Severity.WARNING, "warning"), (Severity.INFO, "info")],
)
def test_pagerduty_severity_mapping(severity: Severity, expected: str) -> None:
    assert pagerduty_event(make_alert(severity=severity), "k")["payload"]["severity"] == expected


def test_pagerduty_summary_is_cut_to_1024_characters() -> None:
    event = pagerduty_event(make_alert("t" * 2000), "k")
    assert len(event["payload"]["summary"]) == 1024
    assert len(event["dedup_key"]) <= 255


# Slack


def assert_slack_limits(message: dict[str, Any]) -> None:
    blocks = message["blocks"]
    assert len(blocks) <= 50
    assert blocks[0]["type"] == "header"
    assert len(blocks[0]["text"]["text"]) <= 150
    for block in blocks[1:]:
        text = block["text"]["text"] if "text" in block else block["elements"][0]["text"]
        assert len(text) <= 3000
    assert len(message["text"]) <= 40_000
    assert EMAIL not in json.dumps(message)


def test_slack_single_alert_shows_every_field() -> None:
    alert = make_alert()
    message = slack_message([alert], GROUP)
    assert_slack_limits(message)
    assert message["blocks"][0]["text"]["text"] == alert.summary
    context = message["blocks"][1]["elements"][0]["text"]
    assert "critical" in context
    assert "privacy-oncall" in context
    assert "bp-1" in context
    body = "\n".join(texts_of(message["blocks"][1:]))
    for expected in [
        "task-1",
        "bp-1",
        "`FAILED`",
        "`ORDERS_NOT_CLOSED`",
        "`UNSPECIFIED`",
        "orders still open for &lt;email redacted&gt;",
        alert.deadlines,
        "Close or cancel the open orders",
        f"<{RUNBOOKS[0].url}|Open runbook>",
        "Open a case with Buy with Prime support.",
        "`bwp-privacy task show task-1 --business-product-id bp-1`",
        "`bwp-privacy failures show task-1`",
        "event-task-1",
    ]:
        assert expected in body
    assert "task-1" in message["text"]


def test_slack_single_alert_with_huge_fields_stays_within_limits() -> None:
    alert = make_alert(
        "t" * 400,
        codes=tuple(f"CODE_{index}" for index in range(100)),
        message=LONG_MESSAGE,
        runbooks=[Runbook(code=f"CODE_{index}", text="y" * 3000) for index in range(30)],
    )
    message = slack_message([alert], GROUP)
    assert_slack_limits(message)
    assert "…and 80 more errors" in "\n".join(texts_of(message["blocks"]))


BRIEF = "submitted 50 days ago · CCPA past due since 2026-11-15 · GDPR past due since 2026-11-01"


def test_slack_a_full_group_lists_every_task_with_its_deadlines_and_errors() -> None:
    alerts = many(100)  # the most the router puts in one message
    message = slack_message(alerts, GROUP)
    assert_slack_limits(message)
    assert message["blocks"][0]["text"]["text"] == (
        "[CRITICAL] 100 personal-data deletion tasks failed"
    )
    body = "\n".join(texts_of(message["blocks"][1:]))
    for alert in alerts:
        line = f"• `{alert.task_id}` ORDERS_NOT_CLOSED, UNSPECIFIED — {BRIEF} — "
        assert f"{line}ORDERS_NOT_CLOSED: orders still open for &lt;email redacted&gt;" in body
    assert body.count("*Runbook `ORDERS_NOT_CLOSED`:*") == 1
    assert "more tasks" not in body
    assert all(alert.task_id in message["text"] for alert in alerts)


def test_slack_shortens_error_messages_before_anything_else() -> None:
    alerts = [
        a.model_copy(update={"errors": make_alert(message=LONG_MESSAGE).errors}) for a in many(100)
    ]
    body = "\n".join(texts_of(slack_message(alerts, GROUP)["blocks"][1:]))
    assert body.count(BRIEF) == 100  # every task keeps its deadlines whole
    assert body.count("word word") >= 100  # and some of its message, cut
    assert "…" in body


def test_slack_cuts_a_list_that_does_not_fit_and_says_how_many_more() -> None:
    alerts = many(5000)
    message = slack_message(alerts, GROUP)
    assert_slack_limits(message)
    last = message["blocks"][-1]["text"]["text"]
    assert last.startswith("…and ")
    assert last.endswith(f"more tasks: {MORE_HINT}")
    hidden = int(last.split()[1])
    shown = sum(text.count("\n• ") + text.startswith("• ") for text in texts_of(message["blocks"]))
    assert shown + hidden == 5000
    assert len(message["blocks"]) == 50
    fallback = message["text"]
    assert fallback.startswith("[CRITICAL] 5000 personal-data deletion tasks failed")
    assert fallback.splitlines()[-1].endswith(f"more tasks: {MORE_HINT}")


def test_slack_group_severity_is_the_highest() -> None:
    alerts = [make_alert("a", severity=Severity.INFO), make_alert("b", severity=Severity.WARNING)]
    message = slack_message(alerts, GROUP)
    assert message["blocks"][0]["text"]["text"].startswith("[WARNING] 2 ")


# Teams


def test_teams_card_shape() -> None:
    alert = make_alert()
    message = teams_message([alert], GROUP)
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == CARD_CONTENT_TYPE
    assert attachment["contentUrl"] is None
    card = attachment["content"]
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.4"
    title, facts = card["body"][:2]
    assert title["type"] == "TextBlock"
    assert title["text"] == (  # Markdown escaped: shown as written
        r"\[CRITICAL\] Personal-data deletion failed: task task-1"
        r" \(ORDERS\_NOT\_CLOSED, UNSPECIFIED\)"
    )
    assert title["color"] == "Attention"
    assert facts["type"] == "FactSet"
    assert {"title": "Route", "value": "privacy-oncall"} in facts["facts"]
    assert {"title": "businessProductId", "value": "bp-1"} in facts["facts"]
    dumped = json.dumps(card)
    for expected in ["task-1", "CCPA 45 days: past due since", "failures show task-1", "Runbooks"]:
        assert expected in dumped
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Runbook ORDERS_NOT_CLOSED", "url": RUNBOOKS[0].url}
    ]
    assert EMAIL not in dumped


def test_teams_lists_a_full_group_with_deadlines_under_the_message_size_limit() -> None:
    message = teams_message(many(100), GROUP)
    dumped = json.dumps(message, ensure_ascii=False)
    assert len(dumped.encode()) < 28_000
    assert dumped.count(BRIEF) == 100  # every task keeps its deadlines whole
    assert "more tasks" not in dumped
    assert "task-00099" in dumped


def test_teams_caps_a_larger_list_and_says_how_many_more() -> None:
    message = teams_message(many(500), GROUP)
    assert message["attachments"][0]["content"]["body"][0]["text"] == (
        r"\[CRITICAL\] 500 personal-data deletion tasks failed"
    )
    dumped = json.dumps(message, ensure_ascii=False)
    assert len(dumped.encode()) < 28_000
    shown = dumped.count(BRIEF)
    assert f"…and {500 - shown} more tasks: bwp-privacy failures list --since 1d" in dumped


def test_teams_shows_api_text_as_written_never_as_a_live_link() -> None:
    alert = make_alert(message="see [x](https://evil.example/phish) *now*")
    for alerts in ([alert], [alert, make_alert("task-2")]):
        dumped = json.dumps(teams_message(alerts, GROUP))
        assert "[x](" not in dumped
        assert r"\\[x\\]\\(https://evil.example/phish\\) \\*now\\*" in dumped


# Amazon Q


def test_amazon_q_notification_fields() -> None:
    alert = make_alert()
    notification = amazon_q_notification(alert)
    assert notification["version"] == "1.0"
    assert notification["source"] == "custom"
    assert notification["id"] == "task-1/failed/task-1"
    content = notification["content"]
    assert content["textType"] == "client-markdown"
    assert alert.summary in content["title"]
    # The mask's angle brackets are look-alikes: no client reads them as a link or a mention.
    assert "orders still open for \u2039email redacted\u203a" in content["description"]
    assert alert.deadlines in content["description"]
    assert content["keywords"] == ["critical", "ORDERS_NOT_CLOSED", "UNSPECIFIED"]
    assert any(RUNBOOKS[0].url in step for step in content["nextSteps"] if RUNBOOKS[0].url)
    assert "Inspect: `bwp-privacy failures show task-1`" in content["nextSteps"]
    metadata = notification["metadata"]
    assert metadata["threadId"] == "task-1"
    assert metadata["summary"] == alert.summary
    assert metadata["eventType"] == "PERSONAL_DATA_DELETION_TASK_FAILED"
    assert metadata["relatedResources"] == ["task-1", "bp-1"]
    assert metadata["additionalContext"]["errorCodes"] == "ORDERS_NOT_CLOSED, UNSPECIFIED"
    assert metadata["additionalContext"]["submittedDaysAgo"] == "50"
    assert EMAIL not in json.dumps(notification)


def test_amazon_q_notification_respects_field_limits() -> None:
    alert = make_alert(
        "t" * 300,
        codes=tuple(f"CODE_{index}_{'z' * 100}" for index in range(40)),
        message=LONG_MESSAGE,
        runbooks=[Runbook(code=f"CODE_{index}", text="y" * 3000) for index in range(30)],
        lookup=LookupStatus.ACCESS_DENIED,
    )
    notification = amazon_q_notification(alert)
    content = notification["content"]
    assert len(content["title"]) <= 250
    assert len(content["description"]) <= 3000
    assert "more lines: bwp-privacy failures show" in content["description"]
    assert len(content["nextSteps"]) <= 10
    assert all(len(step) <= 500 for step in content["nextSteps"])
    assert content["nextSteps"][-1].startswith("Inspect: `bwp-privacy failures show")
    assert len(content["keywords"]) <= 10
    assert all(len(keyword) <= 75 for keyword in content["keywords"])
    metadata = notification["metadata"]
    assert len(metadata["threadId"]) <= 128
    assert len(metadata["summary"]) <= 250
    assert all(
        isinstance(value, str) and len(value) <= 256
        for value in metadata["additionalContext"].values()
    )
    assert len(json.dumps(notification).encode()) < 256 * 1024


@pytest.mark.parametrize(
    ("code", "status", "retryable"),
    [
        ("Throttled", 400, True),
        ("KMSThrottling", 400, True),
        ("InternalError", 500, True),
        ("Whatever", 503, True),
        ("Whatever", 429, True),
        ("NotFound", 404, False),
        ("AuthorizationError", 403, False),
        ("InvalidParameter", 400, False),
    ],
)
def test_sns_error_classification(code: str, status: int, retryable: bool) -> None:
    assert aws_error_retryable(code, status) is retryable


# EventBridge


def test_eventbridge_entry_is_the_alert_json() -> None:
    alert = make_alert()
    entry = eventbridge_entry(alert, "alerts-bus")
    assert entry["Source"] == "bwp-privacy"
    assert entry["DetailType"] == DETAIL_TYPE == "Personal Data Deletion Failure Alert"
    assert entry["EventBusName"] == "alerts-bus"
    assert entry["Resources"] == []
    detail = json.loads(entry["Detail"])
    assert detail == {**alert.model_dump(mode="json"), "fingerprint": alert.fingerprint}
    assert detail["status"] == "firing"
    assert EMAIL not in entry["Detail"]


@pytest.mark.parametrize(
    ("code", "status", "retryable"),
    [
        ("ThrottlingException", 400, True),
        ("InternalException", 500, True),
        ("InternalFailure", None, True),
        ("Other", 502, True),
        ("ResourceNotFoundException", 400, False),
        ("AccessDeniedException", 400, False),
        ("MalformedDetail", None, False),
    ],
)
def test_eventbridge_error_classification(code: str, status: int | None, retryable: bool) -> None:
    assert aws_error_retryable(code, status) is retryable


# Webhook


def test_webhook_body_is_compact_sorted_json_of_the_alerts() -> None:
    alerts = [make_alert("a"), make_alert("b")]
    body = webhook_body(alerts, GROUP)
    document = json.loads(body)
    assert document == {
        "version": "2",
        "status": "firing",
        "receiver": "webhook",
        "route": "privacy-oncall",
        "groupLabels": {"businessProductId": "bp-1"},
        "alerts": [
            {**alert.model_dump(mode="json"), "fingerprint": alert.fingerprint} for alert in alerts
        ],
    }
    assert body == json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    assert EMAIL.encode() not in body


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    signature = sign("secret", "1700000000", b"{}")
    assert signature == "sha256=" + _hmac_hex("secret", b"1700000000.{}")


def _hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


SIGNED_AT = 1_763_640_000


@pytest.mark.parametrize(
    ("secret", "timestamp", "body", "now", "valid"),
    [
        ("s3cret", str(SIGNED_AT), b'{"a":1}', SIGNED_AT + 10, True),
        ("wrong", str(SIGNED_AT), b'{"a":1}', SIGNED_AT + 10, False),
        ("s3cret", str(SIGNED_AT), b'{"a":2}', SIGNED_AT + 10, False),
        ("s3cret", str(SIGNED_AT + 1), b'{"a":1}', SIGNED_AT + 10, False),
        ("s3cret", str(SIGNED_AT), b'{"a":1}', SIGNED_AT + 301, False),
        ("s3cret", str(SIGNED_AT), b'{"a":1}', SIGNED_AT - 301, False),
        ("s3cret", "not-a-number", b'{"a":1}', SIGNED_AT, False),
    ],
    ids=["good", "wrong-secret", "tampered-body", "other-timestamp", "stale", "future", "junk"],
)
def test_verify_signature(secret: str, timestamp: str, body: bytes, now: int, valid: bool) -> None:
    signature = sign("s3cret", str(SIGNED_AT), b'{"a":1}')
    assert verify_signature(secret, timestamp, body, signature, now=now) is valid


def test_verify_signature_rejects_malformed_signatures() -> None:
    now = SIGNED_AT
    for signature in ["", "sha256=", "sha256=zz", "sha256=é", "md5=abc"]:
        assert not verify_signature("s3cret", str(SIGNED_AT), b"{}", signature, now=now)


# Resolves: the case's end, in each receiver's form


def resolved_alert(case_id: str = "task-1", end_state: str = "COMPLETED") -> Alert:
    return case_notices.resolved_alert(case_id, NOW, end_state)


def test_a_resolve_keeps_the_case_identity_of_its_trigger() -> None:
    firing, resolved = make_alert(), resolved_alert()
    assert (firing.status.value, resolved.status.value) == ("firing", "resolved")
    assert firing.case_id == resolved.case_id == "task-1"
    assert firing.fingerprint == resolved.fingerprint
    assert len(firing.fingerprint) == 16
    assert resolved.summary == (
        "[RESOLVED] Deletion case task-1 completed: deletion task task-2 completed"
    )


def test_pagerduty_resolve_is_the_trigger_s_routing_and_dedup_key() -> None:
    trigger = pagerduty_event(make_alert(), "routing-key-1")
    resolve = pagerduty_resolve(resolved_alert(), "routing-key-1")
    assert resolve == {
        "routing_key": "routing-key-1",
        "event_action": "resolve",
        "dedup_key": trigger["dedup_key"],
        "client": "bwp-privacy",
    }


def test_slack_resolve_is_a_short_message_naming_each_case_and_how_it_ended() -> None:
    message = slack_message(
        [resolved_alert("case-1"), resolved_alert("case-2", "NOTHING_TO_DELETE")], GROUP
    )
    texts = texts_of(message["blocks"])
    assert texts[0] == "[RESOLVED] 2 personal-data deletion cases ended"
    body = "\n".join(texts)
    assert "deletion case case-1: completed (deletion task task-2 completed.)" in body
    assert "deletion case case-2: nothing to delete" in body


def test_teams_resolve_is_a_resolved_card() -> None:
    card = teams_message([resolved_alert()], GROUP)["attachments"][0]["content"]
    title, facts, lines = card["body"]
    assert title["color"] == "Good"
    assert title["text"].startswith("\\[RESOLVED\\] Deletion case task-1 completed")
    assert {"title": "Status", "value": "resolved"} in facts["facts"]
    assert "task-1" in lines["text"]


def test_amazon_q_resolve_lands_in_the_case_s_thread() -> None:
    firing = amazon_q_notification(make_alert())
    resolved = amazon_q_notification(resolved_alert())
    assert resolved["metadata"]["threadId"] == firing["metadata"]["threadId"] == "task-1"
    assert resolved["content"]["title"].startswith(":white_check_mark: [RESOLVED]")
    assert resolved["metadata"]["additionalContext"]["alertStatus"] == "resolved"
    assert resolved["id"] != firing["id"]


def test_webhook_and_eventbridge_carry_the_same_alert_with_status_resolved() -> None:
    document = json.loads(webhook_body([resolved_alert()], GROUP))
    assert document["status"] == "resolved"
    [alert] = document["alerts"]
    assert (alert["status"], alert["case_id"]) == ("resolved", "task-1")
    assert alert["fingerprint"] == make_alert().fingerprint
    detail = json.loads(eventbridge_entry(resolved_alert(), "bus")["Detail"])
    assert (detail["status"], detail["fingerprint"]) == ("resolved", make_alert().fingerprint)


@pytest.mark.parametrize(
    ("secret", "valid"),
    [
        ({"webhookUrl": "https://hooks.slack.com/services/x"}, True),
        ({"botToken": "xoxb-1", "channel": "C012"}, True),
        ({"botToken": "xoxb-1"}, False),
        (
            {"webhookUrl": "https://hooks.slack.com/services/x", "botToken": "t", "channel": "C"},
            False,
        ),
        ({}, False),
    ],
)
def test_a_slack_secret_is_a_webhook_or_a_bot(secret: dict[str, str], valid: bool) -> None:
    if valid:
        SlackSecret.model_validate(secret)
    else:
        with pytest.raises(ValueError, match=r"webhookUrl|botToken"):
            SlackSecret.model_validate(secret)


@pytest.mark.parametrize(
    "signing_secret",
    [
        EXAMPLE_SIGNING_SECRET,  # the example's own value, as README and the set-up show it
        "CHANGE_ME_TO_A_LONG_RANDOM_VALUE",
        "<replace-me-with-a-secret>",
        "your-secret-here-0000000000",
        "placeholder-placeholder",
        "x" * 32,
        "ab" * 16,
    ],
)
def test_a_webhook_secret_refuses_a_placeholder_naming_the_field_not_the_value(
    signing_secret: str,
) -> None:
    with pytest.raises(ValidationError) as refused:
        WebhookSecret.model_validate(
            {"url": "https://hooks.example", "signingSecret": signing_secret}
        )
    [problem] = refused.value.errors(include_url=False, include_input=False)
    assert problem["loc"] == ("signingSecret",)
    assert "signingSecret is a placeholder, not a secret" in problem["msg"]
    assert signing_secret not in str(refused.value)
    assert signing_secret not in repr(refused.value)


def test_a_webhook_secret_takes_a_random_value() -> None:
    for signing_secret in ("whsec-do-not-leak-9876543210", "3f9c2a7e5b1d4c8f9a6e2b7d"):
        secret = WebhookSecret.model_validate(
            {"url": "https://hooks.example", "signingSecret": signing_secret}
        )
        assert secret.signing_secret == signing_secret


# A silence the law overruled: said beside the deadlines, in a few words on a grouped line


NOTE = (
    "Silence s0123456789abcdef (errorCode=ORDERS_NOT_CLOSED) would have muted this alert, but"
    " case task-1 is past due (legal deadline 15 Nov 2026): the law does not pause."
)


def test_every_receiver_shows_why_a_silence_did_not_mute_the_alert() -> None:
    alert = make_alert().model_copy(update={"silence_note": NOTE})
    slack = json.dumps(slack_message([alert], GROUP))
    assert f"*Not silenced:* {NOTE}" in slack
    grouped = json.dumps(slack_message([alert, make_alert("task-2")], GROUP))
    assert "not silenced: the law does not pause" in grouped
    # (Teams' markdown escapes the note's punctuation.)
    assert "would have muted this alert, but case task-1 is past due" in json.dumps(
        teams_message([alert], GROUP)
    )
    assert "not silenced: the law does not pause" in json.dumps(
        teams_message([alert, make_alert("task-2")], GROUP)
    )
    assert pagerduty_event(alert, "k")["payload"]["custom_details"]["not_silenced"] == NOTE
    assert "would have muted this alert" in json.dumps(amazon_q_notification(alert))
    plain = make_alert()
    assert "not_silenced" not in pagerduty_event(plain, "k")["payload"]["custom_details"]
    assert "Not silenced" not in json.dumps(slack_message([plain], GROUP))
