"""`bwp-privacy doctor` on the inbound side of the sandbox (Slack's actions and PagerDuty's
webhooks on, dev/bwp_sandbox/inbound.py): every check passes with the Slack secret README asks
for; each check fails once, saying why and how to fix it, and never shows a secret; a stack
that takes neither has none of these checks."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from bwp_privacy_cli.targets import SandboxTarget
from bwp_sandbox.inbound import (
    PAGERDUTY_SIGNING_SECRETS,
    SLACK_SIGNING_SECRET,
    SLACK_TEAM_ID,
)
from bwp_sandbox.sandbox import Sandbox
from bwp_sandbox.sink import SLACK_BOT_TOKEN
from tests.cli.conftest import Run
from tests.cli.test_doctor import valid

pytestmark = pytest.mark.integration

INBOUND_CHECKS = {
    "inbound slack team",
    "inbound slack secret",
    "inbound pagerduty secret",
    "inbound URL",
}
#: What a secret may hold; never in doctor's output, whatever the check found.
SECRETS = (SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, *PAGERDUTY_SIGNING_SECRETS)


def _slack_secret(sandbox: Sandbox, value: dict[str, Any]) -> None:
    boto3.client("secretsmanager").put_secret_value(
        SecretId=sandbox.stack.parameters["SlackSecretName"], SecretString=json.dumps(value)
    )


def _as_readme_says(sandbox: Sandbox) -> None:
    """The Slack secret as docs/chat-actions.md has it stored: a bot, and the signing secret."""
    _slack_secret(
        sandbox,
        {
            "botToken": SLACK_BOT_TOKEN,
            "channel": "C0PRIVACY",
            "signingSecret": SLACK_SIGNING_SECRET,
        },
    )


def _pagerduty_secret(sandbox: Sandbox, text: str) -> None:
    boto3.client("secretsmanager").put_secret_value(
        SecretId=sandbox.stack.parameters["PagerDutyWebhookSecretName"], SecretString=text
    )


def _doctor(invoke: Run) -> tuple[int, dict[str, dict[str, Any]], str]:
    """doctor --json's checks by name, and its human output, each checked for secrets."""
    result = invoke("doctor", "--json")
    human = invoke("doctor")
    for secret in SECRETS:
        assert secret not in result.stdout + result.stderr + human.stdout + human.stderr
    checks = {c["check"]: c for c in valid(result.json())["checks"]}
    return result.exit_code, checks, human.stdout


def test_the_inbound_side_set_up_as_readme_says_passes(invoke: Run, sandbox: Sandbox) -> None:
    _as_readme_says(sandbox)
    code, checks, human = _doctor(invoke)
    assert code == 0
    assert {
        name: c["status"] for name, c in checks.items() if name in INBOUND_CHECKS
    } == dict.fromkeys(INBOUND_CHECKS, "PASS")
    assert checks["inbound slack team"]["detail"] == f"requests from workspace {SLACK_TEAM_ID} only"
    assert checks["inbound pagerduty secret"]["detail"].endswith(": 2 signing secret(s)")
    assert checks["inbound URL"]["detail"].endswith(
        "/slack/actions refused an unsigned request (HTTP 401)"
    )
    assert "InboundReservedConcurrency is 0" in checks["concurrency"]["detail"]
    assert all(c["status"] == "PASS" for c in checks.values()), checks
    assert "PASS inbound URL: " in human


def test_a_slack_secret_without_a_bot_token_is_a_warning(invoke: Run, sandbox: Sandbox) -> None:
    # The sandbox's own Slack secret: an incoming webhook and the signing secret.
    code, checks, human = _doctor(invoke)
    assert code == 0  # a WARN, not a FAIL
    found = checks["inbound slack secret"]
    assert found["status"] == "WARN"
    assert "holds signingSecret but no botToken" in found["detail"]
    assert "the close button could not open its modal" in found["detail"]
    assert "botToken (xoxb-…) and channel" in found["fix"]
    assert checks["inbound URL"]["status"] == "PASS"
    assert "WARN inbound slack secret: " in human


def _no_signing_secret(sandbox: Sandbox) -> None:
    _slack_secret(sandbox, {"botToken": SLACK_BOT_TOKEN, "channel": "C0PRIVACY"})


def _short_signing_secret(sandbox: Sandbox) -> None:
    _slack_secret(
        sandbox, {"botToken": SLACK_BOT_TOKEN, "channel": "C0PRIVACY", "signingSecret": "short"}
    )


def _no_team(sandbox: Sandbox) -> Sandbox:
    _as_readme_says(sandbox)
    return sandbox.deploy(SlackTeamId="")


def _pagerduty_not_json(sandbox: Sandbox) -> None:
    _pagerduty_secret(sandbox, PAGERDUTY_SIGNING_SECRETS[0])


def _pagerduty_no_list(sandbox: Sandbox) -> None:
    _pagerduty_secret(sandbox, json.dumps({"signingSecret": PAGERDUTY_SIGNING_SECRETS[0]}))


def _pagerduty_none(sandbox: Sandbox) -> None:
    _pagerduty_secret(sandbox, json.dumps({"signingSecrets": []}))


