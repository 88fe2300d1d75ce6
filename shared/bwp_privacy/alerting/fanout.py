"""Every receiver's delivery side by side, within the invocation's budget.

Receivers are delivered each in a thread of its own, so a slow one holds no other back, and
the answer is ready before the invocation's time is up whatever a receiver does: a receiver
still busy when the answer is due fails its records (`DeliveryOutOfTime`). Their claims expire
with their lease, and the ledger keeps what did go out from going out again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait

from aws_lambda_powertools import Logger

from bwp_privacy.alerting.deliver_once import Deliverer, Delivery
from bwp_privacy.alerting.grouping import AlertGroup
from bwp_privacy.common import Budget, BwpPrivacyError

logger = Logger(child=True)

#: Receivers delivered at once (there are six kinds): a thread each.
MAX_PARALLEL_RECEIVERS = 6


class DeliveryOutOfTime(BwpPrivacyError, RuntimeError):
    """The delivery had not ended when the answer was due; the record is retried later."""


def deliver_all(
    groups: Mapping[str, Sequence[AlertGroup]],
    deliverers: Mapping[str, Deliverer],
    budget: Budget,
) -> Delivery:
    """Each receiver's groups through its deliverer, all at once; one answer for them all."""
    if not groups:
        return Delivery()
    pool = ThreadPoolExecutor(
        max_workers=min(MAX_PARALLEL_RECEIVERS, len(groups)), thread_name_prefix="receiver"
    )
    futures = {
        pool.submit(deliverers[receiver].deliver, receiver_groups): receiver
        for receiver, receiver_groups in groups.items()
    }
    left = budget.left()
    done, late = wait(futures, timeout=None if left is None else max(left, 0.0))
    pool.shutdown(wait=False, cancel_futures=True)
    answer = Delivery()
    for future in done:
        delivery = future.result()
        answer.failures += delivery.failures
        answer.sent += delivery.sent
    for future in late:
        receiver = futures[future]
        error = DeliveryOutOfTime(f"{receiver}: still delivering when the answer was due")
        logger.warning("Receiver out of time", extra={"receiver": receiver})
        answer.failures += [(r, error) for group in groups[receiver] for r in group.records()]
    return answer
