"""On-call alert routing: from published failure messages (and the reaction's case notices)
to pages, chat messages and events.

A batch of failure messages (`route_batch` over an `AlertBatch`) is classified and routed by
the routing tree and the catalogue's severity and runbook per error code (`RoutingConfig`:
routes.json and `bwp_privacy.catalogue`, each overridable in SSM), grouped, and
delivered once per receiver and task (`DeliveryLedger`). Receivers are plug-ins
(`bwp_privacy.alerting.receivers`); a permanent refusal is parked in the dead-letter queue.
"""

from bwp_privacy.alerting.alert import Alert, Runbook, Severity, build_alert, build_notice_alert
from bwp_privacy.alerting.delivery import DeliveryError, Group, Receiver, ReceiverSpec
from bwp_privacy.alerting.drill import (
    TEST_ALERT_KEY,
    TestAlertRequest,
    TestDelivery,
    is_test_alert,
    send_test_alert,
)
from bwp_privacy.alerting.ledger import Claim, ClaimState, DeliveryLedger
from bwp_privacy.alerting.queues import (
    PARKED_REASON_ATTRIBUTE,
    PARKED_RECEIVER_ATTRIBUTE,
    DeadLetterParker,
    VisibilityDelayer,
)
from bwp_privacy.alerting.receivers import RECEIVERS, ReceiverName, receiver_names
from bwp_privacy.alerting.router import (
    REDRIVE_ATTRIBUTE,
    AlertBatch,
    InvalidAlertMessage,
    Ledger,
    NoReceiverError,
    Parker,
)
from bwp_privacy.alerting.routes import RoutesError, RoutingConfig, load_routes
from bwp_privacy.alerting.routes_source import RoutesSource
from bwp_privacy.alerting.settings import RouterSettings, deployed_receivers
from bwp_privacy.alerting.sqs_batch import route_batch
from bwp_privacy.alerting.wiring import RouterRuntime

__all__ = [
    "PARKED_REASON_ATTRIBUTE",
    "PARKED_RECEIVER_ATTRIBUTE",
    "RECEIVERS",
    "REDRIVE_ATTRIBUTE",
    "TEST_ALERT_KEY",
    "Alert",
    "AlertBatch",
    "Claim",
    "ClaimState",
    "DeadLetterParker",
    "DeliveryError",
    "DeliveryLedger",
    "Group",
    "InvalidAlertMessage",
    "Ledger",
    "NoReceiverError",
    "Parker",
    "Receiver",
    "ReceiverName",
    "ReceiverSpec",
    "RouterRuntime",
    "RouterSettings",
    "RoutesError",
    "RoutesSource",
    "RoutingConfig",
    "Runbook",
    "Severity",
    "TestAlertRequest",
    "TestDelivery",
    "VisibilityDelayer",
    "build_alert",
    "build_notice_alert",
    "deployed_receivers",
    "is_test_alert",
    "load_routes",
    "receiver_names",
    "route_batch",
    "send_test_alert",
]
