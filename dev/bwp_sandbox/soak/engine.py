"""Run the soak: recorder under Lambda-async rules, router under SQS rules, faults on; then
faults off, redrive the dead-letter queues with `bwp-privacy dlq redrive`, route again."""

from __future__ import annotations

import contextlib
import heapq
import io
import json
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from bwp_privacy.recorder import EventHeldError
from bwp_privacy_cli import dlq
from bwp_privacy_cli.local import LocalFunction, LocalLambdaContext, on_failure_record
from bwp_sandbox.admin import admin_client
from bwp_sandbox.event_source import SqsEventSource
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.soak.accounting import Accounting, Observations, account
from bwp_sandbox.soak.aws_faults import AwsFaultPlan, SimulatedCrash, injected
from bwp_sandbox.soak.workload import Workload, build_workload
from bwp_sandbox.stack import queue_depth

API_RATES = {
    "throttle": 0.04,
    "internal_error": 0.02,
    "http_status": 0.02,
    "timeout": 0.01,
    "slow": 0.02,
    "malformed_json": 0.02,
    "unauthorized": 0.01,
    "not_found": 0.01,
}
API_PARAMS: dict[str, dict[str, Any]] = {
    "timeout": {"seconds": 0.6},
    "slow": {"seconds": 0.05},
    "http_status": {"status": 503},
}
RECEIVER_RATES = {"429": 0.03, "5xx": 0.03, "reset": 0.02, "timeout": 0.01}
#: The receiver that refuses the alerts of ``Workload.receiver_outage`` (every task routes
#: to it): a grouped receiver, so other alerts sent with a refused one are retried too.
OUTAGE_RECEIVER = "webhook"
#: Short leases and timeouts, so the soak plays hours of retries in seconds. The lease on an
#: event is the invocation's time left: in Lambda nothing runs past its timeout, here a
#: starved process can, so the timeout leaves room for two busy workers on two cores.
FUNCTION_TIMEOUT_SECONDS = 3.0
FAST_SETTINGS = {
    "BWP_RETRY_BASE_SECONDS": "0.01",
    "BWP_HTTP_TIMEOUT_SECONDS": "0.4",
    "ALERT_HTTP_TIMEOUT_SECONDS": "0.4",
    "ALERT_RETRY_BASE_SECONDS": "0.01",
    "LEDGER_LEASE_SECONDS": "1",
    "POWERTOOLS_LOG_LEVEL": "CRITICAL",
}
#: As in template.yaml, the alert queue's visibility timeout outlasts a ledger lease (kept in
#: whole seconds): a batch whose invocation died comes back to claims that have expired.
ALERT_VISIBILITY_SECONDS = int(FAST_SETTINGS["LEDGER_LEASE_SECONDS"]) + 2
LAMBDA_ATTEMPTS = 3  # the first invocation and Lambda's two retries
TOKEN_REVOKE_EVERY = 150
#: Routing gives up only when nothing could be received for this long (never on a busy queue).
ROUTER_STALL_SECONDS = 120
PROGRESS_EVERY_SECONDS = 60
COLLECT_EVERY = 50  # deliveries between drains of the tap queues


@dataclass
class SoakConfig:
    events: int = 2000
    seed: int = 7
    workers: int = 2
    duplicate_alert_rate: float = 0.05


