"""Bare baseline handler: the same calls as the real one and nothing else.

Written for the benchmark only. Plain json, requests and boto3: no Powertools, no pydantic,
no validation, no retries of its own, no idempotency. It reads the real function's
environment variables and makes the calls the real handler made for a new event before issue
16: a token (cached for the process), one GraphQL query, one DynamoDB put_item and one SNS
publish. With BASELINE_CLAIM=true it makes the three AWS calls the recorder makes now, in
their plainest form: a conditional put_item claiming the event, the publish, and an
update_item writing the record and dropping the claim (on condition that it still holds it);
and, where the environment names the API budget's table (issue 28), the slot the recorder
takes before its lookup, as one plain update_item of the budget's item.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from typing import Any

import boto3
import requests

# Same text as bwp_privacy.bwp_api.client.DELETION_TASK_QUERY (copied, not imported).
DELETION_TASK_QUERY = """
query PersonalDataDeletionTask($taskId: String!) {
  personalDataDeletionTask(taskId: $taskId) {
    taskId
    status
    submissionDate
    lastUpdatedDate
    holdingPeriod
    errors { code message }
  }
}
""".strip()

API_URL = os.environ.get("BWP_API_URL") or "https://api.buywithprime.amazon.com/graphql"
TOKEN_URL = os.environ.get("BWP_TOKEN_URL") or "https://api.buywithprime.amazon.com/token"
API_VERSION = os.environ.get("BWP_API_VERSION") or "2024-11-01"
CLIENT_ID = os.environ.get("BWP_CLIENT_ID", "")
CLIENT_SECRET = os.environ.get("BWP_CLIENT_SECRET", "")
TIMEOUT = float(os.environ.get("BWP_HTTP_TIMEOUT_SECONDS") or "5")
TABLE_NAME = os.environ["FAILURES_TABLE_NAME"]
TOPIC_ARN = os.environ["FAILURES_TOPIC_ARN"]
RETENTION_SECONDS = int(os.environ.get("RETENTION_DAYS") or "730") * 86400
CLAIM = os.environ.get("BASELINE_CLAIM", "").lower() == "true"
BUDGET_TABLE = os.environ.get("API_BUDGET_TABLE_NAME", "")
LEASE_SECONDS = 60

session = requests.Session()
dynamodb = boto3.client("dynamodb")
sns = boto3.client("sns")

_token: tuple[str, float] | None = None  # (value, time.monotonic() when it expires)


def _access_token() -> str:
    global _token
    if _token is None or time.monotonic() >= _token[1] - 60:
        response = session.post(
            TOKEN_URL,
            data={
                "grant_type": "client_credentials",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
            timeout=TIMEOUT,
        )
        response.raise_for_status()
        body = response.json()
        _token = (body["access_token"], time.monotonic() + float(body.get("expires_in", 900)))
    return _token[0]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Look the task up, store it, publish it."""
    # businessProduct/{bp}/personalDataDeletionTask/{task}
    _, business_product_id, _, task_id = event["resources"][0].split("/")[:4]
    if CLAIM and BUDGET_TABLE:
        dynamodb.update_item(
            TableName=BUDGET_TABLE,
            Key={"pk": {"S": "bwp-api"}},
            UpdateExpression="SET tat = :now",
            ExpressionAttributeValues={":now": {"N": f"{time.time():.6f}"}},
        )
    response = session.post(
        API_URL,
        json={"query": DELETION_TASK_QUERY, "variables": {"taskId": task_id}},
        headers={
            "Authorization": f"Bearer {_access_token()}",
            "x-api-target-id": business_product_id,
            "x-api-version": API_VERSION,
        },
        timeout=TIMEOUT,
    )
    response.raise_for_status()
    task = response.json()["data"]["personalDataDeletionTask"]
    codes = [error["code"] or "UNSPECIFIED" for error in task["errors"]] or ["NONE"]
    now = datetime.now(UTC)
    message = {
        "eventId": event["id"],
        "eventTime": event["time"],
        "detailType": event["detail-type"],
        "businessProductId": business_product_id,
        "receivedAt": now.isoformat(),
        **task,
    }
    record = {
        "businessProductId": {"S": business_product_id},
        "status": {"S": str(task["status"])},
        "errorCodes": {"L": [{"S": code} for code in codes]},
        "message": {"S": json.dumps(message)},
        "expiresAt": {"N": str(int(now.timestamp()) + RETENTION_SECONDS)},
    }
    key = {"taskId": {"S": task_id}, "eventId": {"S": event["id"]}}
    token = getattr(context, "aws_request_id", "") or event["id"]
    if CLAIM:
        dynamodb.put_item(
            TableName=TABLE_NAME,
            Item={
                **key,
                "claimToken": {"S": token},
                "leaseUntil": {"N": str(int(time.time()) + LEASE_SECONDS)},
            },
            ConditionExpression="attribute_not_exists(taskId)",
        )
    else:
        dynamodb.put_item(TableName=TABLE_NAME, Item={**key, **record})
    answer = sns.publish(
        TopicArn=TOPIC_ARN,
        Message=json.dumps(message),
        MessageAttributes={
            "errorCode": {"DataType": "String.Array", "StringValue": json.dumps(codes)},
            "businessProductId": {"DataType": "String", "StringValue": business_product_id},
        },
    )
    if CLAIM:
        record |= {
            "publishedAt": {"S": datetime.now(UTC).isoformat()},
            "messageId": {"S": answer["MessageId"]},
        }
        names = {f"#f{n}": name for n, name in enumerate(record)}
        dynamodb.update_item(
            TableName=TABLE_NAME,
            Key=key,
            UpdateExpression="SET "
            + ", ".join(f"#f{n} = :f{n}" for n in range(len(record)))
            + " REMOVE claimToken, leaseUntil",
            ConditionExpression="claimToken = :token",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={
                **{f":f{n}": value for n, value in enumerate(record.values())},
                ":token": {"S": token},
            },
        )
    return {
        "eventId": event["id"],
        "taskId": task_id,
        "errorCodes": codes,
        "published": True,
        "messageId": answer["MessageId"],
    }
