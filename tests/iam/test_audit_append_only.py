"""The audit trail is append-only in IAM, not only in code: no function's role and no
operator holding the stack's AuditGuardPolicy (the CLI's caller; the sandbox's own
credentials) can change or delete an entry, by any write the DynamoDB API offers. Adding one
works, and adding one with an existing key is refused by DynamoDB itself."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from bwp_privacy.audit import AuditEntry, AuditTrail
from bwp_sandbox.admin import ADMIN_CREDENTIALS
from bwp_sandbox.sandbox import REACTION, RECORDER, ROUTER, Sandbox

pytestmark = [pytest.mark.integration, pytest.mark.iam_denials_expected]

KEY = {"pk": {"S": "case:c-audit"}, "sk": {"S": "2026-11-02T10:00:00.000Z#t00000"}}


def _client(sandbox: Sandbox, credentials: dict[str, str]) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=sandbox.aws.url,
        region_name="us-east-1",
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=credentials["AWS_SESSION_TOKEN"],
    )


def _entry() -> AuditEntry:
    at = datetime(2026, 11, 2, 10, tzinfo=UTC)
    return AuditEntry(
        subject="case:c-audit",
        at=at,
        entry_id="t00000",
        actor="arn:aws:sts::123456789012:assumed-role/Operator/alice",
        action="case.transition",
        input="event e-1",
        outcome="WAITING",
        expires_at=at,
    )


def _rewrites(table: str) -> dict[str, Callable[[Any], object]]:
    """Every way the DynamoDB API offers to change or remove an existing item."""
    where = f"WHERE pk = 'case:c-audit' AND sk = '{KEY['sk']['S']}'"
    update = f"UPDATE \"{table}\" SET outcome = 'COMPLETED' {where}"  # noqa: S608 (a test's own)
    delete = f'DELETE FROM "{table}" {where}'  # noqa: S608 (a test's own)
    return {
        "PutItem (overwrite)": lambda c: c.put_item(
            TableName=table, Item={**KEY, "outcome": {"S": "COMPLETED"}}
        ),
        "UpdateItem": lambda c: c.update_item(
            TableName=table,
            Key=KEY,
            UpdateExpression="SET outcome = :o",
            ExpressionAttributeValues={":o": {"S": "COMPLETED"}},
        ),
        "DeleteItem": lambda c: c.delete_item(TableName=table, Key=KEY),
        "BatchWriteItem": lambda c: c.batch_write_item(
            RequestItems={table: [{"DeleteRequest": {"Key": KEY}}]}
        ),
        "TransactWriteItems": lambda c: c.transact_write_items(
            TransactItems=[{"Delete": {"TableName": table, "Key": KEY}}]
        ),
        "PartiQL UPDATE": lambda c: c.execute_statement(Statement=update),
        "PartiQL DELETE": lambda c: c.execute_statement(Statement=delete),
        "DeleteTable": lambda c: c.delete_table(TableName=table),
        # What would open the table to a writer of one's choosing, or lose its history.
        "PutResourcePolicy": lambda c: c.put_resource_policy(
            ResourceArn=_arn(table), Policy='{"Version": "2012-10-17", "Statement": []}'
        ),
        "DeleteResourcePolicy": lambda c: c.delete_resource_policy(ResourceArn=_arn(table)),
        "UpdateTable (deletion protection off)": lambda c: c.update_table(
            TableName=table, DeletionProtectionEnabled=False
        ),
        "UpdateContinuousBackups (point-in-time recovery off)": lambda c: (
            c.update_continuous_backups(
                TableName=table,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False},
            )
        ),
        "DeleteBackup": lambda c: c.delete_backup(BackupArn=f"{_arn(table)}/backup/01234567"),
    }


def _arn(table: str) -> str:
    return f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}"


def _callers(sandbox: Sandbox) -> dict[str, dict[str, str]]:
    roles = sandbox.aws.iam.roles()
    return {
        **{name: roles[name].credentials() for name in (RECORDER, ROUTER, REACTION)},
        "operator (CLI)": ADMIN_CREDENTIALS,
    }


@pytest.mark.parametrize("write", list(_rewrites("t")))
def test_no_function_and_no_operator_can_change_or_delete_an_audit_entry(
    sandbox: Sandbox, write: str
) -> None:
    table = sandbox.stack.audit_table_name
    reaction = sandbox.aws.iam.roles()[REACTION].credentials()
    AuditTrail(_client(sandbox, reaction), table).append([_entry()])
    for caller, credentials in _callers(sandbox).items():
        with pytest.raises(ClientError) as refused:
            _rewrites(table)[write](_client(sandbox, credentials))
        assert refused.value.response["Error"]["Code"] in (
            "AccessDeniedException",
            "AccessDenied",
        ), (caller, refused.value.response["Error"])
    [kept] = AuditTrail(_client(sandbox, ADMIN_CREDENTIALS), table).entries("case:c-audit")
    assert kept.outcome == "WAITING"
    assert {r.action for r in sandbox.aws.iam.denied()} >= {
        f"dynamodb:{a}"
        for a in {
            "PutItem (overwrite)": ["PutItem"],
            "UpdateItem": ["UpdateItem"],
            "DeleteItem": ["DeleteItem"],
            "BatchWriteItem": ["BatchWriteItem"],
            "TransactWriteItems": ["DeleteItem"],
            "PartiQL UPDATE": ["PartiQLUpdate"],
            "PartiQL DELETE": ["PartiQLDelete"],
            "DeleteTable": ["DeleteTable"],
            "PutResourcePolicy": ["PutResourcePolicy"],
            "DeleteResourcePolicy": ["DeleteResourcePolicy"],
            "UpdateTable (deletion protection off)": ["UpdateTable"],
            "UpdateContinuousBackups (point-in-time recovery off)": ["UpdateContinuousBackups"],
            "DeleteBackup": ["DeleteBackup"],
        }[write]
    }


def test_no_operator_writes_an_entry_or_a_case_but_through_the_reaction(
    sandbox: Sandbox,
) -> None:
    """Not even a new entry: an entry names its actor, its time and its life, so operators
    (AuditGuardPolicy) write none; the reaction writes theirs, for the caller AWS
    authenticated. Nor a case: its changes are audited there too."""
    operator = _client(sandbox, ADMIN_CREDENTIALS)
    with pytest.raises(ClientError) as refused:
        AuditTrail(operator, sandbox.stack.audit_table_name).append([_entry()])
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    with pytest.raises(ClientError) as put_denied:
        operator.put_item(
            TableName=sandbox.stack.cases_table_name, Item={"pk": {"S": "CASE#forged"}}
        )
    assert put_denied.value.response["Error"]["Code"] == "AccessDeniedException"
    with pytest.raises(ClientError) as update_denied:
        operator.update_item(
            TableName=sandbox.stack.cases_table_name,
            Key={"pk": {"S": "CASE#forged"}},
            UpdateExpression="SET #s = :s",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":s": {"S": "CLOSED"}},
        )
    assert update_denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert {r.action for r in sandbox.aws.iam.denied()} >= {
        "dynamodb:PartiQLInsert",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    }


def test_a_writer_adds_entries_and_cannot_overwrite_one_with_the_same_key(
    sandbox: Sandbox,
) -> None:
    table = sandbox.stack.audit_table_name
    reaction = _client(sandbox, sandbox.aws.iam.roles()[REACTION].credentials())
    trail = AuditTrail(reaction, table)
    trail.append([_entry()])
    # The same entry again (a retried input) is left as it was, not an error ...
    trail.append([_entry().model_copy(update={"outcome": "COMPLETED"})])
    # ... and DynamoDB itself refuses the INSERT of an existing key.
    with pytest.raises(ClientError) as duplicate:
        reaction.execute_statement(
            Statement=f"INSERT INTO \"{table}\" VALUE {{'pk': ?, 'sk': ?}}",
            Parameters=[KEY["pk"], KEY["sk"]],
        )
    assert duplicate.value.response["Error"]["Code"] == "DuplicateItemException"
    [kept] = AuditTrail(_client(sandbox, ADMIN_CREDENTIALS), table).entries("case:c-audit")
    assert kept.outcome == "WAITING"


def test_a_write_the_trail_refuses_fails_loudly(sandbox: Sandbox) -> None:
    """The recorder holds no audit grant: its write is refused, and the trail says so."""
    recorder = _client(sandbox, sandbox.aws.iam.roles()[RECORDER].credentials())
    with pytest.raises(ClientError) as refused:
        AuditTrail(recorder, sandbox.stack.audit_table_name).append([_entry()])
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
