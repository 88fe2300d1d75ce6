"""The keys that moved out of the routes and playbooks files into the catalogue: a file that
still holds one (an SSM override written before the catalogue) is refused with a message that
says where the key lives now, instead of a bare "extra inputs are not permitted"."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError


def refuse_moved_keys(raw: object, moved: Iterable[str], title: str) -> None:
    """Raise a ValidationError naming each key of ``raw`` listed in ``moved``."""
    if not isinstance(raw, dict):
        return
    found = [
        InitErrorDetails(
            type=PydanticCustomError(
                "moved_to_catalogue",
                "moved to the catalogue (bwp_privacy/catalogue/codes.json, overridden by the "
                "SSM parameter CatalogueParameterName names): one entry per error code with "
                "its severity, runbook and action per task kind",
            ),
            loc=(key,),
            input=raw[key],
        )
        for key in moved
        if key in raw
    ]
    if found:
        raise ValidationError.from_exception_data(title, found)