@dataclass
class SoakReport:
    config: SoakConfig
    workload: dict[str, int]
    faults: dict[str, Any]
    under_faults: Accounting
    after_redrive: Accounting
    seconds: float
    redrive: dict[str, Any] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)
    #: False if routing stalled with messages left (their alerts are counted as in flight).
    router_queue_drained: dict[str, bool] = field(default_factory=dict)
    #: Every AWS call the functions made, checked against their roles in the template:
    #: allowed calls per function and action, and every refused one.
    iam: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_soak(
    config: SoakConfig, sandbox: Sandbox, log: Callable[[str], None] = print
) -> SoakReport:
    """Everything in order; returns the accounting before and after the redrive."""
    started = time.monotonic()
    workload = build_workload(config.events, config.seed)
    for business_product, task in workload.tasks:
        sandbox.emulator.add_task(business_product, task)
    admin_client("sqs").set_queue_attributes(
        QueueUrl=sandbox.stack.alert_queue_url,
        Attributes={"VisibilityTimeout": str(ALERT_VISIBILITY_SECONDS)},
    )
    plan = AwsFaultPlan(
        seed=config.seed,
        failures_topic_arn=sandbox.stack.failures_topic_arn,
        alert_bus_name=sandbox.receivers.parameters["AlertEventBusName"],
    )
    seen = Observations()  # drained as the soak goes: moto slows down with long queues
    quiet = io.StringIO()
    with (
        contextlib.redirect_stdout(quiet),  # EMF metrics and logs: not the report's business
        injected(plan),
    ):
        app = sandbox.recorder.with_environment(**FAST_SETTINGS).cold_start()
        router = sandbox.router.with_environment(**FAST_SETTINGS).cold_start()
        sandbox.emulator.set_chaos(API_RATES, config.seed, API_PARAMS)
        sandbox.emulator.set_outage(workload.api_outage)
        sandbox.sink.set_chaos(RECEIVER_RATES, config.seed, hang_seconds=0.6)
        sandbox.sink.refuse(OUTAGE_RECEIVER, workload.receiver_outage)
        revocations = _record_all(app, workload, sandbox, config, seen)
        laps = _Laps(started, log)
        phases = {"recorder (s)": laps.lap("recorder")}
        seen.collect(sandbox)
        _duplicate_alert_messages(sandbox, config, seen)
        drained = {"under faults": _route_until_empty(router, sandbox, seen, log)}
        phases["router (s)"] = laps.lap("router")
        sandbox.emulator.set_chaos({}, 0)
        sandbox.emulator.set_outage([])
        sandbox.sink.set_chaos({}, 0)
        sandbox.sink.refuse(OUTAGE_RECEIVER, [])
        plan.enabled = False
    under_faults = account(workload, sandbox, seen)
    redrive = _redrive(sandbox)
    with contextlib.redirect_stdout(quiet):
        router = sandbox.router.with_environment(**FAST_SETTINGS).cold_start()
        drained["after redrive"] = _route_until_empty(router, sandbox, seen, log)
    phases["accounting, redrive, routing (s)"] = laps.lap("redrive")
    after = account(workload, sandbox, seen)
    refused = sandbox.aws.iam.denied()
    return SoakReport(
        config=config,
        workload={
            "deliveries": len(workload.deliveries),
            "valid events": len(workload.valid),
            "duplicates and replays": len(workload.deliveries)
            - len(workload.valid)
            - len(workload.malformed),
            "malformed": len(workload.malformed),
        },
        faults={
            "api (rates per request)": API_RATES,
            "receivers (rates per request)": RECEIVER_RATES,
            "aws (injected)": dict(plan.counts),
            "token revocations": revocations,
            "outages (tasks)": {
                "api": len(workload.api_outage),
                OUTAGE_RECEIVER: len(workload.receiver_outage),
            },
        },
        under_faults=under_faults,
        after_redrive=after,
        seconds=round(time.monotonic() - started, 1),
        redrive=redrive,
        phases=phases,
        router_queue_drained=drained,
        iam={
            "allowed": {
                function: dict(sorted(actions.items()))
                for function, actions in sandbox.aws.iam.summary().items()
            },
            "refused": [f"{r.function}: {r.action} on {r.resource}" for r in refused],
        },
    )


class _Laps:
    """Seconds per phase, logged as each ends (the soak runs for minutes)."""

    def __init__(self, started: float, log: Callable[[str], None]) -> None:
        self._last = started
        self._log = log

    def lap(self, phase: str) -> float:
        now = time.monotonic()
        seconds, self._last = round(now - self._last, 1), now
        self._log(f"{phase} done in {seconds:.0f}s")
        return seconds


