"""Text from outside renders nothing at any receiver. An API's error message, an id, an
operator's reason or a runbook's text may hold a Slack mention (``<!channel>``), a disguised
link (``<https://…|Re-authenticate>``, ``[Re-authenticate](https://…)``), emphasis or terminal
control characters: every receiver of the registry shows them as written, each in its own
markup, and the data receivers (the webhook, EventBridge) carry them unchanged, as data.

Each receiver is built from the registry as the router builds it (its secret in Secrets
Manager, its topic or bus), and what it sent is read where it landed: the sink's record of
each HTTP request, the Slack bot's messages and thread replies, the topic's and the bus's
queues."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bwp_privacy.alerting import RECEIVERS, Alert, Runbook, Severity, build_alert
from bwp_privacy.alerting.alert import build_notice_alert
from bwp_privacy.alerting.delivery import (
    DeliveryError,
    Group,
    JsonPoster,
    Receiver,
    ReceiverContext,
)
from bwp_privacy.common import EMAIL_MASK, Backoff, Budget, JsonSecrets
from bwp_privacy.contract import CaseNotice, LookupOutcome, LookupStatus, TaskError, TaskFailure
from bwp_sandbox.admin import admin_client
from bwp_sandbox.receivers import configure_receivers
from bwp_sandbox.sink import SLACK_BOT_TOKEN, ReceiverSink
from bwp_sandbox.stack import drain_queue

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
NO_LIMIT = Budget(None, 0.0)
#: Everything that must not render: mentions, a disguised link in Slack's and Markdown's
#: syntax, emphasis and code in each, a clear-screen sequence, a bell, a C1 CSI, a line break.
HOSTILE = (
    "<!channel> <!here> <@U0ATTACK> <#C0GENERAL> <https://evil.test/login|Re-authenticate>"
    " [Re-authenticate](https://evil.test/login) *pay now* _act now_ ~gone~ `tick`"
    " **urgent** <at>Boss</at> @here \x1b[2J\x07\x9b31m line\nbreak"
)
#: Ids and codes from outside hold markup too.
TASK = "t-<!here>-*1*"
BUSINESS_PRODUCT = "bp-<@U0ATTACK>[x](https://evil.test)"
CODE = "CODE_<!channel>_*X*"
RUNBOOK_URL = "https://wiki.example.internal/runbooks/orders"
#: Emphasis as the hostile text writes it: shown as written, it must never keep its delimiters.
EMPHASIS = ("*pay now*", "_act now_", "~gone~", "`tick`", "**urgent**")
#: Control characters; a line break or a carriage return may only be a payload's own.
CONTROL = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _failure(task_id: str, *, lookup_failed: bool = False) -> TaskFailure:
    return TaskFailure(
        event_id=f"event-{task_id}",
        event_time="2026-11-20T12:34:56Z",
        detail_type="PERSONAL_DATA_DELETION_TASK_FAILED",
        business_product_id=BUSINESS_PRODUCT,
        task_id=task_id,
        status=HOSTILE,
        submission_date="2026-10-01T08:00:00Z",
        errors=[] if lookup_failed else [TaskError(code=CODE, message=HOSTILE)],
        lookup=LookupOutcome(status=LookupStatus.ACCESS_DENIED, error_type=HOSTILE, message=HOSTILE)
        if lookup_failed
        else LookupOutcome(status=LookupStatus.OK),
        received_at="2026-11-20T12:35:00Z",
        replay_name=HOSTILE,
    )


def _notice(kind: str) -> CaseNotice:
    return CaseNotice.model_validate(
        {
            "noticeId": f"{TASK}/{kind}/2",
            "kind": kind,
            "endState": "CLOSED" if kind == "ended" else None,
            "caseId": TASK,
            "businessProductId": BUSINESS_PRODUCT,
            "taskId": TASK,
            "taskIds": [TASK],
            "attempts": 1,
            # An operator's reason (`cases close --reason`), the reaction's advice.
            "reason": HOSTILE,
            "advice": HOSTILE,
            "receivedAt": "2026-10-01T08:00:00Z",
            "planDeadlineAt": "2026-11-15T08:00:00Z",
            "daysLeft": -5.0,
            "deadlines": [],
            "noticedAt": "2026-11-20T12:35:00Z",
        }
    )


def hostile_alerts() -> tuple[Alert, Alert, Alert, Alert]:
    """A failure, a failed lookup, an escalation and the case's end, all of the same case."""
    runbook = Runbook(code="ORDERS_NOT_CLOSED", text=HOSTILE, url=RUNBOOK_URL)
    failed = build_alert(_failure(TASK), Severity.CRITICAL, [runbook], NOW)
    lookup = build_alert(_failure(f"{TASK}-2", lookup_failed=True), Severity.CRITICAL, [], NOW)
    escalated = build_notice_alert(_notice("escalated"), Severity.CRITICAL, NOW)
    ended = build_notice_alert(_notice("ended"), Severity.INFO, NOW)
    return failed, lookup.model_copy(update={"case_id": TASK}), escalated, ended


