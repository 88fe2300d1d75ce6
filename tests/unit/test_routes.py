import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bwp_privacy.alerting import (
    RoutesError,
    RoutingConfig,
    Severity,
    build_alert,
    load_routes,
)
from bwp_privacy.alerting.alert import describe_deadlines
from bwp_privacy.contract import LookupOutcome, LookupStatus, TaskError, TaskFailure

SHIPPED = Path(__file__).resolve().parents[2] / "functions" / "alert_router" / "routes.json"


def shipped() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SHIPPED.read_text())
    return loaded


def config(raw: dict[str, Any] | None = None) -> RoutingConfig:
    return load_routes(json.dumps(raw or shipped()), "routes.json")


def failure(*codes: str | None, lookup: LookupStatus = LookupStatus.OK) -> TaskFailure:
    return TaskFailure(
        event_id="e1",
        event_time="2026-11-20T12:34:56Z",
        detail_type="PERSONAL_DATA_DELETION_TASK_FAILED",
        business_product_id="bp-1",
        task_id="t1",
        status="FAILED" if lookup is LookupStatus.OK else None,
        submission_date="2026-10-02T09:12:44.638498Z" if lookup is LookupStatus.OK else None,
        errors=[TaskError(code=c, message=f"{c} happened") for c in codes],
        lookup=LookupOutcome(status=lookup, error_type="ResourceNotFoundError", message="gone")
        if lookup is not LookupStatus.OK
        else LookupOutcome(status=lookup),
        received_at="2026-11-20T12:35:00Z",
    )


def route_names(cfg: RoutingConfig, f: TaskFailure) -> list[tuple[str, tuple[str, ...]]]:
    severity, runbooks = cfg.classify(f)
    alert = build_alert(f, severity, runbooks, datetime(2026, 11, 22, tzinfo=UTC))
    return [(m.name, m.receivers) for m in cfg.resolve(alert.labels())]


def test_shipped_routes_send_each_severity_where_expected() -> None:
    cfg = config()
    assert route_names(cfg, failure("ORDERS_NOT_CLOSED")) == [
        ("default", ("slack", "teams", "amazon-q", "webhook", "eventbridge"))
    ]
    assert route_names(cfg, failure("DATA_SUBJECT_NOT_FOUND")) == [
        ("quiet-not-found", ("webhook", "eventbridge"))
    ]
    critical = (
        "page-critical",
        ("pagerduty", "slack", "teams", "amazon-q", "webhook", "eventbridge"),
    )
    assert route_names(cfg, failure("SOMETHING_NEW")) == [critical]
    assert route_names(cfg, failure(lookup=LookupStatus.ACCESS_DENIED)) == [critical]
    # The highest severity of the codes wins.
    assert route_names(cfg, failure("DATA_SUBJECT_NOT_FOUND", None)) == [critical]


DEFAULT = ("default", ("slack", "teams", "amazon-q", "webhook", "eventbridge"))
QUIET = ("quiet-not-found", ("webhook", "eventbridge"))
PAGE = ("page-critical", ("pagerduty", "slack", "teams", "amazon-q", "webhook", "eventbridge"))


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (("DATA_SUBJECT_NOT_FOUND",), QUIET),
        # A code that needs a person is never silenced by a quiet one beside it.
        (("ORDERS_NOT_CLOSED", "DATA_SUBJECT_NOT_FOUND"), DEFAULT),
        (("DATA_SUBJECT_NOT_FOUND", "ORDERS_NOT_CLOSED"), DEFAULT),
        (("DATA_SUBJECT_NOT_FOUND", "BRAND_NEW"), PAGE),
        (("DATA_SUBJECT_NOT_FOUND", None), PAGE),
        (("ORDERS_NOT_CLOSED", "BRAND_NEW"), PAGE),
    ],
)
def test_a_task_with_several_codes_goes_where_its_most_demanding_code_needs(
    codes: tuple[str | None, ...], expected: tuple[str, tuple[str, ...]]
) -> None:
    assert route_names(config(), failure(*codes)) == [expected]


def test_match_wants_every_value_listed_and_match_any_one() -> None:
    raw = shipped()
    raw["route"]["routes"] = [
        {"name": "all", "match": {"errorCode": ["A", "B"]}, "receivers": ["teams"]},
        {"name": "any", "match_any": {"errorCode": ["C"]}, "receivers": ["slack"]},
        {"name": "re", "match_re": {"errorCode": "D.*"}, "receivers": ["webhook"]},
    ]
    cfg = config(raw)
    assert route_names(cfg, failure("A", "B"))[0][0] == "all"
    assert route_names(cfg, failure("A", "C"))[0][0] == "any"  # not every code is A or B
    assert route_names(cfg, failure("D1", "D2"))[0][0] == "re"
    assert route_names(cfg, failure("D1", "E"))[0][0] == "default"  # E does not match D.*


def test_severity_and_runbooks_per_code() -> None:
    cfg = config()
    assert cfg.classify(failure("ORDERS_NOT_CLOSED"))[0] is Severity.WARNING
    assert cfg.classify(failure("DATA_SUBJECT_NOT_FOUND"))[0] is Severity.INFO
    severity, runbooks = cfg.classify(failure("ORDERS_NOT_CLOSED", "NEW_CODE"))
    assert severity is Severity.CRITICAL
    assert [r.code for r in runbooks] == ["ORDERS_NOT_CLOSED", "NEW_CODE"]
    assert "orders" in runbooks[0].text
    severity, runbooks = cfg.classify(failure(lookup=LookupStatus.RESOURCE_NOT_FOUND))
    assert (severity, runbooks[0].code) == (Severity.CRITICAL, "RESOURCE_NOT_FOUND")


