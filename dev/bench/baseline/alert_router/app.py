"""Bare baseline of AlertRouterFunction: the same calls for an SQS batch of published failures.

Written for the benchmark only. Plain json, hmac, requests and boto3: no Powertools, no
pydantic, no routes file, no retries of its own. For each failure it makes the calls the real
router makes for a warning (the shipped routes send it to Slack, Teams, Amazon Q, the webhook
and EventBridge): the receivers' secrets once per process, one BatchGetItem for the batch's
cases, a conditional UpdateItem claiming each delivery, the delivery (an HTTPS POST, an SNS
Publish or a PutEvents), an UpdateItem marking it sent, and one BatchExecuteStatement of audit
INSERTs for the batch.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3
import requests

TIMEOUT = float(os.environ.get("BWP_HTTP_TIMEOUT_SECONDS") or "5")
LEDGER_TABLE = os.environ["LEDGER_TABLE_NAME"]
CASES_TABLE = os.environ.get("CASES_TABLE_NAME", "")
AUDIT_TABLE = os.environ.get("AUDIT_TABLE_NAME", "")
AMAZON_Q_TOPIC = os.environ.get("AMAZON_Q_TOPIC_ARN", "")
EVENT_BUS = os.environ.get("ALERT_EVENT_BUS_NAME", "")
RETENTION_SECONDS = int(os.environ.get("RETENTION_DAYS") or "730") * 86400
#: Receivers whose endpoint is in a secret, by environment variable.
SECRET_VARIABLES = {
    "pagerduty": "PAGERDUTY_SECRET_ID",
    "slack": "SLACK_SECRET_ID",
    "teams": "TEAMS_SECRET_ID",
    "webhook": "WEBHOOK_SECRET_ID",
}
#: Where a warning goes (the shipped routes' default route).
WARNING_RECEIVERS = ("slack", "teams", "amazon-q", "webhook", "eventbridge")
REPEAT_SECONDS = 86400

session = requests.Session()
dynamodb = boto3.client("dynamodb")
secretsmanager = boto3.client("secretsmanager")
sns = boto3.client("sns")
events = boto3.client("events")

_secrets: dict[str, dict[str, Any]] | None = None


def _receiver_secrets() -> dict[str, dict[str, Any]]:
    global _secrets
    if _secrets is None:
        _secrets = {}
        for name, variable in SECRET_VARIABLES.items():
            if os.environ.get(variable):
                value = secretsmanager.get_secret_value(SecretId=os.environ[variable])
                _secrets[name] = json.loads(value["SecretString"])
    return _secrets


def _claim(key: str, case_id: str, transition: str, token: str, now: int) -> None:
    dynamodb.update_item(
        TableName=LEDGER_TABLE,
        Key={"deliveryKey": {"S": key}},
        UpdateExpression="SET receiver = :receiver, caseId = :case, claimToken = :token, "
        "leaseUntil = :lease, expiresAt = :expires, #sent = if_not_exists(#sent, :empty)",
        ConditionExpression="(attribute_not_exists(leaseUntil) OR leaseUntil < :now) "
        "AND (attribute_not_exists(#sent.#t) OR #sent.#t < :now)",
        ExpressionAttributeNames={"#sent": "sent", "#t": transition},
        ExpressionAttributeValues={
            ":receiver": {"S": key.split("#", 1)[0]},
            ":case": {"S": case_id},
            ":token": {"S": token},
            ":lease": {"N": str(now + 60)},
            ":expires": {"N": str(now + RETENTION_SECONDS)},
            ":empty": {"M": {}},
            ":now": {"N": str(now)},
        },
    )


def _mark(key: str, transition: str, token: str, now: int) -> None:
    dynamodb.update_item(
        TableName=LEDGER_TABLE,
        Key={"deliveryKey": {"S": key}},
        UpdateExpression="SET #sent.#t = :until REMOVE claimToken, leaseUntil",
        ConditionExpression="claimToken = :token",
        ExpressionAttributeNames={"#sent": "sent", "#t": transition},
        ExpressionAttributeValues={
            ":token": {"S": token},
            ":until": {"N": str(now + REPEAT_SECONDS)},
        },
    )


def _payload(receiver: str, failure: dict[str, Any], text: str) -> dict[str, Any]:
    """The smallest body each service accepts."""
    if receiver == "slack":
        section = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
        return {"text": text, "blocks": [section]}
    if receiver == "teams":
        card = {
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [{"type": "TextBlock", "text": text, "wrap": True}],
        }
        return {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
            ],
        }
    return {"version": "2", "status": "firing", "alerts": [{"summary": text, **failure}]}


def _deliver(receiver: str, failure: dict[str, Any], text: str) -> None:
    if receiver == "amazon-q":
        sns.publish(
            TopicArn=AMAZON_Q_TOPIC,
            Message=json.dumps(
                {
                    "version": "1.0",
                    "source": "custom",
                    "content": {"textType": "client-markdown", "title": text},
                }
            ),
        )
        return
    if receiver == "eventbridge":
        events.put_events(
            Entries=[
                {
                    "Source": "bwp-privacy",
                    "DetailType": "Personal Data Deletion Failure Alert",
                    "Detail": json.dumps({"status": "firing", **failure}),
                    "EventBusName": EVENT_BUS,
                }
            ]
        )
        return
    secret = _receiver_secrets()[receiver]
    url = secret.get("webhookUrl") or secret["url"]
    body = json.dumps(_payload(receiver, failure, text), separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json"}
    if "signingSecret" in secret:
        timestamp = str(int(time.time()))
        digest = hmac.new(
            secret["signingSecret"].encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        headers |= {"X-Timestamp": timestamp, "X-Signature": f"sha256={digest}"}
    session.post(url, data=body, headers=headers, timeout=TIMEOUT).raise_for_status()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Route each failure of the batch to the warning's receivers."""
    _receiver_secrets()
    failures = [json.loads(record["body"]) for record in event["Records"]]
    if CASES_TABLE:
        dynamodb.batch_get_item(
            RequestItems={
                CASES_TABLE: {
                    "Keys": [{"pk": {"S": f"TASK#{f['taskId']}"}} for f in failures],
                    "ProjectionExpression": "pk, caseId",
                    "ConsistentRead": True,
                }
            }
        )
    audit: list[dict[str, Any]] = []
    for failure in failures:
        case_id, now = failure["taskId"], int(time.time())
        transition = f"failed/{case_id}"
        codes = [error["code"] for error in failure.get("errors", [])] or ["NONE"]
        text = f"[WARNING] Personal-data deletion failed: task {case_id} ({', '.join(codes)})"
        for receiver in WARNING_RECEIVERS:
            key, token = f"{receiver}#case#{case_id}", uuid.uuid4().hex
            _claim(key, case_id, transition, token, now)
            _deliver(receiver, failure, text)
            _mark(key, transition, token, now)
            at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            entry = uuid.uuid4().hex
            audit.append(
                {
                    "Statement": f'INSERT INTO "{AUDIT_TABLE}" VALUE {{'
                    "'pk': ?, 'sk': ?, 'entryId': ?, 'at': ?, 'actor': ?, 'action': ?, "
                    "'input': ?, 'outcome': ?, 'detail': ?, 'expiresAt': ?}",
                    "Parameters": [
                        {"S": f"case:{case_id}"},
                        {"S": f"{at}#{entry}"},
                        {"S": entry},
                        {"S": at},
                        {"S": "bwp-privacy-alert-router"},
                        {"S": "alert.firing"},
                        {"S": transition},
                        {"S": "delivered"},
                        {"M": {"receiver": {"S": receiver}}},
                        {"N": str(now + RETENTION_SECONDS)},
                    ],
                }
            )
    if AUDIT_TABLE:
        for start in range(0, len(audit), 25):
            dynamodb.batch_execute_statement(Statements=audit[start : start + 25])
    return {"batchItemFailures": []}
