"""A silence, as Alertmanager's: matchers on the router's alert labels, a start and an end,
who made it and why; pure (no table, no AWS).

A silence mutes a firing alert whose labels it all matches, while it is active. It never
mutes a case whose legal deadline has passed or is within the due-soon window: the law does
not pause (`law_allows_silence`). A silence ends at its end, or earlier when an operator
expires it; either way it stays readable (`silence list`) until its retention ends.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from bwp_privacy.cases.case import Case
from bwp_privacy.cases.urgency import DEFAULT_DUE_SOON_DAYS, Bucket, bucket_of
from bwp_privacy.catalogue import Severity
from bwp_privacy.common import IDENTIFIER, clean_text
from bwp_privacy.contract import LookupStatus
from bwp_privacy.task_kinds import TASK_KINDS

#: The labels a silence may match: the router's (`Alert.labels`).
Label = Literal[
    "errorCode", "businessProductId", "severity", "taskKind", "lookupStatus", "detailType"
]
LABELS: tuple[str, ...] = Label.__args__  # type: ignore[attr-defined]
#: Matchers a silence holds at most: a silence is narrow by intent.
MAX_MATCHERS = 5
#: The shortest and longest a silence may run: a quarter of an hour (a deploy, a restart) to
#: a week (a partner's known outage): longer would hide a case's whole first period.
MIN_SECONDS = 15 * 60
MAX_SECONDS = 7 * 86_400
#: The longest reason kept.
REASON_LIMIT = 500

_CODE = re.compile(r"[A-Z0-9_]{1,64}")
_DETAIL_TYPE = re.compile(r"[A-Z0-9_]{1,128}")
#: Each label's values, held to the grammar the alert's own values have (a value outside it
#: could never match, and would be shown in `silence list` as typed).
_GRAMMAR: dict[str, re.Pattern[str] | frozenset[str]] = {
    "errorCode": _CODE,
    "businessProductId": IDENTIFIER,
    "detailType": _DETAIL_TYPE,
    "severity": frozenset(s.value for s in Severity),
    "taskKind": frozenset(TASK_KINDS),
    "lookupStatus": frozenset(s.value for s in LookupStatus),
}
#: A silence's id: ``s`` and 16 hex digits (a Scheduler name and an audit subject as it is).
SILENCE_ID = re.compile(r"s[0-9a-f]{16}")


def _held(matchers: dict[str, str]) -> dict[str, str]:
    for label, value in matchers.items():
        if label not in _GRAMMAR:
            raise ValueError(f"{label}: not a label alerts have (one of {', '.join(LABELS)})")
        grammar = _GRAMMAR[label]
        ok = (
            value in grammar
            if isinstance(grammar, frozenset)
            else grammar.fullmatch(value) is not None
        )
        if not ok:
            expected = (
                "one of " + ", ".join(sorted(grammar))
                if isinstance(grammar, frozenset)
                else f"to match {grammar.pattern}"
            )
            raise ValueError(f"{label}: expected {expected}")
    return matchers


#: A silence's matchers: 1 to 5 known labels, each value held to its label's grammar.
Matchers = Annotated[
    dict[str, str], Field(min_length=1, max_length=MAX_MATCHERS), AfterValidator(_held)
]


def _reason(text: str) -> str:
    kept = clean_text(text, REASON_LIMIT)
    if not kept:
        raise ValueError("must hold text, not only spaces or control characters")
    return kept


#: Why: free text from outside, masked, on one line, bounded, never empty once cleaned.
SilenceReason = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_reason)]


def new_silence_id() -> str:
    return "s" + uuid.uuid4().hex[:16]


def describe_matchers(matchers: Mapping[str, str]) -> str:
    """``errorCode=ORDERS_NOT_CLOSED,severity=warning`` (as `silence add --match` takes them)."""
    return ",".join(f"{label}={value}" for label, value in sorted(matchers.items()))


class Silence(BaseModel):
    """One silence as kept in SilencesTable."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    silence_id: str = Field(alias="silenceId", pattern=f"^{SILENCE_ID.pattern}$")
    matchers: Matchers = Field(alias="match")
    starts_at: datetime = Field(alias="startsAt")
    ends_at: datetime = Field(alias="endsAt")
    created_by: str = Field(alias="createdBy", min_length=1, max_length=300)
    reason: SilenceReason
    #: Set when an operator ended it before its end.
    expired_at: datetime | None = Field(None, alias="expiredAt")
    expired_by: str | None = Field(None, alias="expiredBy", max_length=300)
    expire_reason: str | None = Field(None, alias="expireReason", max_length=REASON_LIMIT)

    @model_validator(mode="after")
    def _ends_after_start(self) -> Silence:
        if self.ends_at <= self.starts_at:
            raise ValueError("endsAt: must come after startsAt")
        return self

    @property
    def ended_at(self) -> datetime:
        """When it stops (or stopped) muting: its end, or when it was expired."""
        return min(self.ends_at, self.expired_at) if self.expired_at else self.ends_at

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ended_at

    def matches(self, labels: Mapping[str, Sequence[str]]) -> bool:
        """Every matcher's label has its value among the alert's (errorCode is multi-valued)."""
        return all(value in labels.get(label, ()) for label, value in self.matchers.items())

    def may_concern(self, case: Case) -> bool:
        """`matchers_may_concern` for this silence."""
        return matchers_may_concern(self.matchers, case)

    @property
    def what(self) -> str:
        return describe_matchers(self.matchers)

    def to_json_dict(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def matchers_may_concern(matchers: Mapping[str, str], case: Case) -> bool:
    """Whether these matchers may mute an alert of ``case``: each on what the case knows (its
    error codes, business product, kind) matches; a label the case cannot say (severity,
    lookup status, detail type) is taken as matching, so no case is missed (the router's
    ledger knows which were muted)."""
    known = case_labels(case)
    return all(value in known[label] for label, value in matchers.items() if label in known)


def case_labels(case: Case) -> dict[str, list[str]]:
    """The alert labels a case itself holds: every error code of its tasks, its business
    product and its kind."""
    codes = sorted({code for task in case.tasks for code in task.error_codes})
    return {
        "errorCode": codes,
        "businessProductId": [case.business_product_id],
        "taskKind": [case.kind],
    }


def law_allows_silence(due_at: datetime, now: datetime, due_soon_days: float) -> Bucket | None:
    """None when a case due at ``due_at`` may be silenced now; else its bucket (past due, or
    due soon: within ``due_soon_days`` of its legal deadline). The law does not pause."""
    left = (due_at - now) / timedelta(days=1)
    if left < 0:
        return Bucket.PAST_DUE
    if left < due_soon_days:
        return Bucket.DUE_SOON
    return None


def case_may_be_silenced(
    case: Case, now: datetime, due_soon_days: float = DEFAULT_DUE_SOON_DAYS
) -> Bucket | None:
    """`law_allows_silence` for a case, by its legal deadline in force (extensions applied,
    an open appeal's)."""
    bucket = bucket_of(case, now, due_soon_days)
    return bucket if bucket in (Bucket.PAST_DUE, Bucket.DUE_SOON) else None
