"""What the template cannot do for a deploy (`bwp-privacy setup`): the stack's name, the API
credentials (checked, then kept in the stack's secret), the four event subscriptions and the
partner event source's bus. `doctor` reads the same things back."""

from bwp_privacy_cli.onboarding.credentials import (
    ApiEndpoints,
    CredentialsError,
    CredentialsSecret,
    Permission,
    Probe,
    connect,
    probe_privacy_permission,
)
from bwp_privacy_cli.onboarding.partner_bus import PartnerBusError, associate, source_state
from bwp_privacy_cli.onboarding.setup import SetupError, SetupRequest, Step, plan, run
from bwp_privacy_cli.onboarding.stack_name import MAX_STACK_NAME_LENGTH, stack_name_problem
from bwp_privacy_cli.onboarding.subscriptions import (
    EVENT_TYPES,
    SOURCE_PREFIX,
    Destination,
    Subscription,
    SubscriptionError,
    Subscriptions,
    missing_types,
)

__all__ = [
    "EVENT_TYPES",
    "MAX_STACK_NAME_LENGTH",
    "SOURCE_PREFIX",
    "ApiEndpoints",
    "CredentialsError",
    "CredentialsSecret",
    "Destination",
    "PartnerBusError",
    "Permission",
    "Probe",
    "SetupError",
    "SetupRequest",
    "Step",
    "Subscription",
    "SubscriptionError",
    "Subscriptions",
    "associate",
    "connect",
    "missing_types",
    "plan",
    "probe_privacy_permission",
    "run",
    "source_state",
    "stack_name_problem",
]
