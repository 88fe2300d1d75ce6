"""The soak's reading: an alert not delivered is parked, still in flight, or lost, and lost
only when its failure message is nowhere; however slow the reading, it misses nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from moto.sqs import models as sqs_models

from bwp_privacy_cli.local import LocalLambdaContext
from bwp_sandbox.admin import admin_client
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.soak.accounting import (
    Observations,
    QueueReading,
    ReceiverCount,
    account,
    held_messages,
)
from bwp_sandbox.soak.workload import Workload, build_workload

pytestmark = pytest.mark.integration

#: Every task's alert goes to the webhook (the soak's outage receiver relies on it).
RECEIVER = "webhook"


@dataclass
class Recorded:
    workload: Workload
    #: The alert queue's messages, one per failure the recorder published.
    messages: list[dict[str, Any]]


@pytest.fixture
def recorded(sandbox: Sandbox) -> Recorded:
    """A small soak workload recorded without faults: each valid event stored, and its
    failure message on the alert queue (nothing routed yet), received once."""
    workload = build_workload(24, seed=11)
    for business_product, task in workload.tasks:
        sandbox.emulator.add_task(business_product, task)
    app = sandbox.recorder.cold_start()
    for event in workload.valid.values():
        app.handler(event, LocalLambdaContext())
    sqs = admin_client("sqs")
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=sandbox.stack.alert_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=600
    ).get("Messages", []):
        messages += batch
    assert len(messages) == len(workload.valid)
    return Recorded(workload, messages)


def _task(message: dict[str, Any]) -> str:
    task: str = json.loads(message["Body"])["taskId"]
    return task


def test_an_alert_not_delivered_is_parked_in_flight_or_lost_only_when_gone(
    sandbox: Sandbox, recorded: Recorded
) -> None:
    sqs = admin_client("sqs")
    queue, dlq = sandbox.stack.alert_queue_url, sandbox.stack.alert_dlq_url
    parked, in_flight, visible, [gone] = (
        recorded.messages[:6],
        recorded.messages[6:9],
        recorded.messages[9:-1],
        recorded.messages[-1:],
    )
    for message in parked:  # moved to the DLQ (as maxReceiveCount does)
        sqs.send_message(QueueUrl=dlq, MessageBody=message["Body"])
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    # Received by an invocation that failed them: out of sight for their visibility timeout.
    # A reading by receives could not see these (and used to wait for them, then call them
    # lost).
    for message in visible:
        sqs.change_message_visibility(
            QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=gone["ReceiptHandle"])  # truly gone
    before = held_messages(queue), held_messages(dlq)

    reading = account(recorded.workload, sandbox, Observations())

    assert reading.receivers[RECEIVER] == ReceiverCount(
        expected=len(recorded.messages),
        parked=len(parked),
        in_flight=len(in_flight) + len(visible),
        lost=1,
    )
    assert reading.examples[f"lost {RECEIVER}"] == [_task(gone)]
    assert sorted(reading.examples[f"in flight {RECEIVER}"]) == sorted(
        _task(m) for m in in_flight + visible
    )
    for name, count in reading.receivers.items():  # each alert counted once, somewhere
        assert count.expected == (
            count.once + count.duplicated + count.parked + count.in_flight + count.lost
        ), name
    # What the reading looked at, with the receive counts.
    assert reading.queues["alert queue"] == QueueReading(
        messages=len(in_flight) + len(visible),
        in_flight=len(in_flight),
        receive_counts={1: len(in_flight) + len(visible)},
    )
    assert reading.queues["alert DLQ"] == QueueReading(
        messages=len(parked), in_flight=0, receive_counts={0: len(parked)}
    )
    # The reading received nothing: no receive count moved, nothing was put in flight (a
    # receive on the alert queue counts towards its maxReceiveCount and can move a message
    # to the DLQ).
    assert (held_messages(queue), held_messages(dlq)) == before


@pytest.fixture
def slow_receives(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ReceiveMessage takes 10 s of SQS's time (moto's clock moved on by each one): a
    busy machine, where moto may take a second or more per receive, made certain and quick."""
    clock = sqs_models.unix_time_millis  # type: ignore[attr-defined]
    offset = [0.0]
    receive = sqs_models.SQSBackend.receive_message

    def slow(self: Any, *args: Any, **kwargs: Any) -> Any:
        offset[0] += 10_000
        return receive(self, *args, **kwargs)

    def later() -> float:
        return float(clock()) + offset[0]

    monkeypatch.setattr(sqs_models, "unix_time_millis", later)
    monkeypatch.setattr(sqs_models.SQSBackend, "receive_message", slow)


def test_a_reading_slower_than_a_visibility_timeout_still_finds_every_parked_alert(
    sandbox: Sandbox, recorded: Recorded, slow_receives: None
) -> None:
    # The 2,000-event run: hundreds of alerts parked, the reading received them ten at a
    # time with a 60 s visibility timeout, and took longer than that. The first ones came
    # back, the reading took that for the end of the queue, and the last ones parked were
    # counted lost. Here each receive takes 10 s: a reading by receives would stop after six.
    sqs = admin_client("sqs")
    dlq = sandbox.stack.alert_dlq_url
    for n in range(0, 80, 10):  # parked first: other tasks' alerts, more than six receives
        sqs.send_message_batch(
            QueueUrl=dlq,
            Entries=[
                {"Id": str(i), "MessageBody": json.dumps({"taskId": f"another-{n + i}"})}
                for i in range(10)
            ],
        )
    for message in recorded.messages:  # parked last
        sqs.send_message(QueueUrl=dlq, MessageBody=message["Body"])
        sqs.delete_message(
            QueueUrl=sandbox.stack.alert_queue_url, ReceiptHandle=message["ReceiptHandle"]
        )

    reading = account(recorded.workload, sandbox, Observations())

    assert reading.queues["alert DLQ"].messages == 80 + len(recorded.messages)
    assert reading.receivers[RECEIVER] == ReceiverCount(
        expected=len(recorded.messages), parked=len(recorded.messages)
    )
    assert reading.delivery_lost == 0
