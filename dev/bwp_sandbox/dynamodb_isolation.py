"""DynamoDB's isolation, where moto's server has none.

DynamoDB: a TransactWriteItems request succeeds or fails as a whole, in isolation from other
requests, and a failed one changes nothing (the DynamoDB developer guide, "Isolation levels
for DynamoDB transactions": serializable between a transaction and any single-item write).
moto 5 applies a transaction's writes one by one, and when a condition fails it puts back a
copy of the whole table taken when the transaction began; its server answers requests on
threads, so a write another request made in between is undone with it, and a read in between
sees half a transaction. Two `make test` side by side found it (issue 24): four concurrent
deliveries of one failure to the reaction, where the case one of them opened was undone by
another's cancelled transaction, and two deliveries failed on a case that had vanished.

The sandbox serializes every read and write of an item under one lock, so each request is one
step as in DynamoDB. Requests to the sandbox's moto are small: the lock costs nothing the soak
or the bench can see.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

#: Held by every item read and write of the DynamoDB backend (reentrant: a PartiQL statement
#: or a transaction calls the single-item methods).
LOCK = threading.RLock()

#: The backend's methods that read or write items.
ITEM_METHODS = (
    "put_item",
    "get_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "batch_get_item",
    "batch_write_item",
    "transact_write_items",
    "transact_get_items",
    "execute_statement",
    "execute_transaction",
    "batch_execute_statement",
)

_installed = False


def install() -> None:
    """Make each item request to the in-process moto one isolated step (idempotent). Install
    it before anything else that wraps these methods, so their wrappers run under it."""
    global _installed
    if _installed:
        return
    for name in ITEM_METHODS:
        setattr(DynamoDBBackend, name, _isolated(getattr(DynamoDBBackend, name)))
    _installed = True


def _isolated(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def isolated(*args: Any, **kwargs: Any) -> Any:
        with LOCK:
            return method(*args, **kwargs)

    return isolated