def _record_all(
    app: LocalFunction, workload: Workload, sandbox: Sandbox, config: SoakConfig, seen: Observations
) -> int:
    """Lambda async semantics: 3 attempts per delivery, retries later, then OnFailure."""
    queue: list[tuple[float, int, int]] = [(0.0, i, 1) for i in range(len(workload.deliveries))]
    heapq.heapify(queue)
    lock = threading.Condition()
    running = 0
    revocations = 0
    done = 0

    def attempt(index: int, number: int) -> None:
        nonlocal running, done, revocations
        event = workload.deliveries[index]
        retry_in: float | None = None
        error: BaseException | None = None
        try:
            app.handler(event, LocalLambdaContext(timeout_seconds=FUNCTION_TIMEOUT_SECONDS))
        except SimulatedCrash as crash:
            error, retry_in = crash, FUNCTION_TIMEOUT_SECONDS + 0.1  # the lease must run out
        except EventHeldError as held:
            # Another attempt holds the event. Lambda's retry comes a minute later, past the
            # holder's lease (at most the function timeout): the same here, in soak time.
            error, retry_in = held, FUNCTION_TIMEOUT_SECONDS + 0.1
        except Exception as failure:
            error, retry_in = failure, 0.2
        with lock:
            running -= 1
            if error is not None and number < LAMBDA_ATTEMPTS:
                heapq.heappush(queue, (time.monotonic() + (retry_in or 0), index, number + 1))
            else:
                done += 1
                if done % TOKEN_REVOKE_EVERY == 0:
                    sandbox.emulator.revoke_tokens()
                    revocations += 1
            lock.notify_all()
        if error is not None and number >= LAMBDA_ATTEMPTS:
            app.client("sqs").send_message(  # Lambda's OnFailure send, with the role
                QueueUrl=sandbox.stack.on_failure_queue_url,
                MessageBody=json.dumps(on_failure_record(event, error, LAMBDA_ATTEMPTS)),
            )

    with ThreadPoolExecutor(max_workers=config.workers) as pool:
        while True:
            with lock:
                while queue and (running >= config.workers or queue[0][0] > time.monotonic()):
                    lock.wait(timeout=max(0.01, queue[0][0] - time.monotonic()) if queue else None)
                if not queue:
                    if running == 0:
                        break
                    lock.wait()
                    continue
                _, index, number = heapq.heappop(queue)
                running += 1
            pool.submit(attempt, index, number)
            if index % COLLECT_EVERY == 0:
                seen.collect(sandbox)
    return revocations


def _duplicate_alert_messages(sandbox: Sandbox, config: SoakConfig, seen: Observations) -> None:
    """SQS delivers at least once: send a copy of some failure messages to the alert queue."""
    rng = random.Random(config.seed)
    sqs = admin_client("sqs")
    for event_id in sorted(seen.bodies):
        if rng.random() < config.duplicate_alert_rate:
            sqs.send_message(
                QueueUrl=sandbox.stack.alert_queue_url, MessageBody=seen.bodies[event_id]
            )


def _route_until_empty(
    router: LocalFunction,
    sandbox: Sandbox,
    seen: Observations,
    log: Callable[[str], None],
    stall_seconds: float = ROUTER_STALL_SECONDS,
) -> bool:
    """Poll like the event source mapping until nothing is visible or in flight.

    The loop ends by itself: each message is deleted or, after maxReceiveCount receives,
    moved to the DLQ. It gives up only if nothing could be received for ``stall_seconds``
    while messages remain (what is left is then counted as in flight, never as delivered).
    """

    source = SqsEventSource(sandbox.stack.alert_queue_url, router, batch_size=100)
    last_progress = next_report = time.monotonic()
    while time.monotonic() - last_progress < stall_seconds:
        received = source.poll_once().received
        seen.collect(sandbox)
        now = time.monotonic()
        if received:
            last_progress = now
        elif sum(queue_depth(sandbox.stack.alert_queue_url)) == 0:
            return True
        else:
            time.sleep(0.1)  # simulated time: wait for visibility timeouts to run out
        if now >= next_report:
            queued = sum(queue_depth(sandbox.stack.alert_queue_url))
            log(f"router: {queued} message(s) on the alert queue")
            next_report = now + PROGRESS_EVERY_SECONDS
    log(f"router: stalled for {stall_seconds:.0f}s with messages still queued")
    return False


def _redrive(sandbox: Sandbox) -> dict[str, Any]:
    """What `bwp-privacy dlq redrive` does, against this sandbox: every dead-letter queue."""
    target = sandbox.target()
    names, _ = dlq.selected_queues(target, "all")
    with target.aws():
        results = dlq.redrive(target, names, limit=10_000)
    redriven = sum(result.redriven for result in results)
    return {
        "exit code": 0 if redriven == len(results) else 1,
        "redriven": redriven,
        "kept": len(results) - redriven,
    }
