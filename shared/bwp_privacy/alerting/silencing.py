"""The router's stage between case lookup and grouping: silences.

Each firing alert a silence matches (its labels, `Alert.labels`) is not sent while the silence
is active: its delivery is recorded in the ledger as muted by that silence, at every receiver
its routes chose (so the silence's end is told there, and only there), and counted
(``AlertsSilenced``). Never muted: a resolve (an ended case is always told where it was
opened), a silence's own end, a redrive an operator asked for, and an alert of a case past due
or due soon (the legal deadline in force, from the case itself; before the reaction has opened
the case, from the failure's submission date and the shortest first period): that alert goes
out saying which silence would have muted it — the law does not pause.

The silences are read once per batch (`BatchSilences`, shared with the deliverers, which need
the ones still muting when a silence's end comes). A table that cannot be read mutes nothing:
a silence is a convenience, a lost alert is not.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from aws_lambda_powertools import Logger

from bwp_privacy.alerting.alert import Alert, first_legal_due
from bwp_privacy.alerting.classify import Failure, Routed
from bwp_privacy.cases import Case
from bwp_privacy.common import MetricsSink, parse_iso, plain_day
from bwp_privacy.silences import Silence, case_may_be_silenced, law_allows_silence

logger = Logger(child=True)


class SilenceSource(Protocol):
    """The silences muting now (`SilenceStore`)."""

    def active(self, now: datetime) -> list[Silence]: ...


class CaseSource(Protocol):
    """The cases of these ids that exist (`CasesTableLinks`)."""

    def cases(self, case_ids: Sequence[str]) -> dict[str, Case]: ...


class MutedLedger(Protocol):
    """Where a muted delivery is recorded (`DeliveryLedger`)."""

    def mark_silenced(self, receiver: str, case_id: str, silence_id: str, until: int) -> bool: ...


class BatchSilences:
    """The silences active during one batch, read at the first need and kept for the batch."""

    def __init__(self, source: SilenceSource | None, now: datetime, metrics: MetricsSink) -> None:
        self._source = source
        self._now = now
        self._metrics = metrics
        self._lock = threading.Lock()
        self._read: list[Silence] | None = None

    def get(self) -> list[Silence]:
        with self._lock:
            if self._read is None:
                self._read = self._load()
            return self._read

    def ids(self) -> frozenset[str]:
        """The ids of the silences muting now (the deliverers' question, from their threads)."""
        return frozenset(silence.silence_id for silence in self.get())

    def _load(self) -> list[Silence]:
        if self._source is None:
            return []
        try:
            return self._source.active(self._now)
        except Exception as error:
            logger.warning(
                "Could not read the silences: nothing is muted",
                extra={"error": type(error).__name__},
            )
            self._metrics.count("SilencesUnreadable")
            return []


def apply_silences(
    routed: Sequence[Routed],
    silences: BatchSilences,
    cases: CaseSource | None,
    ledger: MutedLedger,
    metrics: MetricsSink,
    *,
    now: datetime,
    due_soon_days: float,
) -> tuple[list[Routed], list[Failure]]:
    """The routed alerts still to send (some with a note saying a silence would have muted
    them), and the records to retry (a muted delivery the ledger could not record)."""
    matched = {
        index: silence
        for index, item in enumerate(routed)
        if _may_be_muted(item) and (silence := _first_match(item.alert, silences)) is not None
    }
    if not matched:
        return list(routed), []
    # The case lookup read where each case stands (its legal deadline in force) already: only
    # the cases it could not read are read here.
    unread = [routed[i].alert.case_id for i in matched if routed[i].alert.case is None]
    clocks = _clocks(cases, unread) if unread else {}
    kept: list[Routed] = []
    failures: list[Failure] = []
    for index, item in enumerate(routed):
        silence = matched.get(index)
        if silence is None:
            kept.append(item)
            continue
        note = _law_says(item.alert, silence, clocks, now, due_soon_days)
        if note is not None:
            metrics.count("SilencesOverruled")
            logger.info(
                "Not muted: the case is past due or due soon",
                extra={"case_id": item.alert.case_id, "silence_id": silence.silence_id},
            )
            kept.append(replace(item, alert=item.alert.model_copy(update={"silence_note": note})))
            continue
        try:
            _mute(item, silence, ledger, metrics)
        except Exception as error:  # the ledger is unreachable: retry the record later
            failures.append((item.record, error))
    return kept, failures


def _may_be_muted(item: Routed) -> bool:
    alert = item.alert
    return not alert.resolved and alert.silence_ended is None and item.redrive is None


def _first_match(alert: Alert, silences: BatchSilences) -> Silence | None:
    found = silences.get()
    if not found:
        return None
    labels = alert.labels()
    return next((silence for silence in found if silence.matches(labels)), None)


def _clocks(cases: CaseSource | None, case_ids: list[str]) -> dict[str, Case] | None:
    """The cases to judge by; None when they could not be read (then nothing is muted: a
    case's deadline unknown, the law wins)."""
    if cases is None:
        return {}
    try:
        return cases.cases(case_ids)
    except Exception as error:
        logger.warning(
            "Could not read the cases a silence matches: nothing is muted",
            extra={"error": type(error).__name__},
        )
        return None


def _law_says(
    alert: Alert,
    silence: Silence,
    clocks: dict[str, Case] | None,
    now: datetime,
    due_soon_days: float,
) -> str | None:
    """None when the silence may mute the alert; else the line the alert carries."""
    would = f"Silence {silence.silence_id} ({silence.what}) would have muted this alert, but"
    standing = alert.case
    standing_due = parse_iso(standing.due_at) if standing is not None else None
    case = clocks.get(alert.case_id) if clocks is not None else None
    if standing is not None and standing_due is not None:
        # Where the case lookup found the case: its legal deadline in force, read once.
        due = standing_due
        bucket = None if standing.ended else law_allows_silence(due, now, due_soon_days)
    elif clocks is None:
        return f"{would} case {alert.case_id}'s deadline could not be read: the law does not pause."
    elif case is not None:
        bucket, due = case_may_be_silenced(case, now, due_soon_days), case.legal_due_at
    else:
        found = first_legal_due(alert)
        if found is None:
            return (
                f"{would} case {alert.case_id}'s legal deadline is unknown: the law does not pause."
            )
        bucket, due = law_allows_silence(found, now, due_soon_days), found
    if bucket is None:
        return None
    return (
        f"{would} case {alert.case_id} is {bucket.value} (legal deadline {plain_day(due)}):"
        " the law does not pause."
    )


def _mute(item: Routed, silence: Silence, ledger: MutedLedger, metrics: MetricsSink) -> None:
    """Record the muted delivery at every receiver its routes chose, then count it."""
    alert = item.alert
    until = int(silence.ended_at.timestamp())
    for receiver, _route in item.targets:
        ledger.mark_silenced(receiver, alert.case_id, silence.silence_id, until)
    for receiver, _route in item.targets:
        metrics.count("AlertsSilenced", receiver=receiver)
    logger.info(
        "Muted by a silence",
        extra={
            "case_id": alert.case_id,
            "transition": alert.transition,
            "silence_id": silence.silence_id,
        },
    )


@dataclass(frozen=True)
class Silencer:
    """The stage as one invocation runs it (`RouterRuntime.stages` builds it)."""

    silences: BatchSilences
    cases: CaseSource | None
    ledger: MutedLedger
    metrics: MetricsSink
    now: datetime
    due_soon_days: float

    def apply(self, routed: Sequence[Routed]) -> tuple[list[Routed], list[Failure]]:
        return apply_silences(
            routed,
            self.silences,
            self.cases,
            self.ledger,
            self.metrics,
            now=self.now,
            due_soon_days=self.due_soon_days,
        )
