"""The receiver sink run as a module, as `python -m bwp_sandbox.sink` would be."""

from __future__ import annotations

import subprocess
import sys

import requests

from bwp_sandbox.sink import ReceiverSink


def test_the_module_serves_until_terminated() -> None:
    command = [sys.executable, "-m", "bwp_sandbox.sink", "--port", "0"]
    # A fixed command line: nothing untrusted reaches the subprocess.
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:  # noqa: S603
        try:
            assert process.stdout is not None
            assert process.stdout.readline().startswith("Receiver sink on ")
            webhook_line = next(line for line in process.stdout if "webhook" in line)
            url = webhook_line.split()[-1]
            answer = requests.post(url, json={"alerts": []}, timeout=2)
            assert answer.status_code == 401  # unsigned: the sink checks the signature
        finally:
            process.terminate()
            assert process.wait(timeout=5) == 0
        assert "stopped" in process.stdout.read()


def test_a_slack_response_url_takes_a_message_and_records_it() -> None:
    with ReceiverSink() as sink:
        url = sink.slack_response_url("a1")
        assert url.startswith(sink.slack_response_url_prefix)
        message = {"response_type": "ephemeral", "replace_original": False, "text": "no"}
        assert requests.post(url, json=message, timeout=2).status_code == 200
        for refused in ({"text": ""}, {"text": "x", "response_type": "everyone"}, ["x"]):
            assert requests.post(url, json=refused, timeout=2).status_code == 400
        assert sink.slack_responses() == [{"path": "/slack/response/a1", "body": message}]
        sink.clear()
        assert sink.slack_responses() == []
