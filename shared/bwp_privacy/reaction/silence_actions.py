"""Silences, made and ended by the reaction: the one writer of SilencesTable.

A silence is added for an operator (`silence add`, Slack's "silence" button) with a one-time
schedule at its end in the reaction's schedule group; expired early (`silence expire`), its
schedule is deleted and it is released at once. Released (at its end or when expired): each
open case it may have muted gets a ``silence-ended`` notice, and the alert router tells the
receivers where an alert of that case was muted (its delivery ledger knows), and no one else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from aws_lambda_powertools import Logger

from bwp_privacy.audit import SUBJECT_SILENCE, AuditEntry, AuditWriter, subject
from bwp_privacy.cases import Case
from bwp_privacy.common import BwpPrivacyError, iso_z, utc_now
from bwp_privacy.contract import CaseNotice
from bwp_privacy.reaction.notices import build_notice
from bwp_privacy.reaction.schedules import SILENCE_ENDED, SilenceEndedInput
from bwp_privacy.silences import Silence, SilenceStore

logger = Logger(child=True)


class SilenceNotFound(BwpPrivacyError):
    """No silence has that id (or it ended long enough ago to be gone)."""


class SilenceEnded(BwpPrivacyError):
    """The silence ended already: nothing to expire."""


class EndScheduler(Protocol):
    def schedule_input(self, name: str, payload: dict[str, object], at: datetime) -> bool: ...

    def cancel(self, name: str) -> bool: ...


class OpenCases(Protocol):
    def open_cases(self) -> list[Case]: ...


class Publisher(Protocol):
    def publish(self, notice: CaseNotice) -> str: ...


@dataclass(frozen=True)
class Released:
    """What a release did: the open cases told that the silence ended."""

    silence: Silence
    case_ids: tuple[str, ...]


def end_schedule_name(silence_id: str) -> str:
    """The Scheduler name of a silence's end (the silence id is Scheduler's characters)."""
    return f"{silence_id}-end"


class SilenceKeeper:
    """Adds, expires and releases silences."""

    def __init__(
        self,
        store: SilenceStore,
        scheduler: EndScheduler,
        cases: OpenCases,
        notices: Publisher,
        audit: AuditWriter,
        *,
        retention_days: int,
        actor: str,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._scheduler = scheduler
        self._cases = cases
        self._notices = notices
        self._audit = audit
        self._retention_days = retention_days
        self._actor = actor
        self._clock = clock

    def add(
        self, silence_id: str, matchers: dict[str, str], seconds: int, reason: str, actor: str
    ) -> Silence:
        """A new silence from now for ``seconds`` (``new_silence_id`` names it). Its end is
        scheduled before it is kept: a silence is never kept without the schedule that
        releases it (a schedule without its silence, left by a failed write, fires on
        nothing)."""
        # Whole seconds: what operators read and type back (`silence list`, the schedule).
        now = self._clock().replace(microsecond=0)
        silence = Silence.model_validate(
            {
                "silenceId": silence_id,
                "match": matchers,
                "startsAt": now,
                "endsAt": now + timedelta(seconds=seconds),
                "createdBy": actor,
                "reason": reason,
            }
        )
        self._scheduler.schedule_input(
            end_schedule_name(silence.silence_id),
            SilenceEndedInput(silence_id=silence.silence_id).model_dump(by_alias=True),
            silence.ends_at,
        )
        self._store.create(silence)
        return silence

    def expire(self, silence_id: str, reason: str | None, actor: str) -> Released:
        """End a silence now: kept as expired (by whom, why), its end schedule deleted, its
        cases released at once. One expired already is released again (safe to repeat)."""
        silence = self._store.load(silence_id)
        if silence is None:
            raise SilenceNotFound(f"no silence {silence_id} (ended ones are kept a while only)")
        now = self._clock().replace(microsecond=0)
        if silence.expired_at is not None:
            # Expired before, maybe by a request whose release failed half way: released
            # again (each notice's id is the case's and the silence's: none goes out twice).
            self._scheduler.cancel(end_schedule_name(silence_id))
            return self._release(silence, now)
        if not silence.active(now):
            raise SilenceEnded(
                f"silence {silence_id} ended already ({iso_z(silence.ended_at)}): nothing to expire"
            )
        expired = silence.model_copy(
            update={"expired_at": now, "expired_by": actor, "expire_reason": reason}
        )
        self._store.replace(silence, expired)
        self._scheduler.cancel(end_schedule_name(silence_id))
        return self._release(expired, now)

    def ended(self, silence_id: str) -> Released | None:
        """The end schedule fired: release the silence's cases, recorded on the silence (once:
        the entry's time and id are the silence's end, so a retried input adds none). None
        when the silence is gone, still muting (a schedule can never fire early, but a
        redrive can), or expired (released then)."""
        silence = self._store.load(silence_id)
        now = self._clock()
        if silence is None or silence.active(now) or silence.expired_at is not None:
            logger.info(
                "Silence end: nothing to release",
                extra={"silence_id": silence_id, "found": silence is not None},
            )
            return None
        released = self._release(silence, now)
        self._audit.append(
            [
                AuditEntry(
                    subject=subject(SUBJECT_SILENCE, silence_id),
                    at=silence.ends_at,
                    entry_id="ended",
                    actor=self._actor,
                    action="silence end",
                    input=f"schedule {end_schedule_name(silence_id)}",
                    outcome=f"ended: {len(released.case_ids)} open case(s) released",
                    detail={"match": silence.what},
                    expires_at=silence.ends_at + timedelta(days=self._retention_days),
                )
            ]
        )
        return released

    def _release(self, silence: Silence, now: datetime) -> Released:
        """A ``silence-ended`` notice for each open case the silence may have muted (its
        notice id is the case's and the silence's: a release repeated sends nothing twice)."""
        told = []
        for case in self._cases.open_cases():
            if not silence.may_concern(case):
                continue
            self._notices.publish(
                build_notice(
                    case,
                    "silence-ended",
                    f"silence {silence.silence_id} ({silence.what}) ended; the case is still open",
                    "Its alerts were muted while the silence held: see where it stands with"
                    f" `bwp-privacy cases show {case.case_id}`.",
                    now,
                    silence_id=silence.silence_id,
                )
            )
            told.append(case.case_id)
        logger.info(
            "Silence released", extra={"silence_id": silence.silence_id, "cases": len(told)}
        )
        return Released(silence, tuple(told))


__all__ = [
    "SILENCE_ENDED",
    "EndScheduler",
    "Released",
    "SilenceEnded",
    "SilenceKeeper",
    "SilenceNotFound",
    "end_schedule_name",
]
