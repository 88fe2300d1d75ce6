"""Bare baseline of DeadlineWatchFunction: the same calls for one scheduled run.

Written for the benchmark only. Plain json and boto3: no Powertools, no pydantic, no case
model. It queries the cases table's ByState index once per open state (as the real watch
does), reads each case's legal deadline from its body, counts the cases on time, due soon and
past due, and prints the counts as one CloudWatch embedded-metric-format line.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from typing import Any

import boto3

CASES_TABLE = os.environ["CASES_TABLE_NAME"]
DUE_SOON_DAYS = float(os.environ.get("DUE_SOON_DAYS") or "5")
# The same index queries as the real watch: one per open state (APPEALED included).
OPEN_STATES = ("WAITING", "RESUBMITTED", "RESUBMISSION_DUE", "ESCALATED", "APPEALED")

dynamodb = boto3.client("dynamodb")


def _legal_due(body: dict[str, Any]) -> datetime:
    dates = [
        deadline.get("extended_due_at") or deadline["due_at"] for deadline in body["deadlines"]
    ]
    return min(datetime.fromisoformat(date.replace("Z", "+00:00")) for date in dates)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Count the open cases per bucket."""
    now = datetime.now(UTC)
    counts = {"on time": 0, "due soon": 0, "past due": 0}
    at_risk: list[str] = []
    paginator = dynamodb.get_paginator("query")
    for state in OPEN_STATES:
        for page in paginator.paginate(
            TableName=CASES_TABLE,
            IndexName="ByState",
            KeyConditionExpression="#state = :state",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":state": {"S": state}},
        ):
            for item in page.get("Items", []):
                body = json.loads(item["body"]["S"])
                days = (_legal_due(body) - now).total_seconds() / 86400
                bucket = (
                    "past due" if days < 0 else "due soon" if days < DUE_SOON_DAYS else "on time"
                )
                counts[bucket] += 1
                if bucket != "on time":
                    at_risk.append(body["caseId"])
    metrics = {"CasesOnTime": "on time", "CasesDueSoon": "due soon", "CasesPastDue": "past due"}
    print(
        json.dumps(
            {
                "_aws": {
                    "Timestamp": int(time.time() * 1000),
                    "CloudWatchMetrics": [
                        {
                            "Namespace": "BwpPrivacy",
                            "Dimensions": [["service"]],
                            "Metrics": [{"Name": name, "Unit": "Count"} for name in metrics],
                        }
                    ],
                },
                "service": "deadline-watch",
                **{name: counts[bucket] for name, bucket in metrics.items()},
            }
        )
    )
    if at_risk:
        print(json.dumps({"message": "Cases at risk", "caseIds": at_risk[:50], "counts": counts}))
    return {"counts": counts}
