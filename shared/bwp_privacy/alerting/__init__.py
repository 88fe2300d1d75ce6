"""On-call alert routing: from published failure messages (and the reaction's case notices)
to pages, chat messages and events.

A batch (`route_batch`) goes through the router's stages, each a module with one job:
`classify` parses each message and routes its alert by the routing tree and the catalogue's
severity and runbook per error code (`RoutingConfig`: routes.json and `bwp_privacy.catalogue`,
each overridable in SSM); `case_lookup` puts each failure on its case; `silencing` mutes what
an active silence matches (never a case past due or due soon); `grouping` (pure) makes
each receiver's groups; `deliver_once` claims, sends and marks each delivery once in the ledger
(`DeliveryLedger`), or parks a permanent refusal in the dead-letter queue, with `fanout`
running the receivers side by side; `auditing` records what went out. Receivers are plug-ins
(`bwp_privacy.alerting.receivers`).
"""

from bwp_privacy.alerting.alert import Alert, Runbook, Severity, build_alert, build_notice_alert
from bwp_privacy.alerting.auditing import AlertAudit
from bwp_privacy.alerting.case_lookup import CaseLinks, on_their_cases
from bwp_privacy.alerting.classify import (
    REDRIVE_ATTRIBUTE,
    Classifier,
    InvalidAlertMessage,
    NoReceiverError,
    Routed,
)
from bwp_privacy.alerting.deliver_once import Deliverer, Delivery, Ledger, Parker, Sent
from bwp_privacy.alerting.delivery import DeliveryError, Group, Receiver, ReceiverSpec
from bwp_privacy.alerting.drill import (
    TEST_ALERT_KEY,
    TestAlertRequest,
    TestDelivery,
    is_test_alert,
    send_test_alert,
)
from bwp_privacy.alerting.fanout import DeliveryOutOfTime, deliver_all
from bwp_privacy.alerting.grouping import AlertGroup, group_alerts
from bwp_privacy.alerting.ledger import Claim, ClaimState, DeliveryLedger
from bwp_privacy.alerting.queues import (
    PARKED_REASON_ATTRIBUTE,
    PARKED_RECEIVER_ATTRIBUTE,
    DeadLetterParker,
    VisibilityDelayer,
)
from bwp_privacy.alerting.receivers import RECEIVERS, ReceiverName, receiver_names
from bwp_privacy.alerting.routes import RoutesError, RoutingConfig, load_routes
from bwp_privacy.alerting.routes_source import RoutesSource
from bwp_privacy.alerting.settings import RouterSettings, deployed_receivers
from bwp_privacy.alerting.silencing import BatchSilences, Silencer, apply_silences
from bwp_privacy.alerting.sqs_batch import RouterStages, route_batch
from bwp_privacy.alerting.wiring import RouterRuntime

__all__ = [
    "PARKED_REASON_ATTRIBUTE",
    "PARKED_RECEIVER_ATTRIBUTE",
    "RECEIVERS",
    "REDRIVE_ATTRIBUTE",
    "TEST_ALERT_KEY",
    "Alert",
    "AlertAudit",
    "AlertGroup",
    "BatchSilences",
    "CaseLinks",
    "Claim",
    "ClaimState",
    "Classifier",
    "DeadLetterParker",
    "Deliverer",
    "Delivery",
    "DeliveryError",
    "DeliveryLedger",
    "DeliveryOutOfTime",
    "Group",
    "InvalidAlertMessage",
    "Ledger",
    "NoReceiverError",
    "Parker",
    "Receiver",
    "ReceiverName",
    "ReceiverSpec",
    "Routed",
    "RouterRuntime",
    "RouterSettings",
    "RouterStages",
    "RoutesError",
    "RoutesSource",
    "RoutingConfig",
    "Runbook",
    "Sent",
    "Severity",
    "Silencer",
    "TestAlertRequest",
    "TestDelivery",
    "VisibilityDelayer",
    "apply_silences",
    "build_alert",
    "build_notice_alert",
    "deliver_all",
    "deployed_receivers",
    "group_alerts",
    "is_test_alert",
    "load_routes",
    "on_their_cases",
    "receiver_names",
    "route_batch",
    "send_test_alert",
]
