"""Bare baseline of ReactionFunction: the same calls for its two main inputs.

Written for the benchmark only. Plain json and boto3: no Powertools, no pydantic, no
playbooks, no state machine. A published failure (SQS) opens a case the way the real
reaction opens one that it escalates at once (the sample task is past its deadline): a
GetItem of the task's case, a TransactWriteItems putting the case and its task, an SNS Publish
of the case notice and a BatchExecuteStatement of the transition's audit INSERT. A COMPLETED
event ends the case: a GetItem of the task, a GetItem of the case, a TransactWriteItems
(the case, conditional on its version, and the task's expiry), the audit INSERT and the notice.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from typing import Any

import boto3

CASES_TABLE = os.environ["CASES_TABLE_NAME"]
AUDIT_TABLE = os.environ["AUDIT_TABLE_NAME"]
TOPIC_ARN = os.environ["FAILURES_TOPIC_ARN"]
RETENTION_SECONDS = int(os.environ.get("RETENTION_DAYS") or "730") * 86400
ACTOR = "bwp-privacy-reaction"
INSERT = (
    f'INSERT INTO "{AUDIT_TABLE}" VALUE {{'
    "'pk': ?, 'sk': ?, 'entryId': ?, 'at': ?, 'actor': ?, 'action': ?, "
    "'input': ?, 'outcome': ?, 'detail': ?, 'expiresAt': ?}"
)

dynamodb = boto3.client("dynamodb")
sns = boto3.client("sns")


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _audit(case_id: str, number: int, cause: str, before: str, after: str, reason: str) -> None:
    at = _now()
    dynamodb.batch_execute_statement(
        Statements=[
            {
                "Statement": INSERT,
                "Parameters": [
                    {"S": f"case:{case_id}"},
                    {"S": f"{at}#t{number:05d}"},
                    {"S": f"t{number:05d}"},
                    {"S": at},
                    {"S": ACTOR},
                    {"S": "case.transition"},
                    {"S": cause},
                    {"S": after},
                    {"M": {"from": {"S": before}, "to": {"S": after}, "reason": {"S": reason}}},
                    {"N": str(int(time.time()) + RETENTION_SECONDS)},
                ],
            }
        ]
    )


def _notice(case: dict[str, Any], kind: str, reason: str) -> None:
    sns.publish(
        TopicArn=TOPIC_ARN,
        Message=json.dumps(
            {
                "schema": "bwp-privacy.case-notice",
                "noticeId": f"{case['caseId']}/{kind}/{case['version']}",
                "kind": kind,
                "caseId": case["caseId"],
                "businessProductId": case["businessProductId"],
                "taskId": case["caseId"],
                "reason": reason,
                "planDeadlineAt": case["planDeadlineAt"],
            }
        ),
        MessageAttributes={
            "messageType": {"DataType": "String", "StringValue": "case-notice"},
            "businessProductId": {"DataType": "String", "StringValue": case["businessProductId"]},
        },
    )


def _open(failure: dict[str, Any]) -> None:
    task_id = failure["taskId"]
    dynamodb.get_item(
        TableName=CASES_TABLE, Key={"pk": {"S": f"TASK#{task_id}"}}, ConsistentRead=True
    )
    reason = "the next attempt would start too late to leave time before the deadline"
    case = {
        "caseId": task_id,
        "businessProductId": failure["businessProductId"],
        "kind": failure.get("taskKind", "deletion"),
        "state": "ESCALATED",
        "receivedAt": failure["submissionDate"],
        "planDeadlineAt": failure["submissionDate"],
        "tasks": [
            {
                "taskId": task_id,
                "outcome": "FAILED",
                "errorCodes": [e["code"] for e in failure["errors"]],
            }
        ],
        "reason": reason,
        "openedAt": _now(),
        "transitions": [{"at": _now(), "to": "ESCALATED", "cause": failure["eventId"]}],
        "version": 1,
    }
    _notice(case, "escalated", reason)
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": CASES_TABLE,
                    "Item": {
                        "pk": {"S": f"CASE#{task_id}"},
                        "caseId": {"S": task_id},
                        "state": {"S": "ESCALATED"},
                        "planDeadlineAt": {"S": case["planDeadlineAt"]},
                        "businessProductId": {"S": case["businessProductId"]},
                        "version": {"N": "1"},
                        "body": {"S": json.dumps(case)},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": CASES_TABLE,
                    "Item": {
                        "pk": {"S": f"TASK#{task_id}"},
                        "caseId": {"S": task_id},
                        "attempt": {"N": "0"},
                    },
                    "ConditionExpression": "attribute_not_exists(caseId)",
                }
            },
        ]
    )
    _audit(task_id, 0, f"event {failure['eventId']}", "", "ESCALATED", reason)


def _complete(event: dict[str, Any]) -> dict[str, Any]:
    # businessProduct/{bp}/personalDataDeletionTask/{task}
    task_id = event["resources"][0].split("/")[3]
    task = dynamodb.get_item(
        TableName=CASES_TABLE, Key={"pk": {"S": f"TASK#{task_id}"}}, ConsistentRead=True
    )["Item"]
    case_id = task["caseId"]["S"]
    item = dynamodb.get_item(
        TableName=CASES_TABLE, Key={"pk": {"S": f"CASE#{case_id}"}}, ConsistentRead=True
    )["Item"]
    case = json.loads(item["body"]["S"])
    version = int(item["version"]["N"])
    reason = f"deletion task {task_id} completed"
    expires = str(int(time.time()) + RETENTION_SECONDS)
    before = case["state"]
    case.update(state="COMPLETED", reason=reason, endedAt=_now(), version=version + 1)
    case["transitions"].append({"at": _now(), "from": before, "to": "COMPLETED"})
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": CASES_TABLE,
                    "Item": {
                        **item,
                        "state": {"S": "COMPLETED"},
                        "version": {"N": str(version + 1)},
                        "body": {"S": json.dumps(case)},
                        "expiresAt": {"N": expires},
                    },
                    "ConditionExpression": "version = :expected",
                    "ExpressionAttributeValues": {":expected": {"N": str(version)}},
                }
            },
            {
                "Update": {
                    "TableName": CASES_TABLE,
                    "Key": {"pk": {"S": f"TASK#{task_id}"}},
                    "UpdateExpression": "SET expiresAt = :at",
                    "ExpressionAttributeValues": {":at": {"N": expires}},
                }
            },
        ]
    )
    _audit(case_id, 1, f"event {event['id']}", before, "COMPLETED", reason)
    _notice(case, "ended", reason)
    return {"outcome": "moved", "caseId": case_id, "state": "COMPLETED"}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A batch of published failures, or a COMPLETED event."""
    if "Records" in event:
        failed = []
        for record in event["Records"]:
            try:
                _open(json.loads(record["body"]))
            except Exception:  # the record returns to the queue
                failed.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failed}
    return _complete(event)
