"""The reaction's second SQS source, InboundQueue: deployed with the inbound queue only, two at
a time, its failures reported per record, and the claims' lease fitting the function's timeout
and the queue's visibility timeout (so a live invocation is never overtaken, and the retry of
one that died finds its lease run out)."""

from __future__ import annotations

from datetime import timedelta

from bwp_privacy.reaction.inbound_claims import LEASE
from bwp_sandbox.stack import load_template

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]


def test_inbound_actions_reach_the_reaction_only_when_inbound_requests_are_taken() -> None:
    mapping = RESOURCES["ReactionInboundActions"]
    assert mapping["Type"] == "AWS::Lambda::EventSourceMapping"
    assert mapping["Condition"] == RESOURCES["InboundQueue"]["Condition"] == "HasInbound"
    assert mapping["Properties"] == {
        "FunctionName": {"Ref": "ReactionFunction"},
        "EventSourceArn": {"GetAtt": "InboundQueue.Arn"},
        "BatchSize": 10,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "ScalingConfig": {"MaximumConcurrency": 2},
    }
    env = RESOURCES["ReactionFunction"]["Properties"]["Environment"]["Variables"]
    assert env["INBOUND_QUEUE_ARN"] == {"If": ["HasInbound", {"GetAtt": "InboundQueue.Arn"}, ""]}
    assert env["SLACK_RESPONSE_URL_PREFIX"] == {"Ref": "SlackResponseUrlPrefix"}
    assert TEMPLATE["Parameters"]["SlackResponseUrlPrefix"]["Default"] == "https://hooks.slack.com/"


def test_a_claims_lease_outlasts_an_invocation_and_ends_before_its_retry() -> None:
    timeout = RESOURCES["ReactionFunction"]["Properties"].get(
        "Timeout", TEMPLATE["Globals"]["Function"]["Timeout"]
    )
    visibility = RESOURCES["InboundQueue"]["Properties"]["VisibilityTimeout"]
    assert timedelta(seconds=timeout) < LEASE < timedelta(seconds=visibility)
