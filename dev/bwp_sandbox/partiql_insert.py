"""PartiQL ``INSERT`` as DynamoDB documents it, where moto differs.

DynamoDB: ``INSERT INTO "table" VALUE {...}`` adds an item and fails with
``DuplicateItemException`` (``DuplicateItem`` in a BatchExecuteStatement answer) when an item
with that key exists; values may be ``?`` parameters. moto 5 overwrites the existing item
silently, and cannot read ``?`` in an INSERT. The audit trail is append-only *because* an
INSERT cannot overwrite, so the sandbox plays the documented behaviour for the one statement
shape the project writes (a flat ``VALUE`` of ``'name': ?`` pairs); any other statement goes
to moto unchanged.
"""

from __future__ import annotations

import re
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType

from bwp_sandbox import dynamodb_isolation

_INSERT = re.compile(r'^\s*INSERT\s+INTO\s+"([^"]+)"\s+VALUE\s+\{(.*)\}\s*$', re.I | re.S)
_PAIR = re.compile(r"\s*'([^']+)'\s*:\s*\?\s*")


class DuplicateItem(JsonRESTError):
    """What DynamoDB answers an INSERT of an existing key."""

    def __init__(self) -> None:
        super().__init__("DuplicateItemException", "Duplicate primary key exists in table")

    @property
    def name(self) -> str:
        """BatchExecuteStatement reports each statement's error by this name."""
        return "DuplicateItem"


def install() -> None:
    """Make the in-process moto answer parameterized INSERTs as DynamoDB does (idempotent)."""
    original = DynamoDBBackend.execute_statement
    if getattr(original, "_bwp_partiql_insert", False):
        return

    def execute_statement(
        self: DynamoDBBackend, statement: str, parameters: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        match = _INSERT.match(statement)
        if match is None or "?" not in match.group(2):
            return original(self, statement, parameters)
        names = [pair.group(1) for pair in _PAIR.finditer(match.group(2))]
        if len(names) != len(parameters) or not names:
            return original(self, statement, parameters)
        table = self.get_table(match.group(1))
        item = dict(zip(names, parameters, strict=True))
        key = {name: item[name] for name in table.table_key_attrs}
        with dynamodb_isolation.LOCK:  # the check and the put are one step, as in DynamoDB
            hash_key = key[table.hash_key_attr]
            range_key = key.get(table.range_key_attr) if table.range_key_attr else None
            existing = table.get_item(
                DynamoType(hash_key), DynamoType(range_key) if range_key else None
            )
            if existing is not None:
                raise DuplicateItem()
            table.put_item(item)
        return []

    original_batch = DynamoDBBackend.batch_execute_statement

    def batch_execute_statement(
        self: DynamoDBBackend, statements: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        if not all(_INSERT.match(s["Statement"]) for s in statements):
            return original_batch(self, statements)
        responses: list[dict[str, Any]] = []
        for stmt in statements:
            table = _INSERT.match(stmt["Statement"]).group(1)  # type: ignore[union-attr]
            try:
                execute_statement(self, stmt["Statement"], stmt.get("Parameters", []))
            except JsonRESTError as error:
                code = error.name if isinstance(error, DuplicateItem) else error.error_type
                responses.append({"Error": {"Code": code, "Message": error.message}})
            else:
                responses.append({"TableName": table})
        return responses

    execute_statement._bwp_partiql_insert = True  # type: ignore[attr-defined]
    DynamoDBBackend.execute_statement = execute_statement  # type: ignore[method-assign]
    DynamoDBBackend.batch_execute_statement = batch_execute_statement  # type: ignore[method-assign]
