"""How fast the inbound function answers Slack: N signed button presses (default 200) POSTed
over HTTP to its function URL in the sandbox, one after another, each timed from the request's
send to its answer; p50 and p99 printed, with the first (the cold start) apart.

    uv run python -m bench.inbound_latency [--requests 200]

Slack waits three seconds for the answer. The sandbox runs the function in this process, over
a local moto (SQS, Secrets Manager): the figures are the function's own work plus a local
HTTP round trip, not Lambda's or AWS's network. Nothing is asserted on them (a busy machine
changes them): a person reads them.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from urllib.parse import urlencode

import requests

from bwp_privacy.contract.inbound import SLACK_RESUBMIT
from bwp_privacy.inbound import slack_signature
from bwp_sandbox.inbound import SLACK_ALLOWED_USER, SLACK_SIGNING_SECRET, SLACK_TEAM_ID
from bwp_sandbox.sandbox import running_sandbox
from bwp_sandbox.stack import drain_queue


def button_press(case_id: str, now: int) -> tuple[bytes, dict[str, str]]:
    """A resubmit button pressed on ``case_id``'s message, signed now as Slack signs it."""
    payload = {
        "type": "block_actions",
        "team": {"id": SLACK_TEAM_ID},
        "user": {"id": SLACK_ALLOWED_USER},
        "trigger_id": "1.2.bench",
        "response_url": "https://hooks.slack.com/actions/T0SANDBOX/1/bench",
        "actions": [{"type": "button", "action_id": SLACK_RESUBMIT, "value": case_id}],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(now),
        "X-Slack-Signature": slack_signature(SLACK_SIGNING_SECRET, str(now), body),
    }
    return body, headers


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of ``values``."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def measure(count: int) -> dict[str, float]:
    """Milliseconds to answer each of ``count`` button presses; the figures."""
    with running_sandbox() as sandbox:
        url = sandbox.inbound_url + "slack/actions"
        session = requests.Session()
        times: list[float] = []
        for n in range(count):
            body, headers = button_press(f"bench-case-{n}", int(time.time()))
            start = time.perf_counter()
            answer = session.post(url, data=body, headers=headers, timeout=30)
            times.append((time.perf_counter() - start) * 1000)
            if answer.status_code != 200:
                raise SystemExit(f"request {n}: HTTP {answer.status_code} {answer.text}")
        queued = len(drain_queue(sandbox.stack.inbound_queue_url, max_messages=count + 10))
    if queued != count:
        raise SystemExit(f"{queued} messages queued for {count} requests")
    warm = times[1:]
    return {
        "requests": count,
        "cold_ms": times[0],
        "p50_ms": percentile(times, 0.5),
        "p99_ms": percentile(times, 0.99),
        "warm_p50_ms": percentile(warm, 0.5),
        "warm_p99_ms": percentile(warm, 0.99),
        "warm_max_ms": max(warm),
        "warm_mean_ms": statistics.fmean(warm),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    figures = measure(args.requests)
    print(
        f"inbound function, {figures['requests']:.0f} Slack button presses over HTTP (sandbox):\n"
        f"  all:  p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms"
        f" (the first, cold: {figures['cold_ms']:.1f} ms)\n"
        f"  warm: p50 {figures['warm_p50_ms']:.1f} ms, p99 {figures['warm_p99_ms']:.1f} ms,"
        f" max {figures['warm_max_ms']:.1f} ms, mean {figures['warm_mean_ms']:.1f} ms\n"
        f"  Slack's limit: 3000 ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
