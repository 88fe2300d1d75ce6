"""The operator's view of idempotency records computes the same keys as Powertools."""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig

from bwp_privacy.recorder import IDEMPOTENCY_KEY_PREFIX, idempotency_key


@pytest.mark.parametrize("event_id", ["6f3c1a2e-8d4b-4e7a-9c1f-2b5d8e7a9c01", 'odd "id" é'])
def test_the_key_is_the_one_powertools_writes(event_id: str) -> None:
    persistence = DynamoDBPersistenceLayer(table_name="idempotency", boto3_client=_NoClient())
    persistence.configure(
        IdempotencyConfig(), function_name="record_once", key_prefix=IDEMPOTENCY_KEY_PREFIX
    )
    assert persistence._get_hashed_idempotency_key(event_id) == idempotency_key(event_id)  # type: ignore[arg-type]


class _NoClient:
    """Stands in for the DynamoDB client: computing a key calls nothing."""

    meta: Any = None

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"no AWS call expected ({name})")
