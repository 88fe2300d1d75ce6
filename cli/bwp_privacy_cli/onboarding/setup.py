"""`bwp-privacy setup`'s work, in the order a first deploy needs it, each step safe to run
again:

1. the credentials get a token (nothing is written before they do);
2. their privacy permission is probed (a warning only: see `probe_privacy_permission`);
3. the stack's four event types are subscribed to the partner event source (an existing
   subscription is left as it is); if one is refused, those this run made are deleted again;
   then they are read back: each must go to that source (an "already exists" that sends
   elsewhere is an error, not done);
4. the credentials are kept in the secret the stack reads (no new version when unchanged);
5. the partner event source gets its bus (`partner_bus`), which the stack's rules need.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from bwp_privacy.bwp_api import ClientCredentials
from bwp_privacy.common import BwpPrivacyError
from bwp_privacy_cli.onboarding.credentials import (
    ApiEndpoints,
    CredentialsSecret,
    connect,
    probe_privacy_permission,
)
from bwp_privacy_cli.onboarding.partner_bus import SOURCE_WAIT_SECONDS, associate
from bwp_privacy_cli.onboarding.subscriptions import (
    EVENT_TYPES,
    Destination,
    Subscriptions,
    create_mutation,
    missing_types,
)

#: done: changed something; unchanged: it was so already; checked: a check that passed;
#: would: a dry run's request, not made; warning: a check a person should look at again.
Outcome = Literal["done", "unchanged", "checked", "would", "warning"]


class SetupError(BwpPrivacyError):
    """A step failed; the message names it, says why and what was undone."""


@dataclass(frozen=True)
class Step:
    step: str
    outcome: Outcome
    detail: str


@dataclass(frozen=True)
class SetupRequest:
    """What setup works with: the destination, the secret's name, the API and credentials
    (``entered``: typed now, to be kept; otherwise read from the secret)."""

    destination: Destination
    secret_name: str
    endpoints: ApiEndpoints
    credentials: ClientCredentials
    entered: bool

    @property
    def target_id(self) -> str:
        if not self.credentials.target_id:
            raise SetupError(
                "no business product id (targetId): pass --target-id, as the merchant console"
                " shows it with the credentials"
            )
        return self.credentials.target_id


def plan(request: SetupRequest) -> list[Step]:
    """What a run would send, in order, with no secret in it (``--dry-run``)."""
    endpoints, destination = request.endpoints, request.destination
    steps = [
        Step(
            "credentials",
            "would",
            f"POST {endpoints.token_url} grant_type=client_credentials"
            f" client_id={request.credentials.client_id} client_secret=(hidden)",
        ),
        Step(
            "privacy permission",
            "would",
            f"POST {endpoints.api_url} query personalDataDeletionTask(taskId: <a random id>)"
            f" x-api-target-id={request.target_id}",
        ),
    ]
    steps += [
        Step(
            f"subscription {event_type}",
            "would",
            f"POST {endpoints.api_url} x-api-target-id={request.target_id}"
            f" {create_mutation(destination, event_type)} (unless it exists)",
        )
        for event_type in EVENT_TYPES
    ]
    steps.append(
        Step(
            "subscriptions",
            "would",
            f"POST {endpoints.api_url} x-api-target-id={request.target_id} query"
            " eventSubscriptions, then eventSubscription of each: the four go to"
            f" {destination.source}",
        )
    )
    if request.entered:
        steps.append(
            Step(
                "secret",
                "would",
                f"secretsmanager CreateSecret or PutSecretValue {request.secret_name}"
                " {clientId, clientSecret (hidden), targetId}",
            )
        )
    steps.append(
        Step(
            "partner event bus",
            "would",
            f"events CreateEventBus Name={destination.source}"
            f" EventSourceName={destination.source} (unless associated)",
        )
    )
    return steps


def run(
    request: SetupRequest,
    *,
    secrets: Any,
    events: Any,
    report: Callable[[Step], object] = lambda _: None,
    source_wait_seconds: float = SOURCE_WAIT_SECONDS,
) -> list[Step]:
    """Every step, each told to ``report`` as it ends; a SetupError stops the run."""
    done: list[Step] = []

    def tell(step: Step) -> None:
        done.append(step)
        report(step)

    destination = request.destination
    client = connect(request.endpoints, request.credentials)
    tell(
        Step(
            "credentials",
            "checked",
            f"client id {request.credentials.client_id}: the token endpoint gave a token",
        )
    )
    probe = probe_privacy_permission(client, request.target_id)
    if probe.permission == "granted":
        tell(Step("privacy permission", "checked", "the credentials may read privacy tasks"))
    else:
        tell(
            Step(
                "privacy permission",
                "warning",
                f"{probe.detail}: the credentials may lack 'Manage Shopper Privacy Requests';"
                " `bwp-privacy doctor` asks again about a recorded task",
            )
        )
    subscriptions = Subscriptions(client, request.target_id)
    for step in _subscribe(subscriptions, destination):
        tell(step)
    _check_sent_here(subscriptions, destination)
    tell(Step("subscriptions", "checked", f"the four event types go to {destination.source}"))
    if request.entered:
        written = CredentialsSecret(secrets, request.secret_name).write(request.credentials)
        tell(
            Step(
                "secret",
                "unchanged" if written == "unchanged" else "done",
                f"{request.secret_name}: {written}",
            )
        )
    else:
        tell(Step("secret", "unchanged", f"{request.secret_name}: the credentials stored there"))
    associated = associate(events, destination.source, wait_seconds=source_wait_seconds)
    tell(
        Step(
            "partner event bus",
            "done" if associated == "associated" else "unchanged",
            f"{destination.source}: "
            + ("created; the source is ACTIVE" if associated == "associated" else "there, ACTIVE"),
        )
    )
    return done


def _subscribe(subscriptions: Subscriptions, destination: Destination) -> list[Step]:
    """Each event type subscribed; on a refusal, those this run made are deleted again."""
    made: list[str] = []
    steps = []
    for event_type in EVENT_TYPES:
        try:
            created = subscriptions.create(destination, event_type)
        except BwpPrivacyError as error:
            undone = _undo(subscriptions, made)
            raise SetupError(f"subscription {event_type}: {error}{undone}") from None
        if created is None:
            steps.append(
                Step(f"subscription {event_type}", "unchanged", f"to {destination.source}: there")
            )
        else:
            made.append(created)
            steps.append(
                Step(
                    f"subscription {event_type}",
                    "done",
                    f"to {destination.source}: created ({created})",
                )
            )
    return steps


def _check_sent_here(subscriptions: Subscriptions, destination: Destination) -> None:
    """Every type is sent to ``destination`` now: "already exists" is taken as done, which is
    only right if what exists sends here (docs/api-assumptions.md)."""
    found, _ = subscriptions.list()
    missing = missing_types(found, destination)
    if missing:
        elsewhere = sorted(
            {s.destination_arn for s in found if s.event_type in missing} - {destination.arn}
        )
        raise SetupError(
            f"Buy with Prime says {', '.join(missing)} is subscribed, but not to"
            f" {destination.source}"
            + (f" (it goes to {', '.join(elsewhere)})" if elsewhere else "")
            + ": delete that subscription in the merchant console, then run setup again"
        )


def _undo(subscriptions: Subscriptions, made: list[str]) -> str:
    if not made:
        return " (nothing was changed)"
    left = []
    for subscription_id in made:
        try:
            subscriptions.delete(subscription_id)
        except BwpPrivacyError:
            left.append(subscription_id)
    if left:
        return f" (could not delete the subscriptions this run made: {', '.join(left)})"
    return f" (the {len(made)} subscription(s) this run made were deleted again)"
