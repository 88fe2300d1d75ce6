"""A receiver as a plug-in: what the registry knows of it, and what building one may use.

Each receiver module (`bwp_privacy.alerting.receivers`) exports a `SPEC`. The router's
settings, the routes' receiver names, the sandbox's receiver set-up and its fake endpoints
all read the registry of those specs, so a new receiver is its module and the template
parameter that deploys it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel

from bwp_privacy.alerting.alert import Alert
from bwp_privacy.alerting.delivery.base import Group, Receiver
from bwp_privacy.alerting.delivery.http import HttpReceiver, HttpRequest, JsonPoster

M = TypeVar("M", bound=BaseModel)

#: What a receiver's setting names: a Secrets Manager secret (an HTTPS endpoint and its
#: credentials), an SNS topic or an EventBridge bus.
Resource = Literal["secret", "sns-topic", "event-bus"]


class SecretReader(Protocol):
    """Reads one JSON secret as a model (`bwp_privacy.common.JsonSecrets`)."""

    def read(self, secret_id: str, model: type[M], setting: str) -> M: ...


@dataclass(frozen=True)
class ReceiverContext:
    """What a receiver may be built from: made once per execution environment, so that
    building the receivers of a batch costs no connection and no client."""

    poster: JsonPoster
    secrets: SecretReader | None
    #: An AWS client per service (made at cold start with the project's configuration).
    clients: Callable[[str], Any]
    environ: Mapping[str, str] = field(default_factory=dict)
    clock: Callable[[], float] = time.time

    def read_secret(self, secret_id: str, model: type[M], setting: str) -> M:
        """The secret ``secret_id`` as ``model`` (cached by the reader)."""
        if self.secrets is None:
            raise RuntimeError(f"{setting} is set but the router has no Secrets Manager reader")
        return self.secrets.read(secret_id, model, setting)


@dataclass(frozen=True)
class ReceiverSpec:
    """A receiver kind, as routes name it and the template deploys it."""

    #: The name routes use (``receivers: [name]``).
    name: str
    #: Whether one call takes a whole group (a chat message listing tasks) or one alert.
    grouped: bool
    #: The router's environment variable that turns it on; its value is what ``resource`` says.
    setting: str
    #: The template parameter that sets that variable.
    parameter: str
    resource: Resource
    #: Builds the receiver from the setting's value.
    build: Callable[[str, ReceiverContext], Receiver]
    #: For a secret: its JSON for an endpoint at a URL (the sandbox's set-up).
    example_secret: Callable[[str], dict[str, str]] | None = None
    #: Statuses the endpoint answers on success (the sandbox's fake endpoint answers the first).
    success: tuple[int, ...] = (200,)
    #: A template parameter that sets the endpoint itself, when it is not in the secret, and
    #: the router's variable it sets.
    endpoint_parameter: str | None = None
    endpoint_setting: str | None = None
    #: Whether a route that does not say gets the resolve of a case it alerted this receiver
    #: about (Alertmanager's per-receiver ``send_resolved`` default).
    send_resolved: bool = True
    #: Whether a firing alert opens something there that stays open until resolved (a
    #: PagerDuty incident): a test alert is resolved right after it.
    keeps_incidents: bool = False


def secret_setting(name: str) -> str:
    """The router's variable for a receiver's secret: ``SLACK_SECRET_ID`` for ``slack``."""
    return f"{name.upper().replace('-', '_')}_SECRET_ID"


def http_spec(
    *,
    name: str,
    grouped: bool,
    parameter: str,
    secret: type[M],
    request: Callable[[Sequence[Alert], Group, M, ReceiverContext], HttpRequest],
    success: tuple[int, ...],
    example_secret: Callable[[str], dict[str, str]],
    endpoint_parameter: str | None = None,
    endpoint_setting: str | None = None,
    send_resolved: bool = True,
    keeps_incidents: bool = False,
) -> ReceiverSpec:
    """The spec of a webhook-style receiver whose secret (``secret``) holds its endpoint or
    its credentials: one `HttpReceiver`, its requests made by ``request``."""
    setting = secret_setting(name)

    def build(secret_id: str, context: ReceiverContext) -> Receiver:
        value = context.read_secret(secret_id, secret, setting)
        return HttpReceiver(
            name,
            grouped=grouped,
            poster=context.poster,
            request=lambda alerts, group: request(alerts, group, value, context),
            success=success,
            send_resolved=send_resolved,
        )

    return ReceiverSpec(
        name=name,
        grouped=grouped,
        setting=setting,
        parameter=parameter,
        resource="secret",
        build=build,
        example_secret=example_secret,
        success=success,
        endpoint_parameter=endpoint_parameter,
        endpoint_setting=endpoint_setting,
        send_resolved=send_resolved,
        keeps_incidents=keeps_incidents,
    )
