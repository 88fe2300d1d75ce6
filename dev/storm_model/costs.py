"""What the storm costs, at the list prices of dev/cost (`prices.toml`, read by its loader):
every figure is a count the simulation made times one price. Free tiers are left out, as in
docs/cost.md."""

from __future__ import annotations

from dataclasses import dataclass

from cost.data import Prices, load_prices
from storm_model.storm import Storm

#: SQS requests per message the stack's queues carry: SNS's send, the event source's receive
#: and delete (batched: counted per batch below), none for empty polls (left out).
SQS_SEND_PER_MESSAGE = 1


@dataclass(frozen=True)
class CostLine:
    what: str
    count: float
    unit: str
    price: float

    @property
    def dollars(self) -> float:
        return self.count * self.price


def storm_costs(storm: Storm, prices: Prices | None = None) -> list[CostLine]:
    prices = prices or load_prices()
    p = {key: float(value.price) for key, value in prices.items.items()}
    functions = (storm.recorder, storm.reaction, storm.router)
    gb_seconds = sum(f.stats.gb_seconds for f in functions)
    invocations = sum(f.stats.invocations for f in functions)
    wcu = sum(storm.tables.wcu.values())
    rcu = sum(storm.tables.rcu.values())
    queues = (storm.reaction_queue, storm.alert_queue)
    sqs = sum(q.stats.sent * SQS_SEND_PER_MESSAGE + 2 * q.stats.batches for q in queues)
    sqs += sum(f.stats.parked for f in functions)
    outcomes = storm.outcomes
    return [
        CostLine(
            "Lambda compute (incl. init and slot waits)",
            gb_seconds,
            "GB-s",
            p["lambda_gb_second"],
        ),
        CostLine("Lambda requests", invocations, "requests", p["lambda_request"]),
        CostLine(
            "DynamoDB writes (tables, GSIs, pacer)", wcu, "WRU", p["dynamodb_write_request_unit"]
        ),
        CostLine("DynamoDB reads", rcu, "RRU", p["dynamodb_read_request_unit"]),
        CostLine(
            "Scheduler invocations",
            outcomes.schedules_fired,
            "invocations",
            p["scheduler_invocation"],
        ),
        CostLine("SNS publishes", outcomes.sns_publishes, "publishes", p["sns_publish"]),
        CostLine("SQS requests", sqs, "requests", p["sqs_request"]),
        CostLine(
            "EventBridge partner events (FAILED, COMPLETED)",
            outcomes.partner_events,
            "events",
            p["eventbridge_partner_event"],
        ),
        CostLine("Buy with Prime API (charges nothing per request)", 0, "requests", 0.0),
    ]


LEFT_OUT = (
    "free tiers; CloudWatch Logs, metrics and X-Ray traces of the storm's invocations; KMS "
    "requests of the encrypted topic and queues; the queues' empty polls; Scheduler's "
    "CreateSchedule and DeleteSchedule calls (not charged)"
)
