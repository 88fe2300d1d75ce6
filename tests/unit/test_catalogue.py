"""The catalogue: one entry per error code (severity, runbook, action per task kind), the
default entry and the lookup-failed entry; validated with errors that name the file and the
key. Pure: no AWS."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bwp_privacy.catalogue import (
    Catalogue,
    CatalogueError,
    Severity,
    load_catalogue,
    shipped_catalogue,
    shipped_catalogue_path,
)


def shipped() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(shipped_catalogue_path().read_text())
    return raw


def load(raw: dict[str, Any]) -> Catalogue:
    return load_catalogue(json.dumps(raw), "codes.json")


def test_the_shipped_catalogue_holds_each_codes_severity_runbook_and_actions() -> None:
    codes = shipped_catalogue()
    orders, not_found = codes.entry("ORDERS_NOT_CLOSED"), codes.entry("DATA_SUBJECT_NOT_FOUND")
    assert (orders.severity, not_found.severity) == (Severity.WARNING, Severity.INFO)
    assert orders.runbook.startswith("The shopper still has open Buy with Prime orders.")
    assert codes.action("ORDERS_NOT_CLOSED", "deletion").action == "resubmit"
    assert codes.action("DATA_SUBJECT_NOT_FOUND", "deletion").action == "close"
    assert codes.action("DATA_SUBJECT_NOT_FOUND", "retrieval").action == "close"
    # A kind an entry leaves out takes the default entry's action for that kind.
    assert codes.action("ORDERS_NOT_CLOSED", "retrieval") == codes.default_action("retrieval")
    assert codes.actions("retrieval") == {
        "DATA_SUBJECT_NOT_FOUND": codes.action("DATA_SUBJECT_NOT_FOUND", "retrieval")
    }
    # A code no entry names: the default entry, critical, escalating for every kind.
    assert codes.entry("SOMETHING_NEW") is codes.default
    assert codes.default.severity is Severity.CRITICAL
    assert {codes.action("SOMETHING_NEW", kind).action for kind in ("deletion", "retrieval")} == {
        "escalate"
    }
    assert codes.lookup_failed.severity is Severity.CRITICAL
    assert "--kind retrieval" in codes.lookup_failed_action("retrieval").advice
    assert "--kind retrieval" not in codes.lookup_failed_action("deletion").advice


def test_a_code_entry_needs_no_action_to_be_alerted_about() -> None:
    raw = shipped()
    raw["codes"]["CASE_ESCALATED"] = {"severity": "warning", "runbook": "Read the case."}
    codes = load(raw)
    assert codes.entry("CASE_ESCALATED").severity is Severity.WARNING
    assert codes.action("CASE_ESCALATED", "deletion") == codes.default_action("deletion")


ORDERS = ["codes", "ORDERS_NOT_CLOSED", "actions", "deletion"]


def _change(path: list[str], **values: Any) -> Any:
    def change(raw: dict[str, Any]) -> None:
        node = raw
        for key in path:
            node = node.setdefault(key, {})
        node.update(values)

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            _change(ORDERS, every="weekly"),
            "codes.ORDERS_NOT_CLOSED.actions.deletion.resubmit.every: must be a duration",
        ),
        (
            _change(ORDERS, first_attempt_after="1s"),
            "codes.json: codes.ORDERS_NOT_CLOSED.actions.deletion.resubmit.first_attempt_after: "
            "must be at",
        ),
        (
            _change(ORDERS, every="4m"),
            "codes.ORDERS_NOT_CLOSED.actions.deletion.resubmit.every: must be at least 5m",
        ),
        (
            _change(
                ["codes", "EXPORT_FAILED"],
                severity="critical",
                runbook="Export again.",
                actions={
                    "retrieval": {
                        "action": "resubmit",
                        "first_attempt_after": "30s",
                        "every": "1d",
                        "max_attempts": 2,
                        "deadline_margin": "7d",
                    }
                },
            ),
            "codes.EXPORT_FAILED.actions.retrieval.resubmit.first_attempt_after: must be at "
            "least 5m",
        ),
        (
            _change(ORDERS, holding_period_days=181),
            "codes.ORDERS_NOT_CLOSED.actions.deletion.resubmit.holding_period_days",
        ),
        (
            _change(
                ["codes", "X"],
                severity="info",
                runbook="r",
                actions={"deletion": {"action": "retry"}},
            ),
            # The tag found is the file's own text: the allowed ones are named instead.
            "codes.X.actions.deletion: 'action' should be one of 'resubmit', 'close', 'escalate'",
        ),
        (
            _change(["codes", "ORDERS_NOT_CLOSED"], severity="urgent"),
            "codes.json: codes.ORDERS_NOT_CLOSED.severity",
        ),
        (
            _change(["codes", "ORDERS_NOT_CLOSED"], runbook_url="http://wiki"),
            "codes.ORDERS_NOT_CLOSED.runbook_url: String should match pattern",
        ),
        (
            lambda raw: raw["default"]["actions"].pop("retrieval"),
            "codes.json: default.actions.retrieval: Field required",
        ),
        (
            _change(["lookup_failed", "actions", "deletion"], action="close", basis="none"),
            "lookup_failed.actions.deletion.action: Input should be 'escalate'",
        ),
        (lambda raw: raw.pop("lookup_failed"), "codes.json: lookup_failed: Field required"),
        (lambda raw: raw.update(version=2), "codes.json: version: Input should be 1"),
    ],
)
def test_a_broken_catalogue_fails_naming_the_key(change: Any, expected: str) -> None:
    raw = shipped()
    change(raw)
    with pytest.raises(CatalogueError, match=expected.replace(".", r"\.").replace("'", ".")):
        load(raw)


def test_a_retrieval_action_cannot_hold_a_task() -> None:
    raw = shipped()
    raw["codes"]["EXPORT_FAILED"] = {
        "severity": "critical",
        "runbook": "Export again.",
        "actions": {
            "retrieval": dict(
                raw["codes"]["ORDERS_NOT_CLOSED"]["actions"]["deletion"], holding_period_days=3
            )
        },
    }
    with pytest.raises(
        CatalogueError,
        match=r"codes\.json: codes\.EXPORT_FAILED\.actions\.retrieval\.holding_period_days: "
        r"must be 0",
    ):
        load(raw)


def test_a_json_syntax_error_names_the_line() -> None:
    with pytest.raises(CatalogueError, match=r"codes\.json: line 2 column 1"):
        load_catalogue('{"version": 1,\n}', "codes.json")
