"""The soak's events and the emulator's tasks behind them, all from one seed."""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass, field
from typing import Any

from bwp_sandbox.stack import PROJECT_ROOT

BUSINESS_PRODUCTS = ("bp-soak-a", "bp-soak-b", "bp-soak-c")
CODES = (
    ("ORDERS_NOT_CLOSED", 0.6),
    ("DATA_SUBJECT_NOT_FOUND", 0.25),
    ("SOAK_UNKNOWN_CODE", 0.1),
    (None, 0.05),  # the task is missing: the lookup fails for good (ResourceNotFound)
)

OUTAGE_PERCENT = 1
OUTAGE_SEED_OFFSET = 1_000_003  # the outages' own random stream: the events stay the same

#: The malformed kind that is a well-formed COMPLETED event: the recorder's (a FAILED rule's
#: target) to reject, the reaction's to take.
COMPLETED_DETAIL_TYPE_FAULT = "detail-type"


@dataclass
class Workload:
    """Deliveries in order, which of them are valid, and the tasks to seed."""

    deliveries: list[dict[str, Any]]
    valid: dict[str, dict[str, Any]] = field(default_factory=dict)  # event id -> event
    malformed: dict[str, str] = field(default_factory=dict)  # marker -> what is wrong
    tasks: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: Tasks the API cannot serve while faults are on: their events exhaust Lambda's retries.
    api_outage: set[str] = field(default_factory=set)
    #: Tasks a receiver refuses while faults are on: their alerts exhaust SQS's receives.
    receiver_outage: set[str] = field(default_factory=set)


def build_workload(total: int, seed: int) -> Workload:
    """About ``total`` deliveries: 20% duplicates, replays, 5% malformed, shuffled."""
    rng = random.Random(seed)
    template = json.loads((PROJECT_ROOT / "events" / "deletion-task-failed.json").read_text())
    malformed_count = max(1, total * 5 // 100)
    duplicate_count = total * 20 // 100
    replay_count = total * 5 // 100
    unique = max(1, total - malformed_count - duplicate_count - replay_count)
    workload = Workload(deliveries=[])
    for n in range(unique):
        bp = rng.choice(BUSINESS_PRODUCTS)
        task_id = f"soak-{seed}-{n:05d}"
        event = copy.deepcopy(template)
        event["id"] = f"soak-event-{seed}-{n:05d}"
        event["resources"] = [f"businessProduct/{bp}/personalDataDeletionTask/{task_id}"]
        workload.valid[event["id"]] = event
        workload.deliveries.append(event)
        code = _pick(rng)
        if code is not None:
            workload.tasks.append(
                (bp, {"taskId": task_id, "errors": [{"code": code, "message": f"{code} (soak)"}]})
            )
    originals = list(workload.valid.values())
    for _ in range(duplicate_count):
        workload.deliveries.append(copy.deepcopy(rng.choice(originals)))
    for n in range(replay_count):
        replayed = copy.deepcopy(rng.choice(originals))
        replayed["replay-name"] = f"soak-replay-{n}"
        workload.deliveries.append(replayed)
    for n in range(malformed_count):
        event, reason = _malformed(rng, copy.deepcopy(template), n, seed)
        workload.malformed[f"soak-malformed-{seed}-{n}"] = reason
        workload.deliveries.append(event)
    rng.shuffle(workload.deliveries)  # out of order
    _pick_outages(workload, random.Random(seed + OUTAGE_SEED_OFFSET))
    return workload


def _pick_outages(workload: Workload, rng: random.Random) -> None:
    """About 1% of the tasks each (at least one): disjoint, so each outage parks its own."""
    task_ids = sorted(task["taskId"] for _, task in workload.tasks)
    count = max(1, len(task_ids) * OUTAGE_PERCENT // 100)
    chosen = rng.sample(task_ids, min(len(task_ids), 2 * count))
    workload.api_outage = set(chosen[:count])
    workload.receiver_outage = set(chosen[count:])


def _pick(rng: random.Random) -> str | None:
    draw, total = rng.random(), 0.0
    for code, weight in CODES:
        total += weight
        if draw < total:
            return code
    return CODES[0][0]


def _malformed(
    rng: random.Random, event: dict[str, Any], n: int, seed: int
) -> tuple[dict[str, Any], str]:
    event["id"] = f"soak-malformed-{seed}-{n}"
    kind = rng.choice(["source", "resource", COMPLETED_DETAIL_TYPE_FAULT, "detail", "time"])
    if kind == "source":
        event["source"] = "aws.partner/not-buywithprime/x"
    elif kind == "resource":
        event["resources"] = ["businessProduct/bp-soak-a/personalDataDeletionTask/"]
    elif kind == COMPLETED_DETAIL_TYPE_FAULT:
        event["detail-type"] = "PERSONAL_DATA_DELETION_TASK_COMPLETED"
    elif kind == "detail":
        event["detail"] = "not an object"
    else:
        event["time"] = "yesterday"
    return event, kind
