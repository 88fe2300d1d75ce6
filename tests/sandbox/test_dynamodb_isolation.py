"""The sandbox's DynamoDB is isolated as DynamoDB is: moto undoes a cancelled transaction by
putting back a copy of the table taken when it began, which would undo a write another request
made meanwhile (moto's server answers on threads). Each item request is one step instead."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

from bwp_sandbox import dynamodb_isolation


@pytest.fixture
def table() -> Iterator[Any]:
    dynamodb_isolation.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.put_item(TableName="t", Item={"pk": {"S": "taken"}})
        yield client


def test_no_other_item_request_runs_while_a_transaction_is_under_way(
    table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Probed from another thread at the moment moto has copied the table for its rollback:
    the lock every item request takes is held."""
    free: list[bool] = []
    real_deepcopy = copy.deepcopy

    def snapshot(value: Any, *args: Any, **kwargs: Any) -> Any:
        copied = real_deepcopy(value, *args, **kwargs)
        if isinstance(value, Table) and not free:

            def probe() -> None:
                took = dynamodb_isolation.LOCK.acquire(blocking=False)
                if took:
                    dynamodb_isolation.LOCK.release()
                free.append(took)

            prober = threading.Thread(target=probe)
            prober.start()
            prober.join()
        return copied

    monkeypatch.setattr(copy, "deepcopy", snapshot)
    with pytest.raises(table.exceptions.TransactionCanceledException):
        table.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": {"pk": {"S": "new"}}}},
                {
                    "Put": {
                        "TableName": "t",
                        "Item": {"pk": {"S": "taken"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    assert free == [False]
    assert "Item" not in table.get_item(TableName="t", Key={"pk": {"S": "new"}})


def test_every_item_request_of_the_backend_is_isolated_once() -> None:
    dynamodb_isolation.install()
    dynamodb_isolation.install()  # twice is once
    # The PartiQL statements are wrapped again by partiql_insert, under the same lock.
    partiql = {"execute_statement", "batch_execute_statement"}
    for name in set(dynamodb_isolation.ITEM_METHODS) - partiql:
        wrapped = getattr(getattr(DynamoDBBackend, name), "__wrapped__", None)
        assert wrapped is not None, f"{name} is not isolated"
        assert not hasattr(wrapped, "__wrapped__"), f"{name} is isolated twice"
