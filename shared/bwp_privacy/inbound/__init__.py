"""Requests from outside: Slack's buttons and close modal, PagerDuty's webhooks (v3), taken at
InboundFunction's function URL (AuthType NONE), verified on their raw bytes, parsed, checked
for who sent them, and queued for the reaction as an inbound action
(`bwp_privacy.contract.inbound`), which carries them out with the operators' own code path.

Modules, one job each: `settings` (the environment), `signatures` (Slack's and PagerDuty's
HMACs), `slack_payloads` and `pagerduty_payloads` (the payloads' models), `slack_actions`
(what each button asks for, the close modal), `slack_api` (``views.open``), `secrets`,
`refusals` (why a request is refused, its status, the metric), `endpoint` (the order of the
checks), `wiring` (the AWS clients).
"""

from bwp_privacy.inbound.endpoint import MAX_BODY, PAGERDUTY_PATH, SLACK_PATH, Inbound
from bwp_privacy.inbound.pagerduty_payloads import (
    RECORDED_EVENT_TYPES,
    IgnoredEvent,
    PagerDutyEvent,
    parse_pagerduty_body,
)
from bwp_privacy.inbound.refusals import IGNORED_METRIC, QUEUED_METRIC, REFUSED_METRIC, Refused
from bwp_privacy.inbound.secrets import PagerDutyWebhookSecret, SlackInboundSecret
from bwp_privacy.inbound.settings import InboundSettings
from bwp_privacy.inbound.signatures import (
    SLACK_WINDOW_SECONDS,
    pagerduty_signature,
    slack_signature,
    verify_pagerduty,
    verify_slack,
)
from bwp_privacy.inbound.slack_actions import (
    ModalErrors,
    button_request,
    close_modal,
    close_submission,
)
from bwp_privacy.inbound.slack_api import SlackApiError, SlackWebApi, ViewOpener
from bwp_privacy.inbound.slack_payloads import BlockActions, ViewSubmission, parse_slack_body
from bwp_privacy.inbound.wiring import build_inbound

__all__ = [
    "IGNORED_METRIC",
    "MAX_BODY",
    "PAGERDUTY_PATH",
    "QUEUED_METRIC",
    "RECORDED_EVENT_TYPES",
    "REFUSED_METRIC",
    "SLACK_PATH",
    "SLACK_WINDOW_SECONDS",
    "BlockActions",
    "IgnoredEvent",
    "Inbound",
    "InboundSettings",
    "ModalErrors",
    "PagerDutyEvent",
    "PagerDutyWebhookSecret",
    "Refused",
    "SlackApiError",
    "SlackInboundSecret",
    "SlackWebApi",
    "ViewOpener",
    "ViewSubmission",
    "build_inbound",
    "button_request",
    "close_modal",
    "close_submission",
    "pagerduty_signature",
    "parse_pagerduty_body",
    "parse_slack_body",
    "slack_signature",
    "verify_pagerduty",
    "verify_slack",
]