# What each receiver's markup renders: the texts a person reads there.


def _slack_texts(body: dict[str, Any]) -> list[str]:
    texts = [str(body.get("text", ""))]
    for block in body.get("blocks", []):
        if "text" in block:
            texts.append(block["text"]["text"])
        texts += [element["text"] for element in block.get("elements", [])]
    return texts


def _teams_texts(body: dict[str, Any]) -> list[str]:
    texts: list[str] = []
    for attachment in body["attachments"]:
        card = attachment["content"]
        for element in card["body"]:
            if element["type"] == "TextBlock":
                texts.append(element["text"])
            for fact in element.get("facts", []):
                texts += [fact["title"], fact["value"]]
        texts += [action["title"] for action in card.get("actions", [])]
    return texts


def _amazon_q_texts(notification: dict[str, Any]) -> list[str]:
    content = notification["content"]
    return [
        content["title"],
        content["description"],
        *content["nextSteps"],
        *content["keywords"],
        notification["metadata"]["summary"],
    ]


def _pagerduty_texts(event: dict[str, Any]) -> list[str]:
    payload = event.get("payload", {})
    texts = [payload.get(key, "") for key in ("summary", "group", "class")]
    return [*texts, *(link["text"] for link in event.get("links", []))]


def _assert_inert(texts: list[str]) -> str:
    """No control character (a payload's own line breaks aside) and no hostile emphasis kept
    whole; the hostile words are there, shown."""
    joined = "\n".join(texts)
    assert CONTROL.search(joined) is None, repr(joined)
    assert "line\nbreak" not in joined
    for emphasis in EMPHASIS:
        assert emphasis not in joined, (emphasis, joined)
    assert "Re-authenticate" in joined
    assert "pay now" in joined
    return joined


def _assert_slack_inert(texts: list[str]) -> None:
    """mrkdwn: every control sequence starts with ``<`` (mentions, ``<url|label>`` links), a
    quote with ``>``; the only ones left are the runbook links the message makes itself."""
    joined = _assert_inert(texts).replace(f"<{RUNBOOK_URL}|Open runbook>", "")
    assert "<" not in joined, joined
    assert ">" not in joined, joined
    assert "&lt;!channel&gt;" in joined  # shown as written


