"""Can Slack and PagerDuty reach the stack, on a stack that takes their requests (condition
HasInbound, output InboundUrl): the secrets that verify them hold what the inbound function
reads, Slack's workspace is named, and the function URL answers, refusing what is not signed.

What a secret holds is never shown: a finding names the secret and the field, never a value.
"""

from __future__ import annotations

import json
from typing import Any

import requests
from botocore.exceptions import ClientError

from bwp_privacy.inbound.secrets import MIN_SIGNING_SECRET
from bwp_privacy_cli.doctor.findings import Finding, aws_reason, failed, passed, warned
from bwp_privacy_cli.doctor.view import StackView

#: The paths of the inbound function (docs/chat-actions.md).
SLACK_PATH = "slack/actions"
PAGERDUTY_PATH = "pagerduty/webhooks"
#: What the function answers a request that carries no signature.
UNSIGNED_ANSWER = 401
#: How long the probe waits (Slack itself waits three seconds; a cold start fits in ten).
PROBE_TIMEOUT_SECONDS = 10
#: Signing secrets of a PagerDuty webhook subscription: the current one, and the one retiring
#: while it rotates.
MOST_PAGERDUTY_SECRETS = 2
_CHAT_ACTIONS = "docs/chat-actions.md"


def inbound_checks(view: StackView) -> list[Finding]:
    """The inbound side's checks; none on a stack that takes neither Slack's actions nor
    PagerDuty's webhooks."""
    url = view.target.inbound_url
    if not url:
        return []
    parameters = view.target.parameters
    slack_users = parameters.get("SlackAllowedUsers", "")
    slack_secret = parameters.get("SlackSecretName", "")
    pagerduty_secret = parameters.get("PagerDutyWebhookSecretName", "")
    team = parameters.get("SlackTeamId", "")
    findings = []
    if slack_users and slack_secret:
        findings.append(_slack_team(team))
        findings.append(_slack_secret(view, slack_secret))
    if pagerduty_secret:
        findings.append(_pagerduty_secret(view, pagerduty_secret))
    # A path the function takes (without SlackTeamId it takes no Slack request at all).
    takes_slack = bool(slack_users and slack_secret and team)
    if takes_slack or pagerduty_secret:
        findings.append(_url(url, slack=takes_slack))
    return findings


def _slack_team(team: str) -> Finding:
    if not team:
        return failed(
            "inbound slack team",
            "SlackAllowedUsers is set without SlackTeamId: every Slack request would be refused",
            "deploy with SlackTeamId=T… (your workspace's id, docs/chat-actions.md)",
        )
    return passed("inbound slack team", f"requests from workspace {team} only")


def _slack_secret(view: StackView, name: str) -> Finding:
    check = "inbound slack secret"
    value, problem = _read(view, check, name, "SlackSecretName")
    if problem is not None:
        return problem
    signing = value.get("signingSecret") if isinstance(value, dict) else None
    if not isinstance(signing, str) or len(signing) < MIN_SIGNING_SECRET:
        return failed(
            check,
            f"secret {name} holds no signingSecret (of at least {MIN_SIGNING_SECRET}"
            " characters): every Slack request would be refused",
            f"store the Slack app's Signing Secret in {name} as signingSecret ({_CHAT_ACTIONS})",
        )
    token = value.get("botToken")
    if not isinstance(token, str) or not token:
        return warned(
            check,
            f"secret {name} holds signingSecret but no botToken: case messages carry no buttons"
            " (an incoming webhook cannot), and the close button could not open its modal",
            f"make the Slack receiver a bot: store botToken (xoxb-…) and channel in {name}, in"
            f" place of webhookUrl ({_CHAT_ACTIONS})",
        )
    return passed(check, f"secret {name}: signingSecret and botToken there")


def _pagerduty_secret(view: StackView, name: str) -> Finding:
    check = "inbound pagerduty secret"
    value, problem = _read(view, check, name, "PagerDutyWebhookSecretName")
    if problem is not None:
        return problem
    secrets = value.get("signingSecrets") if isinstance(value, dict) else None
    wrong = None
    if not isinstance(secrets, list):
        wrong = "holds no signingSecrets list"
    elif not 1 <= len(secrets) <= MOST_PAGERDUTY_SECRETS:
        wrong = (
            f"lists {len(secrets)} signing secrets, not 1 or 2 (the current one, and the one"
            " retiring while it rotates)"
        )
    elif not all(isinstance(s, str) and s.strip() for s in secrets):
        wrong = "lists a signing secret that is empty or not a string"
    if wrong is not None:
        return failed(
            check,
            f"secret {name} {wrong}: PagerDuty's webhooks would be refused",
            f'store {{"signingSecrets": ["…"]}} in {name}, the webhook subscription\'s signing'
            f" secret ({_CHAT_ACTIONS})",
        )
    assert isinstance(secrets, list)
    return passed(check, f"secret {name}: {len(secrets)} signing secret(s)")


def _read(view: StackView, check: str, name: str, parameter: str) -> tuple[Any, Finding | None]:
    """The secret's JSON, or the finding that says why it cannot be read (never its value)."""
    client = view.client("secretsmanager")
    try:
        text = client.get_secret_value(SecretId=name).get("SecretString")
    except client.exceptions.ResourceNotFoundException:
        return None, failed(
            check, f"no secret {name}", f"create it ({_CHAT_ACTIONS}), or fix {parameter}"
        )
    except ClientError as error:
        return None, warned(
            check,
            f"secret {name} could not be read: {aws_reason(error)}",
            "let your AWS credentials secretsmanager:GetSecretValue it, then run doctor again",
        )
    try:
        return json.loads(text or ""), None
    except ValueError:
        return None, failed(
            check, f"secret {name} is not JSON", f"store it as {_CHAT_ACTIONS} shows"
        )


def _url(url: str, *, slack: bool) -> Finding:
    """POST an unsigned, empty request to one of the function's paths: a 401 says the
    function is reachable and refuses what is not signed (nothing is queued or acted on)."""
    check = "inbound URL"
    path, content_type = (
        (SLACK_PATH, "application/x-www-form-urlencoded")
        if slack
        else (PAGERDUTY_PATH, "application/json")
    )
    probe = f"{url.rstrip('/')}/{path}"
    try:
        answer = requests.post(
            probe,
            data=b"",
            headers={"Content-Type": content_type},
            timeout=PROBE_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as error:
        return failed(
            check,
            f"{probe} did not answer ({type(error).__name__}): Slack and PagerDuty cannot reach"
            " it either",
            "check the stack's InboundUrl output and that InboundFunction exists",
        )
    status = answer.status_code
    if status == UNSIGNED_ANSWER:
        return passed(check, f"{probe} refused an unsigned request (HTTP 401)")
    return failed(check, f"{probe} answered HTTP {status} to an unsigned request", _fix(status))


def _fix(status: int) -> str:
    if 200 <= status < 300:
        return (
            "it took a request nobody signed: `make deploy` this version again, and read the"
            " audit trail for actions you do not know"
        )
    if status == 403:
        return (
            "the URL refuses callers without AWS signatures (AuthType AWS_IAM, or no public"
            " lambda:InvokeFunctionUrl permission), which Slack and PagerDuty cannot make:"
            " `make deploy` again (the template sets AuthType NONE and the permission)"
        )
    if status == 429:
        return "InboundFunction is throttled: raise InboundReservedConcurrency, or wait"
    if status >= 500:
        return "InboundFunction failed: its logs (output InboundLogGroup) say why"
    return "`make deploy` this version again, then run doctor again"
