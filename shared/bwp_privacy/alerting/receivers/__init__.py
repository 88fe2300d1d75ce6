"""The receiver plug-ins, one module each, and their registry.

Every module of this package is a receiver: it exports its pure rendering (the payload for a
group of alerts) and a `SPEC` (`bwp_privacy.alerting.delivery.ReceiverSpec`). The registry
finds them all, so adding a receiver is adding its module (and the template parameter that
deploys it, docs/development.md: "Adding a receiver").
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Annotated

from pydantic import AfterValidator

from bwp_privacy.alerting.delivery import ReceiverSpec


def _discover() -> dict[str, ReceiverSpec]:
    specs: dict[str, ReceiverSpec] = {}
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda found: found.name):
        spec = getattr(importlib.import_module(f"{__name__}.{module.name}"), "SPEC", None)
        if not isinstance(spec, ReceiverSpec):
            raise TypeError(f"{__name__}.{module.name} is in the receivers package but has no SPEC")
        if spec.name in specs:
            raise ValueError(f"two receivers are named {spec.name!r}")
        specs[spec.name] = spec
    return specs


#: Every receiver kind, by the name routes use.
RECEIVERS: dict[str, ReceiverSpec] = _discover()


def receiver_names() -> tuple[str, ...]:
    """The names routes may use, in order."""
    return tuple(RECEIVERS)


def _known(name: str) -> str:
    if name not in RECEIVERS:
        *first, last = (f"'{known}'" for known in RECEIVERS)
        raise ValueError(f"Input should be {', '.join(first)} or {last}")
    return name


#: A receiver name as routes write it: one of the registered receivers.
ReceiverName = Annotated[str, AfterValidator(_known)]

__all__ = ["RECEIVERS", "ReceiverName", "receiver_names"]