def test_continue_inheritance_and_nesting() -> None:
    raw = shipped()
    raw["route"]["routes"] = [
        {
            "name": "bp-1",
            "match": {"businessProductId": ["bp-1"]},
            "receivers": ["teams"],
            "continue": True,
            "group_by": ["errorCode"],
            "routes": [
                {
                    "name": "bp-1-orders",
                    "match_re": {"errorCode": "ORDERS_.*"},
                    "repeat_window": "2h",
                }
            ],
        },
        {"name": "warnings", "match": {"severity": ["warning"]}, "receivers": ["slack"]},
        {"name": "never", "match": {"severity": ["warning"]}, "receivers": ["webhook"]},
    ]
    cfg = config(raw)
    severity, runbooks = cfg.classify(failure("ORDERS_NOT_CLOSED"))
    alert = build_alert(failure("ORDERS_NOT_CLOSED"), severity, runbooks, datetime.now(UTC))
    matches = cfg.resolve(alert.labels())
    assert [(m.name, m.receivers, m.group_by, m.repeat_window_seconds) for m in matches] == [
        ("bp-1-orders", ("teams",), ("errorCode",), 7200),
        ("warnings", ("slack",), ("businessProductId", "errorCode"), 86400),
    ]


def _mutate(path: list[Any], value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(shipped())
    node = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return raw


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            _mutate(["route", "routes", 1, "receivers"], ["pagerdoody"]),
            "routes.json: route.routes[1].receivers[0]: Input should be 'amazon-q', 'eventbridge'",
        ),
        (
            _mutate(["route", "routes", 0, "match"], {"sevrity": ["critical"]}),
            "routes.json: route.routes[0].match.sevrity",
        ),
        (
            _mutate(["route", "routes", 0, "match_re"], {"errorCode": "(["}),
            "route.routes[0].match_re.errorCode: is not a valid regular expression",
        ),
        (
            _mutate(["route", "routes", 1, "repeat_window"], "1 week"),
            "route.routes[1].repeat_window: must be a duration like 30m, 4h or 7d",
        ),
        (
            _mutate(["route", "routes", 1, "recievers"], ["slack"]),
            "route.routes[1].recievers: Extra inputs are not permitted",
        ),
        (
            # A routes file written before the catalogue: told where its severities live now.
            _mutate(["severities"], {"ORDERS_NOT_CLOSED": {"severity": "warning"}}),
            "routes.json: severities: moved to the catalogue",
        ),
        (
            _mutate(["lookupErrorSeverity"], {"severity": "critical"}),
            "routes.json: lookupErrorSeverity: moved to the catalogue",
        ),
        (_mutate(["route", "receivers"], []), "the default route needs at least one receiver"),
        (
            _mutate(["route", "match"], {"severity": ["info"]}),
            "the root route is the default route",
        ),
        (_mutate(["version"], 2), "version: Input should be 1"),
    ],
)
def test_invalid_routes_fail_loudly_naming_the_key(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(RoutesError) as caught:
        config(raw)
    assert message in str(caught.value)


def test_json_syntax_errors_name_the_line() -> None:
    text = SHIPPED.read_text().replace('"version": 1,', '"version": 1', 1)
    with pytest.raises(RoutesError, match=r"routes.json: line 3 column 3: Expecting ',' delimiter"):
        load_routes(text, "routes.json")


def test_alert_tells_the_regulatory_clocks() -> None:
    text = describe_deadlines(date(2026, 10, 2), date(2026, 11, 22))
    assert text == (
        "Submitted 2026-10-02 (51 days ago). CCPA 45 days: past due since 2026-11-16 (6 days"
        " ago). GDPR one month: past due since 2026-11-02 (20 days ago)."
    )
    assert (
        "due 2027-01-14 (45 days left; an extension must be noticed by then)"
        in describe_deadlines(date(2026, 11, 30), date(2026, 11, 30))
    )
    assert "due 2026-02-28" in describe_deadlines(date(2026, 1, 31), date(2026, 1, 31))
    # 58 days old: the first deadline has passed, so it is past due, not "extension needed"
    # (an extension must be noticed to the consumer before the first deadline).
    late = describe_deadlines(date(2026, 10, 2), date(2026, 11, 29))
    assert "CCPA 45 days: past due since 2026-11-16 (13 days ago)" in late
    assert "extension" not in late
    assert "unknown" in describe_deadlines(None, date(2026, 1, 1))


def test_alert_carries_everything_on_call_needs() -> None:
    cfg = config()
    f = failure("ORDERS_NOT_CLOSED")
    severity, runbooks = cfg.classify(f)
    alert = build_alert(f, severity, runbooks, datetime(2026, 11, 22, tzinfo=UTC))
    assert alert.submitted_days_ago == 51
    assert alert.summary == "[WARNING] Personal-data deletion failed: task t1 (ORDERS_NOT_CLOSED)"
    assert alert.inspect[0].startswith("bwp-privacy task show t1")
    assert alert.labels()["errorCode"] == ["ORDERS_NOT_CLOSED"]
