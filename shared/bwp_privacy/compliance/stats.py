"""The yearly figures a large business publishes (CCPA regulations, 11 CCR § 7102): per
request type (requests to delete, requests to know), requests received, complied with in whole
or in part, denied (by the § 7102(a)(2) categories), and the median and mean days taken to
respond, in whole days; with what our data adds (cancelled, still open)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from datetime import timedelta
from typing import get_args

from pydantic import BaseModel, ConfigDict

from bwp_privacy.cases.case import Case, CaseKind, DeniedBecause
from bwp_privacy.compliance.records import (
    Response,
    appeal_response_of,
    denial_basis,
    denial_category,
    response_of,
    year_window,
)
from bwp_privacy.task_kinds import TASK_KINDS

#: A denial whose case holds no reason is counted under this key.
NO_REASON = "(no reason given)"

_KINDS: tuple[CaseKind, ...] = get_args(CaseKind)
_COMPLIED = frozenset(
    {Response.COMPLETED, Response.NOTHING_TO_DELETE, Response.NOTHING_TO_RETRIEVE}
)


#: Each request type as § 7102 names it.
REQUEST_TYPE: dict[str, str] = {name: kind.request_type for name, kind in TASK_KINDS.items()}

#: Each denial category as § 7102(a)(2) words it.
DENIAL_CATEGORY: dict[DeniedBecause, str] = {
    "unverifiable": "not verifiable",
    "not-a-consumer": "not made by a consumer",
    "exempt": "called for information exempt from disclosure",
    "other": "on other grounds",
}


class KindStats(BaseModel):
    """One request type's figures for the year."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    received: int
    #: Complied with in whole or in part: completed, or answered that Buy with Prime holds
    #: nothing for the shopper.
    complied: int
    denied: int
    #: Denials by § 7102 category, every category present (0 when none); a case denied before
    #: the categories existed is counted as ``other``.
    denied_by_basis: dict[DeniedBecause, int]
    #: Denials by the operator's reason as written (the compliance report lists them).
    denied_by_reason: dict[str, int]
    #: Closed without an answer (withdrawn, a duplicate): not a response.
    cancelled: int
    open: int
    #: Over answered requests (complied or denied), receipt to response, in whole days
    #: (`whole_days_to_respond`); None when none was answered.
    median_days_to_respond: int | None
    mean_days_to_respond: int | None
    #: Appeals of these requests' answers (Virginia, Colorado, Connecticut…): received, and
    #: how answered: granted (the request now complied with), denied (the answer stands),
    #: withdrawn; or still open.
    appeals_received: int = 0
    appeals_granted: int = 0
    appeals_denied: int = 0
    appeals_withdrawn: int = 0
    appeals_open: int = 0


class YearStats(BaseModel):
    """A year's figures by request type (``deletion`` and ``retrieval``, always both)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: int
    by_kind: dict[str, KindStats]


def yearly_stats(cases: Iterable[Case], year: int) -> YearStats:
    """The figures of the requests received in ``year`` (UTC), whenever they were answered."""
    start, end = year_window(year)
    received: dict[CaseKind, list[Case]] = {kind: [] for kind in _KINDS}
    for case in cases:
        if start <= case.received_at < end:
            received[case.kind].append(case)
    return YearStats(year=year, by_kind={kind: _kind_stats(received[kind]) for kind in _KINDS})


def whole_days_to_respond(case: Case) -> int | None:
    """The days from receipt to response, rounded up to a whole day (an answer within the
    first 24 hours took 1 day; one at the very moment of receipt, 0): a published figure
    never reads faster than the request was answered. None while it is unanswered."""
    answer = case.answer
    if answer is None:
        return None
    return math.ceil((answer.ended_at - case.received_at) / timedelta(days=1))


def metric_rows(found: KindStats) -> list[tuple[str, int | None]]:
    """One request type's figures as § 7102 names them, then what our data adds: what
    `cases stats` shows and its CSV holds, row for row. None: no request answered."""
    return [
        ("received", found.received),
        ("complied with in whole or in part", found.complied),
        ("denied", found.denied),
        *(
            (f"denied: {DENIAL_CATEGORY[category]}", found.denied_by_basis[category])
            for category in _CATEGORIES
        ),
        ("median days to respond", found.median_days_to_respond),
        ("mean days to respond", found.mean_days_to_respond),
        ("cancelled (withdrawn or a duplicate: no response)", found.cancelled),
        ("still open", found.open),
        ("appeals received", found.appeals_received),
        ("appeals granted (request then complied with)", found.appeals_granted),
        ("appeals denied (answer upheld)", found.appeals_denied),
        ("appeals withdrawn", found.appeals_withdrawn),
        ("appeals still open", found.appeals_open),
    ]


_CATEGORIES: tuple[DeniedBecause, ...] = get_args(DeniedBecause)


def _kind_stats(cases: list[Case]) -> KindStats:
    responses = Counter(response_of(case) for case in cases)
    denied = [case for case in cases if response_of(case) is Response.DENIED]
    reasons = Counter((denial_basis(case) or NO_REASON) for case in denied)
    appeals = Counter(appeal_response_of(appeal) for case in cases for appeal in case.appeals)
    categories = Counter(denial_category(case) for case in denied)
    days = sorted(
        taken
        for case in cases
        if response_of(case) in _COMPLIED | {Response.DENIED}
        and (taken := whole_days_to_respond(case)) is not None
    )
    return KindStats(
        received=len(cases),
        complied=sum(responses[response] for response in _COMPLIED),
        denied=len(denied),
        denied_by_basis={category: categories[category] for category in _CATEGORIES},
        denied_by_reason=dict(sorted(reasons.items())),
        cancelled=responses[Response.CANCELLED],
        open=responses[Response.OPEN],
        median_days_to_respond=_median_up(days) if days else None,
        mean_days_to_respond=_ceil_div(sum(days), len(days)) if days else None,
        appeals_received=sum(appeals.values()),
        appeals_granted=appeals[Response.COMPLETED],
        appeals_denied=appeals[Response.DENIED],
        appeals_withdrawn=appeals[Response.CANCELLED],
        appeals_open=appeals[Response.OPEN],
    )


def _median_up(days: list[int]) -> int:
    """The median of sorted whole days; between two middle values, their mean rounded up."""
    middle = len(days) // 2
    if len(days) % 2:
        return days[middle]
    return _ceil_div(days[middle - 1] + days[middle], 2)


def _ceil_div(total: int, count: int) -> int:
    # Integer arithmetic: a float mean of 8.000000001 would round up to a day too many.
    return -(-total // count)
