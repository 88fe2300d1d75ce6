"""The yearly figures a large business publishes (CCPA regulations, 11 CCR § 7102): per
request type, requests received, complied with, denied, and the days taken to respond."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, timedelta

from pydantic import BaseModel, ConfigDict

from bwp_privacy.compliance.records import Response, response_of
from bwp_privacy.reaction.case import Case, CaseKind

#: A denial whose case holds no reason is counted under this key.
NO_REASON = "(no reason given)"

_KINDS: tuple[CaseKind, ...] = ("deletion", "retrieval")
_COMPLIED = frozenset(
    {Response.COMPLETED, Response.NOTHING_TO_DELETE, Response.NOTHING_TO_RETRIEVE}
)


class KindStats(BaseModel):
    """One request type's figures for the year."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    received: int
    #: Completed, or answered that Buy with Prime holds nothing for the shopper.
    complied: int
    denied: int
    denied_by_reason: dict[str, int]
    #: Closed without an answer (withdrawn, a duplicate): not a response.
    cancelled: int
    open: int
    #: Over answered requests (complied or denied), receipt to response, to 0.1 day; None
    #: when none was answered.
    median_days_to_respond: float | None
    mean_days_to_respond: float | None


class YearStats(BaseModel):
    """A year's figures by request type (``deletion`` and ``retrieval``, always both)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: int
    by_kind: dict[str, KindStats]


def yearly_stats(cases: Iterable[Case], year: int) -> YearStats:
    """The figures of the requests received in ``year`` (UTC), whenever they were answered."""
    received: dict[CaseKind, list[Case]] = {kind: [] for kind in _KINDS}
    for case in cases:
        if case.received_at.astimezone(UTC).year == year:
            received[case.kind].append(case)
    return YearStats(year=year, by_kind={kind: _kind_stats(received[kind]) for kind in _KINDS})


def _kind_stats(cases: list[Case]) -> KindStats:
    responses = Counter(response_of(case) for case in cases)
    denials = Counter(
        (case.reason or NO_REASON) for case in cases if response_of(case) is Response.DENIED
    )
    days = [
        (case.ended_at - case.received_at) / timedelta(days=1)
        for case in cases
        if case.ended_at is not None and response_of(case) in _COMPLIED | {Response.DENIED}
    ]
    return KindStats(
        received=len(cases),
        complied=sum(responses[response] for response in _COMPLIED),
        denied=responses[Response.DENIED],
        denied_by_reason=dict(sorted(denials.items())),
        cancelled=responses[Response.CANCELLED],
        open=responses[Response.OPEN],
        median_days_to_respond=round(statistics.median(days), 1) if days else None,
        mean_days_to_respond=round(statistics.fmean(days), 1) if days else None,
    )
