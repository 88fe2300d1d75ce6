"""The router's queue calls within what SQS takes: a delay SQS never refuses, whatever the
template lets a merchant set, and a parked reason SQS never refuses, whatever a receiver said."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from bwp_privacy.alerting.queues import (
    BATCH_WINDOW_MAX_SECONDS,
    FUNCTION_TIMEOUT_SECONDS,
    MAX_DELAY_SECONDS,
    MAX_VISIBILITY_SECONDS,
    RECEIVE_MARGIN_SECONDS,
    DeadLetterParker,
    VisibilityDelayer,
    xml_safe,
)
from bwp_sandbox.sqs_rules import invalid_character
from bwp_sandbox.stack import load_template


class RecordingSqs:
    """Keeps the calls made on it; answers nothing (the queue's behaviour is the sandbox's)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def change_message_visibility(self, **kwargs: Any) -> None:
        self.calls.append(("change_message_visibility", kwargs))

    def send_message(self, **kwargs: Any) -> None:
        self.calls.append(("send_message", kwargs))


RECORD = SQSRecord({"messageId": "m-1", "receiptHandle": "r-1", "body": "{}"})


def test_the_longest_delay_leaves_room_for_the_templates_batching_window_and_timeout() -> None:
    template = load_template()
    window = template["Parameters"]["RouterBatchWindowSeconds"]["MaxValue"]
    router = template["Resources"]["AlertRouterFunction"]["Properties"]
    timeout = router.get("Timeout", template["Globals"]["Function"]["Timeout"])
    # A record reaches the router up to the batching window and the invocation after SQS
    # handed it over; SQS counts its 12 hours from then.
    assert window <= BATCH_WINDOW_MAX_SECONDS
    assert timeout <= FUNCTION_TIMEOUT_SECONDS
    assert MAX_DELAY_SECONDS + window + timeout + RECEIVE_MARGIN_SECONDS <= MAX_VISIBILITY_SECONDS


def test_a_retry_after_longer_than_sqs_allows_is_cut_to_the_longest_delay() -> None:
    sqs = RecordingSqs()
    delayer = VisibilityDelayer(sqs, "https://queue")
    delayer.delay(RECORD, 86_400)
    delayer.delay(RECORD, 2.1)
    assert [kwargs["VisibilityTimeout"] for _, kwargs in sqs.calls] == [MAX_DELAY_SECONDS, 3]


def test_only_the_characters_sqs_refuses_are_replaced() -> None:
    kept = "tab\t, lines\n\r, café, 日本, 🙂, \ue000\ufffd"
    assert xml_safe(kept) == kept
    refused = "nul\x00 esc\x1b[31m del-is-fine\x7f bell\x07 \ud800 \ufffe\uffff"
    cleaned = xml_safe(refused)
    assert cleaned == "nul\ufffd esc\ufffd[31m del-is-fine\x7f bell\ufffd \ufffd \ufffd\ufffd"
    assert invalid_character(cleaned) is None  # as the sandbox's SQS checks it


def test_a_parked_reason_is_masked_cleaned_and_cut() -> None:
    sqs = RecordingSqs()
    reason = "HTTP 400: \x00 jane.shopper@example.com \x1b[0m" + "x" * 1000
    DeadLetterParker(sqs, "https://dlq").park(RECORD, "pagerduty", reason)
    [(_, kwargs)] = sqs.calls
    shown = kwargs["MessageAttributes"]["parkedReason"]["StringValue"]
    assert shown.startswith("HTTP 400: \ufffd <email redacted> \ufffd[0m")
    assert len(shown) == 256
    assert invalid_character(shown) is None
