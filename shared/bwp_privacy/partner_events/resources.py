"""Parse Buy with Prime event resource strings.

Grammar (from the event documentation)::

    businessProduct/{businessProductId}/{key}/{id}[/{key}/{id}...]

Seen keys: personalDataDeletionTask, items, item-quantities, order, delivery, return, refund,
carrier, tracker. Each kind of privacy task names its own key (its description in
``bwp_privacy.task_kinds``; the retrieval tasks' key is assumed there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

from bwp_privacy.common import IDENTIFIER, BwpPrivacyError, quoted
from bwp_privacy.contract import TaskKind
from bwp_privacy.task_kinds import TASK_KINDS, task_kind

BUSINESS_PRODUCT = "businessProduct"
#: The resource key that names each kind of privacy task (each kind's description holds it).
TASK_KEYS: dict[TaskKind, str] = {
    cast(TaskKind, name): kind.resource_key for name, kind in TASK_KINDS.items()
}
#: The resource key of a deletion task, as the event documentation shows it.
DELETION_TASK_KEY = task_kind("deletion").resource_key
#: The resource key of a retrieval task: an assumption, written in its kind's description.
RETRIEVAL_TASK_KEY = task_kind("retrieval").resource_key

MAX_RESOURCE_LENGTH = 1024
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,63}")
#: The grammar of an id (a business product's, a task's, any key's): UUIDs, "bp-..." ids, SKUs,
#: carrier codes and tracking numbers. No GraphQL or path syntax can pass it, so an id is
#: always inert data downstream; whatever else names a task (the start mutation's answer) is
#: held to it too.
ID_PATTERN = IDENTIFIER
_ID = ID_PATTERN


class ResourceFormatError(BwpPrivacyError, ValueError):
    """A resource string does not follow the documented grammar."""


@dataclass(frozen=True, slots=True)
class ParsedResource:
    """A resource string split into its business product id and key/id pairs."""

    business_product_id: str
    pairs: tuple[tuple[str, str], ...]

    def get(self, key: str) -> str | None:
        """Return the id that follows ``key``, or None when the key is absent."""
        return next((value for k, value in self.pairs if k == key), None)


def task_resource(business_product_id: str, kind: TaskKind, task_id: str) -> str:
    """The resource string an event names a privacy task of ``kind`` with."""
    return f"{BUSINESS_PRODUCT}/{business_product_id}/{task_kind(kind).resource_key}/{task_id}"


def parse_resource(resource: str) -> ParsedResource:
    """Parse one resource string; raise ResourceFormatError saying what is wrong."""
    if len(resource) > MAX_RESOURCE_LENGTH:
        raise ResourceFormatError(
            f"resource is {len(resource)} characters long, at most {MAX_RESOURCE_LENGTH} allowed"
        )
    segments = resource.split("/")
    if segments[0] != BUSINESS_PRODUCT:
        raise ResourceFormatError(
            f"resource {_show(resource)} must start with '{BUSINESS_PRODUCT}/'"
        )
    if len(segments) < 4:
        raise ResourceFormatError(
            f"resource {_show(resource)} must be '{BUSINESS_PRODUCT}/{{id}}/{{key}}/{{id}}'"
            " with at least one key/id pair"
        )
    if len(segments) % 2:
        raise ResourceFormatError(
            f"resource {_show(resource)} has a key without an id (segment {len(segments)})"
        )
    business_product_id = _check(resource, 2, segments[1], _ID, "business product id")
    pairs = tuple(
        (
            _check(resource, index + 1, segments[index], _KEY, "key"),
            _check(resource, index + 2, segments[index + 1], _ID, f"id of '{segments[index]}'"),
        )
        for index in range(2, len(segments), 2)
    )
    return ParsedResource(business_product_id=business_product_id, pairs=pairs)


def _check(resource: str, position: int, segment: str, pattern: re.Pattern[str], what: str) -> str:
    if not segment:
        raise ResourceFormatError(
            f"resource {_show(resource)}: {what} (segment {position}) is empty"
        )
    if not pattern.fullmatch(segment):
        raise ResourceFormatError(
            f"resource {_show(resource)}: {what} (segment {position}) {_show(segment)} "
            f"does not match {pattern.pattern}"
        )
    return segment


def _show(text: str, limit: int = 120) -> str:
    """Quote text for an error message (it goes to the logs and the dead-letter queue): emails
    masked, no control character, cut so a huge input cannot flood the logs."""
    return quoted(text, limit)
