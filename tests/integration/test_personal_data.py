"""The shopper's email never leaves the API: not in logs, metrics, items or messages."""

from __future__ import annotations

import json
import logging

import pytest

from bwp_privacy_cli.local import LocalFunction, LocalLambdaContext
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.seed import SAMPLE_BUSINESS_PRODUCT_ID, SAMPLE_SHOPPER_EMAIL
from tests.conftest import EVENTS, load_event
from tests.integration.helpers import published, stored_items

pytestmark = pytest.mark.integration

CANARY = "canary.shopper+leak@canary-domain.test"


def test_no_email_anywhere_after_every_sample_event(
    app: LocalFunction,
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    # A task whose every text field carries the canary, error messages included.
    sandbox.emulator.add_task(
        SAMPLE_BUSINESS_PRODUCT_ID,
        {
            "taskId": "c0ffee00-0000-4000-8000-000000000001",
            "status": "FAILED",
            "dataSubject": {"type": "SHOPPER", "email": CANARY},
            "errors": [
                {"code": "ORDERS_NOT_CLOSED", "message": f"open orders for {CANARY}"},
                {"code": None, "message": f"<{CANARY}> could not be erased"},
            ],
        },
    )
    canary_event = load_event()
    canary_event["id"] = "c0ffee00-event"
    canary_event["resources"] = [
        f"businessProduct/{SAMPLE_BUSINESS_PRODUCT_ID}/personalDataDeletionTask/"
        "c0ffee00-0000-4000-8000-000000000001"
    ]
    for path in sorted(EVENTS.glob("*.json")):
        app.handler(json.loads(path.read_text()), LocalLambdaContext())
    result = app.handler(canary_event, LocalLambdaContext())
    assert result["errorCodes"] == ["ORDERS_NOT_CLOSED", "UNSPECIFIED"]

    captured = capsys.readouterr()
    surfaces = {
        "stdout (logs, EMF)": captured.out,
        "stderr": captured.err,
        "log records": caplog.text,
        "stored items": json.dumps(stored_items(sandbox.stack), default=str),
        "published messages": json.dumps(published(sandbox.stack)),
    }
    assert "DeletionFailures" in captured.out  # the EMF output really was captured
    for email in (CANARY, SAMPLE_SHOPPER_EMAIL, "canary-domain", "@example.com"):
        leaks = [name for name, text in surfaces.items() if email in text]
        assert leaks == [], f"{email} leaked into {leaks}"
    assert "<email redacted>" in surfaces["stored items"]


def test_the_query_never_selects_the_data_subject(app: LocalFunction, sandbox: Sandbox) -> None:
    app.handler(load_event(), LocalLambdaContext())
    query = next(r for r in sandbox.emulator.requests_log if r["path"] == "/graphql")["body"][
        "query"
    ]
    assert "dataSubject" not in query
    assert "email" not in query


RETRIEVAL_LINK = "https://canary-link.test/shopper-data.zip?X-Amz-Signature=canary"


def test_a_retrieval_failure_leaks_neither_the_email_nor_the_retrieval_link(
    app: LocalFunction,
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A retrieval task holds the shopper's email and, once it completes, a pre-signed link to
    their data: the lookup selects neither, so neither can reach a log, item or message."""
    caplog.set_level(logging.DEBUG)
    task_id = "c0ffee00-0000-4000-8000-00000000000r"
    sandbox.emulator.add_task(
        SAMPLE_BUSINESS_PRODUCT_ID,
        {
            "taskId": task_id,
            "status": "FAILED",
            "dataSubject": {"type": "SHOPPER", "email": CANARY},
            "dataRetrievalLink": RETRIEVAL_LINK,
            "errors": [{"code": "EXPORT_FAILED", "message": f"no export for {CANARY}"}],
        },
        kind="retrieval",
    )
    event = load_event()
    event["id"] = "c0ffee00-retrieval"
    event["detail-type"] = "PERSONAL_DATA_RETRIEVAL_TASK_FAILED"
    event["resources"] = [
        f"businessProduct/{SAMPLE_BUSINESS_PRODUCT_ID}/personalDataRetrievalTask/{task_id}"
    ]
    result = app.handler(event, LocalLambdaContext())
    assert (result["taskKind"], result["errorCodes"]) == ("retrieval", ["EXPORT_FAILED"])

    captured = capsys.readouterr()
    queries = [r["body"]["query"] for r in sandbox.emulator.requests_log if r["path"] == "/graphql"]
    assert queries
    assert not [q for q in queries if "dataRetrievalLink" in q or "dataSubject" in q]
    [item] = stored_items(sandbox.stack)
    [message] = published(sandbox.stack)
    # Stored and published as a retrieval: its kind in the message and its attributes.
    assert (item["taskKind"], "holdingPeriod" in item) == ("retrieval", False)
    assert (message["body"]["taskKind"], message["body"]["holdingPeriod"]) == ("retrieval", None)
    assert message["attributes"]["taskKind"] == "retrieval"
    assert message["attributes"]["detailType"] == "PERSONAL_DATA_RETRIEVAL_TASK_FAILED"
    surfaces = {
        "stdout (logs, EMF)": captured.out,
        "stderr": captured.err,
        "log records": caplog.text,
        "stored items": json.dumps(item, default=str),
        "published messages": json.dumps(message),
    }
    assert "RetrievalFailures" in captured.out  # the EMF output really was captured
    for secret in (CANARY, "canary-domain", RETRIEVAL_LINK, "canary-link.test"):
        leaks = [name for name, text in surfaces.items() if secret in text]
        assert leaks == [], f"{secret} leaked into {leaks}"
    assert "<email redacted>" in surfaces["stored items"]