#: A Markdown link or image that is not backslash-escaped: ``[label](url)``.
_MARKDOWN_LINK = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\(")


def _assert_teams_inert(texts: list[str]) -> None:
    """Teams' Markdown: no live ``[label](url)`` but the runbook's own, no unescaped ``<``
    (``<at>`` mentions), emphasis escaped."""
    joined = _assert_inert(texts).replace(f"[Open runbook]({RUNBOOK_URL})", "")
    assert _MARKDOWN_LINK.search(joined) is None, joined
    assert re.search(r"(?<!\\)<", joined) is None, joined
    assert r"\[Re-authenticate\]\(https://evil.test/login\)" in joined  # shown as written


def _assert_client_markdown_inert(texts: list[str]) -> None:
    """Amazon Q's client-markdown, whichever client renders it (Slack's or Teams'): no ``<``
    or ``>``, no ``](`` of a Markdown link, no ``@here``."""
    joined = _assert_inert(texts)
    assert "<" not in joined, joined
    assert ">" not in joined, joined
    assert "](" not in joined, joined
    assert "@here" not in joined, joined


def _assert_plain(texts: list[str]) -> None:
    """Plain text (PagerDuty): nothing is markup, so the text is as written, on one line."""
    joined = "\n".join(texts)
    assert CONTROL.search(joined) is None, repr(joined)
    assert "<https://evil.test/login|Re-authenticate> [Re-authenticate](" in joined


@pytest.fixture
def prefix(sandbox_env: dict[str, str]) -> str:
    """Names of this test's own in the session's local AWS (its calls go there)."""
    return f"markup-{uuid.uuid4().hex[:10]}"


def test_no_receiver_renders_text_from_outside(sink: ReceiverSink, prefix: str) -> None:
    sink.clear()
    local = configure_receivers(sink, prefix)
    secrets = JsonSecrets(admin_client("secretsmanager"), max_age_seconds=0)
    poster = JsonPoster(timeout_seconds=5, backoff=Backoff(max_attempts=1))
    context = ReceiverContext(
        poster=poster, secrets=secrets, clients=admin_client, environ=local.env
    )
    group = Group(route="privacy-oncall", labels={"businessProductId": BUSINESS_PRODUCT})
    failed, lookup, escalated, ended = alerts = hostile_alerts()

    def built(name: str) -> Receiver:
        spec = RECEIVERS[name]
        return spec.build(local.parameters[spec.parameter], context)

    for name in RECEIVERS:
        receiver = built(name)
        # A grouped message lists its tasks (and details a single one); one alert a call else.
        sends = (
            [[failed, lookup], [failed], [escalated], [ended]]
            if receiver.grouped
            else [[alert] for alert in alerts]
        )
        for sent in sends:
            receiver.deliver(sent, group, budget=NO_LIMIT)

    def bodies(name: str) -> list[dict[str, Any]]:
        return [request["body"] for request in sink.received(name)]

    def tapped(name: str) -> list[dict[str, Any]]:
        return [json.loads(message["Body"]) for message in drain_queue(local.taps[name])]

    # How each receiver's deliveries are read and held to its markup (a new receiver is
    # added here, or this test fails).
    checks: dict[str, Callable[[], None]] = {
        "slack": lambda: _assert_slack_inert([t for b in bodies("slack") for t in _slack_texts(b)]),
        "teams": lambda: _assert_teams_inert([t for b in bodies("teams") for t in _teams_texts(b)]),
        "amazon-q": lambda: _assert_client_markdown_inert(
            [t for n in tapped("amazon-q") for t in _amazon_q_texts(n)]
        ),
        "pagerduty": lambda: _assert_plain(
            [t for b in bodies("pagerduty") for t in _pagerduty_texts(b)]
        ),
        # Data, not markup: every alert as it is (JSON escapes its control characters).
        "webhook": lambda: _assert_data(
            [a for b in bodies("webhook") for a in b["alerts"]],
            [failed, lookup, failed, escalated, ended],
        ),
        "eventbridge": lambda: _assert_data(
            [e["detail"] for e in tapped("eventbridge")], list(alerts)
        ),
    }
    assert set(checks) == set(RECEIVERS)
    for check in checks.values():
        check()

    # Slack's bot: the case's message, its edits, and the replies in its thread.
    admin_client("secretsmanager").create_secret(
        Name=f"{prefix}/slack-bot",
        SecretString=json.dumps({"botToken": SLACK_BOT_TOKEN, "channel": "C0PRIVACY"}),
    )
    bot = RECEIVERS["slack"].build(f"{prefix}/slack-bot", context)
    threads = bot.deliver([failed], group, budget=NO_LIMIT)
    assert threads
    for later in (lookup, escalated, ended):
        bot.deliver([later], group, budget=NO_LIMIT, threads=threads)
    [message] = sink.slack_messages().values()
    assert len(message["replies"]) == 3
    _assert_slack_inert([*message["replies"], *_slack_texts(message)])


def _assert_data(received: list[dict[str, Any]], alerts: list[Alert]) -> None:
    """Each alert's JSON as the alert has it: text from outside unchanged, as data."""
    expected = [{**a.model_dump(mode="json"), "fingerprint": a.fingerprint} for a in alerts]

    def key(item: dict[str, Any]) -> str:
        return json.dumps(item, sort_keys=True)

    assert sorted(map(key, received)) == sorted(map(key, expected))
    assert HOSTILE in [error["message"] for item in received for error in item["errors"]]


#: A receiver's answer quoting what it was sent: the address cut by the answer's bound unless
#: it is masked first, an encoded and a full-width spelling, controls and a line break.
ANSWER = (
    "x" * 180
    + " echo.shopper@victim-mail.test refused \x1b[2J\nfor alice%40victim-mail.test and "
    + "bob\uff20victim-mail.test"
)


def test_a_receivers_answer_is_masked_on_one_line_and_bounded_where_it_comes_in(
    sink: ReceiverSink, prefix: str
) -> None:
    """What a receiver answers is outside text: its reason for a failed delivery (logged, and
    shown by the test alert) holds no address, not even a cut one, and no control character;
    what Slack's Web API answers is held to its grammars before it is shown or kept."""
    sink.clear()
    local = configure_receivers(sink, prefix)
    secrets = JsonSecrets(admin_client("secretsmanager"), max_age_seconds=0)
    poster = JsonPoster(timeout_seconds=5, backoff=Backoff(max_attempts=1))
    context = ReceiverContext(
        poster=poster, secrets=secrets, clients=admin_client, environ=local.env
    )
    group = Group(route="privacy-oncall", labels={"businessProductId": BUSINESS_PRODUCT})
    failed = hostile_alerts()[0]

    teams = RECEIVERS["teams"].build(local.parameters[RECEIVERS["teams"].parameter], context)
    sink.fail("teams", 400, body=ANSWER.encode())
    with pytest.raises(DeliveryError) as refused:
        teams.deliver([failed], group, budget=NO_LIMIT)
    reason = refused.value.reason
    assert "victim" not in reason
    assert "echo.shopper" not in reason
    assert CONTROL.search(reason) is None
    assert "\n" not in reason
    assert EMAIL_MASK in reason

    admin_client("secretsmanager").create_secret(
        Name=f"{prefix}/slack-answers",
        SecretString=json.dumps({"botToken": SLACK_BOT_TOKEN, "channel": "C0PRIVACY"}),
    )
    bot = RECEIVERS["slack"].build(f"{prefix}/slack-answers", context)
    sink.fail(
        "slack", 200, body=json.dumps({"ok": False, "error": f"<!channel> {ANSWER}"}).encode()
    )
    with pytest.raises(DeliveryError) as slack_refused:
        bot.deliver([failed], group, budget=NO_LIMIT)
    assert slack_refused.value.reason == "chat.postMessage: unrecognised_error"
    # Posted, but its place is not a channel and a ts: nothing of it is kept to edit later.
    answer = {"ok": True, "channel": "C0PRIVACY\n<!here>", "ts": "1.2; DROP"}
    sink.fail("slack", 200, body=json.dumps(answer).encode())
    assert bot.deliver([failed], group, budget=NO_LIMIT) == {}