def _pagerduty_three(sandbox: Sandbox) -> None:
    _pagerduty_secret(
        sandbox, json.dumps({"signingSecrets": [*PAGERDUTY_SIGNING_SECRETS, SLACK_SIGNING_SECRET]})
    )


def _pagerduty_empty(sandbox: Sandbox) -> None:
    _pagerduty_secret(sandbox, json.dumps({"signingSecrets": [PAGERDUTY_SIGNING_SECRETS[0], " "]}))


def _pagerduty_gone(sandbox: Sandbox) -> None:
    boto3.client("secretsmanager").delete_secret(
        SecretId=sandbox.stack.parameters["PagerDutyWebhookSecretName"],
        ForceDeleteWithoutRecovery=True,
    )


def _url_unreachable(sandbox: Sandbox) -> _Moved:
    _as_readme_says(sandbox)
    return _with_url(sandbox, "http://127.0.0.1:9/")


def _url_wants_aws_signatures(sandbox: Sandbox) -> _Moved:
    # The reaction's URL (AuthType AWS_IAM) where the inbound one should be.
    _as_readme_says(sandbox)
    return _with_url(sandbox, sandbox.target().operator_url or "")


class _Moved:
    """The sandbox as a target whose InboundUrl names another URL (what an output could say)."""

    def __init__(self, sandbox: Sandbox, url: str) -> None:
        self._sandbox = sandbox
        self._url = url

    def target(self) -> SandboxTarget:
        return dataclasses.replace(self._sandbox.target(), inbound_url=self._url)


def _with_url(sandbox: Sandbox, url: str) -> _Moved:
    return _Moved(sandbox, url)


def _inbound_dead_letter(sandbox: Sandbox) -> None:
    _as_readme_says(sandbox)
    sandbox.park_inbound_action("{}")


BREAKS: list[tuple[Callable[[Sandbox], Any], str, str, str]] = [
    # (what breaks, the check that fails, what it says, what its fix says)
    (_no_signing_secret, "inbound slack secret", "holds no signingSecret", "Signing Secret"),
    (_short_signing_secret, "inbound slack secret", "of at least 16 characters", "signingSecret"),
    (_no_team, "inbound slack team", "every Slack request would be refused", "SlackTeamId=T"),
    (_pagerduty_not_json, "inbound pagerduty secret", "is not JSON", "docs/chat-actions.md"),
    (_pagerduty_no_list, "inbound pagerduty secret", "holds no signingSecrets list", "signingS"),
    (_pagerduty_none, "inbound pagerduty secret", "lists 0 signing secrets, not 1 or 2", "store"),
    (_pagerduty_three, "inbound pagerduty secret", "lists 3 signing secrets", "store"),
    (_pagerduty_empty, "inbound pagerduty secret", "empty or not a string", "store"),
    (_pagerduty_gone, "inbound pagerduty secret", "no secret bwp-privacy/", "create it"),
    (_url_unreachable, "inbound URL", "did not answer", "InboundUrl output"),
    (_url_wants_aws_signatures, "inbound URL", "answered HTTP 403", "AuthType NONE"),
    (
        _inbound_dead_letter,
        "dead-letter queue inbound-dlq",
        "1 message(s) wait for a person",
        "bwp-privacy dlq list --queue inbound-dlq",
    ),
]


@pytest.mark.parametrize(
    ("breaking", "check", "says", "fix"), BREAKS, ids=[b[0].__name__.strip("_") for b in BREAKS]
)
def test_each_inbound_check_fails_saying_why_and_how_to_fix_it(
    invoke: Run,
    sandbox: Sandbox,
    target_file: Path,
    breaking: Callable[[Sandbox], Any],
    check: str,
    says: str,
    fix: str,
) -> None:
    changed = breaking(sandbox)
    if changed is not None:
        changed.target().write(target_file)
    code, checks, human = _doctor(invoke)
    assert code == 1
    found = checks[check]
    assert found["status"] == "FAIL", found
    assert says in found["detail"]
    assert fix in str(found["fix"])
    assert any(line.startswith(f"FAIL {check}: ") for line in human.splitlines())


def test_a_stack_that_takes_neither_has_no_inbound_check(
    invoke: Run, sandbox: Sandbox, target_file: Path
) -> None:
    sandbox.deploy(SlackAllowedUsers="", PagerDutyWebhookSecretName="").target().write(target_file)
    code, checks, _ = _doctor(invoke)
    assert code == 0
    assert not [name for name in checks if name.startswith("inbound")]
    assert "Inbound" not in checks["concurrency"]["detail"]


def test_a_stack_that_takes_pagerduty_alone_is_probed_on_its_webhook_path(
    invoke: Run, sandbox: Sandbox, target_file: Path
) -> None:
    sandbox.deploy(SlackAllowedUsers="").target().write(target_file)
    code, checks, _ = _doctor(invoke)
    assert code == 0
    inbound = {name: c["status"] for name, c in checks.items() if name.startswith("inbound")}
    assert inbound == {"inbound pagerduty secret": "PASS", "inbound URL": "PASS"}
    assert checks["inbound URL"]["detail"].endswith(
        "/pagerduty/webhooks refused an unsigned request (HTTP 401)"
    )
