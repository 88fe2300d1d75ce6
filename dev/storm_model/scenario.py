"""The storm's shoppers and what Buy with Prime does with their tasks (the model's assumptions,
printed by the report).

One merchant (one business product), ``failures`` deletion tasks failing within the storm's
hour at uniformly random seconds. Most failed with ORDERS_NOT_CLOSED: the shopper still had
open orders, which close some days to weeks later; a task started after they closed completes,
one started before fails again with ORDERS_NOT_CLOSED. The rest failed with
DATA_SUBJECT_NOT_FOUND (the shipped playbook closes those at once: nothing to delete).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from bwp_privacy.reaction.playbooks import DATA_SUBJECT_NOT_FOUND, ORDERS_NOT_CLOSED

BUSINESS_PRODUCT_ID = "amzn1.bp.storm-merchant-0001"
#: Share of the failures that are ORDERS_NOT_CLOSED (the rest DATA_SUBJECT_NOT_FOUND).
ORDERS_NOT_CLOSED_SHARE = 0.9
#: When the shopper's orders close after the failure: lognormal, median 10 days (about 2 %
#: later than 35 days: those run out of attempts and are escalated).
ORDERS_CLOSE_MEDIAN_DAYS = 10.0
ORDERS_CLOSE_SIGMA = 0.6
#: When the failed task was submitted, before it failed (its case's clock starts there).
SUBMITTED_BEFORE_FAILURE_DAYS = (0.0, 2.0)
#: A started task's processing time before its outcome (after its holding period).
PROCESSING_HOURS = (1.0, 24.0)

DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class Shopper:
    index: int
    task_id: str
    code: str
    failed_at: float
    submitted_at: float
    #: When the shopper's last order closes (never, for DATA_SUBJECT_NOT_FOUND: no attempt).
    orders_close_at: float


def shoppers(count: int, storm_hours: float, rng: random.Random) -> list[Shopper]:
    found: list[Shopper] = []
    for index in range(count):
        failed = rng.uniform(0.0, storm_hours * 3600.0)
        submitted = failed - rng.uniform(*SUBMITTED_BEFORE_FAILURE_DAYS) * DAY
        if rng.random() < ORDERS_NOT_CLOSED_SHARE:
            code = ORDERS_NOT_CLOSED
            close = failed + DAY * rng.lognormvariate(
                math.log(ORDERS_CLOSE_MEDIAN_DAYS), ORDERS_CLOSE_SIGMA
            )
        else:
            code, close = DATA_SUBJECT_NOT_FOUND, math.inf
        found.append(Shopper(index, task_id(rng), code, failed, submitted, close))
    found.sort(key=lambda shopper: shopper.failed_at)
    return found


def task_id(rng: random.Random) -> str:
    """A task id as long as Buy with Prime's (a UUID): item sizes depend on it."""
    return "%08x-%04x-4%03x-%04x-%012x" % (  # noqa: UP031 (a UUID's layout reads best so)
        rng.getrandbits(32),
        rng.getrandbits(16),
        rng.getrandbits(12),
        0x8000 | rng.getrandbits(14),
        rng.getrandbits(48),
    )


def processing_s(rng: random.Random) -> float:
    return rng.uniform(*PROCESSING_HOURS) * 3600.0


ASSUMPTIONS = (
    f"one merchant, one business product ({BUSINESS_PRODUCT_ID}); the failures' times uniform "
    "over the storm's hours",
    f"{ORDERS_NOT_CLOSED_SHARE:.0%} ORDERS_NOT_CLOSED, {1 - ORDERS_NOT_CLOSED_SHARE:.0%} "
    "DATA_SUBJECT_NOT_FOUND",
    f"the shopper's orders close a lognormal time after the failure (median "
    f"{ORDERS_CLOSE_MEDIAN_DAYS:g} days, sigma {ORDERS_CLOSE_SIGMA:g}); a task started after "
    "that completes, one started before fails again with ORDERS_NOT_CLOSED",
    f"the failed task was submitted {SUBMITTED_BEFORE_FAILURE_DAYS[0]:g} to "
    f"{SUBMITTED_BEFORE_FAILURE_DAYS[1]:g} days before it failed (the case's clock starts there)",
    f"a started task's outcome comes after its holding period plus {PROCESSING_HOURS[0]:g} to "
    f"{PROCESSING_HOURS[1]:g} hours (uniform)",
)
