"""DynamoDB as the storm writes it: item sizes measured on the items the real code builds
(the recorder store's `to_item`, the cases store's put), write units per write (1 KB each,
rounded up), and the writes of each index partition by the second, against the per-partition
limit of 1,000 write units a second.

Size is DynamoDB's: each attribute's name plus its value (a string's UTF-8 bytes, a number's
significant digits halved plus one, 3 bytes plus the elements of a list or map, 1 for a
boolean or null).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from bwp_privacy.cases import Case, CaseStore
from bwp_privacy.contract import LookupOutcome, LookupStatus, TaskError, TaskFailure
from bwp_privacy.recorder.store import FailureStore
from storm_model.world import PerSecond

PARTITION_WCU_LIMIT = 1000
#: Retention as the template's default RetentionDays (only the TTL number's digits depend on it).
_RETENTION_DAYS = 730
#: The recorder's claim (taskId, eventId, claim token, claimedUntil, expiresAt): in no index.
CLAIM_BYTES = 200
#: A task's link item in CasesTable (pk TASK#id, caseId, attempt).
TASK_LINK_BYTES = 120
#: The pacer's item (pk, tat).
PACER_ITEM_BYTES = 30


def write_units(size_bytes: int) -> int:
    return max(1, math.ceil(size_bytes / 1024))


def read_units(size_bytes: int) -> int:
    """Strongly consistent reads (the conservative case): 4 KB a unit."""
    return max(1, math.ceil(size_bytes / 4096))


def item_size(item: Mapping[str, Any]) -> int:
    """The size of an item, typed (``{"S": ...}``) or plain."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: Any) -> int:
    if isinstance(value, dict) and len(value) == 1:
        ((kind, inner),) = value.items()
        if kind == "S":
            return len(str(inner).encode())
        if kind == "N":
            return _number_size(str(inner))
        if kind in ("BOOL", "NULL"):
            return 1
        if kind == "L":
            return 3 + sum(1 + _value_size(v) for v in inner)
        if kind == "M":
            return 3 + sum(len(k.encode()) + 1 + _value_size(v) for k, v in inner.items())
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, int | float):
        return _number_size(repr(value))
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, list | tuple):
        return 3 + sum(1 + _value_size(v) for v in value)
    if isinstance(value, dict):
        return 3 + sum(len(k.encode()) + 1 + _value_size(v) for k, v in value.items())
    return len(str(value).encode())


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").lstrip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def failure_record_size(task_id: str, business_product_id: str, code: str, at: datetime) -> int:
    """A failure record as the recorder stores it (the real `FailureStore.to_item`)."""
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    failure = TaskFailure(
        event_id="f3a9c2de-5b7a-4c1e-9d2f-0a1b2c3d4e5f",
        event_time=stamp,
        detail_type="PERSONAL_DATA_DELETION_TASK_FAILED",
        business_product_id=business_product_id,
        task_id=task_id,
        status="FAILED",
        submission_date=stamp,
        last_updated_date=stamp,
        holding_period=0,
        errors=[TaskError(code=code, message=f"{code}: the task could not be processed")],
        lookup=LookupOutcome(status=LookupStatus.OK),
        received_at=stamp,
    )
    store = FailureStore(None, "FailuresTable", _RETENTION_DAYS)
    item = store.to_item(failure, at)
    item["publishedAt"] = stamp
    return item_size(item)


class CaseSizes:
    """Case item sizes, measured on the cases store's own item (`CaseStore.to_item`, what
    every write puts) the first time a case of each shape is written: a case's size depends
    on its state and how many transitions and tasks it holds, barely on the rest."""

    def __init__(self) -> None:
        self._store = CaseStore(None, "CasesTable", _RETENTION_DAYS)
        self._sizes: dict[tuple[str, int, int], int] = {}

    def size(self, case: Case) -> int:
        shape = (case.state.value, len(case.transitions), len(case.tasks))
        found = self._sizes.get(shape)
        if found is None:
            found = self._sizes[shape] = item_size(self._store.to_item(case))
        return found


class Tables:
    """Write and read units by table, and by index partition and second."""

    def __init__(self) -> None:
        self.wcu: dict[str, float] = {}
        self.rcu: dict[str, float] = {}
        self.partitions: dict[str, PerSecond] = {}
        self.case_sizes = CaseSizes()
        self._failure_sizes: dict[str, int] = {}

    def _write(self, table: str, units: float, at: float, partition: str | None = None) -> None:
        self.wcu[table] = self.wcu.get(table, 0.0) + units
        if partition is not None:
            self.partitions.setdefault(partition, PerSecond()).add(at, units)

    def read(self, table: str, size_bytes: int) -> None:
        self.rcu[table] = self.rcu.get(table, 0.0) + read_units(size_bytes)

    # ---- FailuresTable -------------------------------------------------------------------

    def failure_claim(self, at: float) -> None:
        self._write("FailuresTable", write_units(CLAIM_BYTES), at)

    def failure_released(self, at: float) -> None:
        self._write("FailuresTable", write_units(CLAIM_BYTES), at)

    def failure_record(
        self, at: float, moment: datetime, task_id: str, business_product_id: str, code: str
    ) -> None:
        size = self._failure_sizes.get(code)
        if size is None:
            size = self._failure_sizes[code] = failure_record_size(
                task_id, business_product_id, code, moment
            )
        units = write_units(size)
        self._write("FailuresTable", units, at)
        # Both indexes project every attribute: the record is written to each again.
        day = moment.date().isoformat()
        self._write("FailuresTable", units, at, f"FailuresTable ByReceivedDay {day}")
        self._write(
            "FailuresTable",
            units,
            at,
            f"FailuresTable ByBusinessProduct {business_product_id}",
        )

    # ---- CasesTable ----------------------------------------------------------------------

    def case_read(self, case: Case | None) -> None:
        self.read("CasesTable", TASK_LINK_BYTES)
        if case is not None:
            self.read("CasesTable", self.case_sizes.size(case))

    def case_written(
        self, at: float, before: Case | None, after: Case, *, link_task: bool = False
    ) -> None:
        size = self.case_sizes.size(after)
        units = write_units(max(size, self.case_sizes.size(before) if before else 0))
        self._write("CasesTable", units, at)
        if link_task:
            self._write("CasesTable", write_units(TASK_LINK_BYTES), at)
        # ByState: the new image is put in its state's partition; a state change deletes the
        # old image from the old state's partition.
        self._write("CasesTable", write_units(size), at, f"CasesTable ByState {after.state.value}")
        if before is not None and before.state is not after.state:
            self._write(
                "CasesTable",
                write_units(self.case_sizes.size(before)),
                at,
                f"CasesTable ByState {before.state.value}",
            )

    # ---- ApiBudgetTable ------------------------------------------------------------------

    def pacer_writes(self, key: str, writes: PerSecond) -> None:
        for second, count in writes.counts.items():
            self._write(
                "ApiBudgetTable",
                count * write_units(PACER_ITEM_BYTES),
                second,
                f"ApiBudgetTable {key}",
            )

    def peaks(self) -> list[tuple[str, float, float]]:
        """(partition, peak write units in a second, total), the busiest first."""
        rows = [(name, s.peak(), s.total) for name, s in self.partitions.items()]
        return sorted(rows, key=lambda row: -row[1])


def days(delta: timedelta) -> float:
    return delta / timedelta(days=1)
